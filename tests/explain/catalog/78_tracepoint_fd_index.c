// message: unbounded_min_math
// kind: compiler
// hint: 64-bit
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct slots { __u64 v[16]; };
struct cfg { __u64 member; __s64 delta; __u64 len; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} table SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg);
} cfgs SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/* the fields of syscalls/sys_enter_* (tracefs format) */
struct sys_enter_ctx { __u64 common; long nr; unsigned long args[6]; };

SEC("tracepoint/syscalls/sys_enter_close")
int tracepoint_fd_index(struct sys_enter_ctx *ctx)
{
	__u32 key = 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
#ifdef FIXED
	long fd = ctx->args[0];
#else
	int fd = ctx->args[0];
#endif
	if (fd < 0 || fd >= 16) /* ROOT */
		return 0;
	__sync_fetch_and_add(&s->v[fd], 1); /* FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
