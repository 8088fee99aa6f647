/* Userspace probes as profilers write them: malloc/free pairing by address,
 * SSL_write-style buffer capture into a per-CPU map, and return probes. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_BUF 256

struct buf_event {
	u32 pid;
	u32 len;
	char data[MAX_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct buf_event);
} heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} bufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, u64);
	__type(value, u64);
} sizes SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(malloc_enter, size_t size)
{
	u64 tid = bpf_get_current_pid_tgid();
	u64 sz = size;
	bpf_map_update_elem(&sizes, &tid, &sz, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(malloc_exit, void *ret)
{
	u64 tid = bpf_get_current_pid_tgid();
	u64 *sz = bpf_map_lookup_elem(&sizes, &tid);
	if (!sz)
		return 0;
	u64 addr = (u64)ret, v = *sz;
	bpf_map_delete_elem(&sizes, &tid);
	bpf_map_update_elem(&sizes, &addr, &v, BPF_ANY);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write, void *ssl, const void *buf, int num)
{
	u32 zero = 0;
	struct buf_event *e = bpf_map_lookup_elem(&heap, &zero);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	u32 len = num < MAX_BUF ? num : MAX_BUF;
	if (num <= 0)
		return 0;
	e->len = len;
	bpf_probe_read_user(e->data, len & (MAX_BUF - 1), buf);
	bpf_ringbuf_output(&bufs, e, sizeof(*e), 0);
	return 0;
}

/* mistake: the copy length is checked as a signed int and may be negative */
SEC("uprobe")
int BPF_KPROBE(ssl_write_signed, void *ssl, const void *buf, int num)
{
	u32 zero = 0;
	struct buf_event *e = bpf_map_lookup_elem(&heap, &zero);
	if (!e)
		return 0;
	int len = num < MAX_BUF ? num : MAX_BUF;
	bpf_probe_read_user(e->data, len, buf);
	return 0;
}

/* the variable-size event sent with only the bytes used */
SEC("uprobe")
int BPF_KPROBE(ssl_write_varlen, void *ssl, const void *buf, int num)
{
	u32 zero = 0;
	struct buf_event *e = bpf_map_lookup_elem(&heap, &zero);
	if (!e || num <= 0)
		return 0;
	u32 len = num & (MAX_BUF - 1);
	bpf_probe_read_user(e->data, len, buf);
	bpf_ringbuf_output(&bufs, e, offsetof(struct buf_event, data) + len, 0);
	return 0;
}

/* mistake: the output size can run past the event */
SEC("uprobe")
int BPF_KPROBE(ssl_write_varlen_oob, void *ssl, const void *buf, int num)
{
	u32 zero = 0;
	struct buf_event *e = bpf_map_lookup_elem(&heap, &zero);
	if (!e || num <= 0)
		return 0;
	u32 len = num & (2 * MAX_BUF - 1);
	bpf_ringbuf_output(&bufs, e, offsetof(struct buf_event, data) + len, 0);
	return 0;
}
