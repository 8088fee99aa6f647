// C twin of examples/sensitive_read.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct watch { __u64 prefix[16]; __u64 mask[16]; };
struct name { __u64 w[16]; };
struct alert { __u32 pid; char comm[16]; char filename[128]; };
struct comm_key { char comm[16]; };
struct enter_ctx { __u64 common; __s32 nr; __u32 pad; __u64 dfd; const char *filename; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch);
} watch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct comm_key);
	__type(value, __u8);
} allowed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} alerts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_open(struct enter_ctx *ctx)
{
	__u32 zero = 0;
	struct watch *cfg = bpf_map_lookup_elem(&watch, &zero);
	struct name n = {};
	struct alert a = {};
	__u8 *ok;

	if (!cfg || cfg->mask[0] == 0)
		return 0;
	bpf_probe_read_user_str(&n.w, sizeof(n.w), ctx->filename);
#pragma unroll
	for (int k = 0; k < 16; k++)
		if ((n.w[k] & cfg->mask[k]) != cfg->prefix[k])
			return 0;
	bpf_get_current_comm(&a.comm, sizeof(a.comm));
	ok = bpf_map_lookup_elem(&allowed, &a.comm);
	if (ok && *ok)
		return 0;
	a.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_probe_read_user_str(&a.filename, sizeof(a.filename), ctx->filename);
	bpf_ringbuf_output(&alerts, &a, sizeof(a), 0);
	return 0;
}
