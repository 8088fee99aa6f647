/* Ring-buffer dynptrs and local dynptrs over memory: reserve/submit/discard
 * pairs, bpf_dynptr_read/write bounds, and the release they need. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[64]);
} blob SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int rb_dynptr_ok(void *ctx)
{
	struct bpf_dynptr ptr;
	u64 pid = bpf_get_current_pid_tgid();
	if (bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &ptr)) {
		bpf_ringbuf_discard_dynptr(&ptr, 0);
		return 0;
	}
	bpf_dynptr_write(&ptr, 0, &pid, sizeof(pid), 0);
	bpf_ringbuf_submit_dynptr(&ptr, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int rb_dynptr_data(void *ctx)
{
	struct bpf_dynptr ptr;
	if (bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &ptr))
		goto out;
	u64 *p = bpf_dynptr_data(&ptr, 0, sizeof(u64));
	if (p)
		*p = bpf_ktime_get_ns();
out:
	bpf_ringbuf_submit_dynptr(&ptr, 0);
	return 0;
}

/* mistake: the dynptr reservation is never submitted or discarded */
SEC("tp/syscalls/sys_enter_getpid")
int rb_dynptr_leak(void *ctx)
{
	struct bpf_dynptr ptr;
	bpf_ringbuf_reserve_dynptr(&rb, 16, 0, &ptr);
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int mem_dynptr(void *ctx)
{
	u32 zero = 0;
	char *val = bpf_map_lookup_elem(&blob, &zero);
	if (!val)
		return 0;
	struct bpf_dynptr ptr;
	char buf[8];
	bpf_dynptr_from_mem(val, 64, 0, &ptr);
	if (bpf_dynptr_read(buf, sizeof(buf), &ptr, 8, 0))
		return 0;
	return buf[0];
}

/* mistake: the dynptr on the stack is overwritten by a plain store */
SEC("tp/syscalls/sys_enter_getpid")
int mem_dynptr_clobber(void *ctx)
{
	u32 zero = 0;
	char *val = bpf_map_lookup_elem(&blob, &zero);
	if (!val)
		return 0;
	struct bpf_dynptr ptr;
	char buf[8];
	bpf_dynptr_from_mem(val, 64, 0, &ptr);
	*(volatile u64 *)&ptr = 0;
	bpf_dynptr_read(buf, sizeof(buf), &ptr, 0, 0);
	return buf[0];
}
