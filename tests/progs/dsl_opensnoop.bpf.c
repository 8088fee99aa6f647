// C twin of examples/opensnoop.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct start { __u64 ts; __u64 fname; };
struct event { __u32 pid; __u32 tid; __s64 ret; __u64 lat_ns; char comm[16]; char filename[128]; };
struct enter_ctx { __u64 common; __s32 nr; __u32 pad; __u64 dfd; const char *filename; __u64 flags, mode; };
struct exit_ctx { __u64 common; __s32 nr; __u32 pad; __s64 ret; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct start);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct enter_ctx *ctx)
{
	struct start s = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	s.ts = bpf_ktime_get_ns();
	s.fname = (__u64)ctx->filename;
	bpf_map_update_elem(&start, &tid, &s, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct exit_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct start *s = bpf_map_lookup_elem(&start, &tid);
	struct event e = {};

	if (!s)
		return 0;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.tid = tid;
	e.ret = ctx->ret;
	e.lat_ns = bpf_ktime_get_ns() - s->ts;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_probe_read_user_str(&e.filename, sizeof(e.filename), (const void *)s->fname);
	bpf_map_delete_elem(&start, &tid);
	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	return 0;
}
