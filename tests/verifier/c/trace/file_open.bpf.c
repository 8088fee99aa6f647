/* openat tracing over syscall tracepoints: entry/exit pairing through a hash map,
 * user strings copied with bpf_probe_read_user_str, flags from .rodata. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool only_failed = false;
const volatile u32 min_uid = 0;

struct open_args {
	const char *fname;
	int flags;
};

struct open_event {
	u32 pid;
	int ret;
	int flags;
	char comm[TASK_COMM_LEN];
	char fname[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct open_args);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} opens SEC(".maps");

SEC("tp/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	if ((u32)bpf_get_current_uid_gid() < min_uid)
		return 0;
	struct open_args a = {};
	a.fname = (const char *)ctx->args[1];
	a.flags = (int)ctx->args[2];
	bpf_map_update_elem(&inflight, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct open_args *a = bpf_map_lookup_elem(&inflight, &tid);
	if (!a)
		return 0;
	int ret = ctx->ret;
	if (only_failed && ret >= 0)
		goto cleanup;
	struct open_event *e = bpf_ringbuf_reserve(&opens, sizeof(*e), 0);
	if (!e)
		goto cleanup;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ret = ret;
	e->flags = a->flags;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->fname, sizeof(e->fname), a->fname);
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

/* mistake: the map value is used after the element was deleted... which the verifier allows */
SEC("tp/syscalls/sys_exit_openat")
int exit_openat_use_after_delete(struct trace_event_raw_sys_exit *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct open_args *a = bpf_map_lookup_elem(&inflight, &tid);
	if (!a)
		return 0;
	bpf_map_delete_elem(&inflight, &tid);
	return a->flags;
}

/* mistake: the ring buffer record is submitted twice */
SEC("tp/syscalls/sys_exit_openat")
int exit_openat_double_submit(struct trace_event_raw_sys_exit *ctx)
{
	struct open_event *e = bpf_ringbuf_reserve(&opens, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ret = ctx->ret;
	bpf_ringbuf_submit(e, 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* mistake: the record is written past its reserved size */
SEC("tp/syscalls/sys_exit_openat")
int exit_openat_overflow(struct trace_event_raw_sys_exit *ctx)
{
	struct open_event *e = bpf_ringbuf_reserve(&opens, 16, 0);
	if (!e)
		return 0;
	e->ret = ctx->ret;
	e->flags = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* mistake: reserve with a size the verifier cannot know */
SEC("tp/syscalls/sys_exit_openat")
int exit_openat_varsize(struct trace_event_raw_sys_exit *ctx)
{
	u32 sz = ctx->ret & 0xff;
	char *e = bpf_ringbuf_reserve(&opens, sz, 0);
	if (!e)
		return 0;
	bpf_ringbuf_discard(e, 0);
	return 0;
}
