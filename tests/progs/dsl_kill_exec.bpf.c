// C twin of examples/kill_exec.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct path { char name[256]; };
struct exec_ctx { __u64 common; __u32 filename_loc; __s32 pid, old_pid; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct path);
	__type(value, __u8);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} killed SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct exec_ctx *ctx)
{
	struct path p = {};
	__u8 *hit;

	bpf_probe_read_kernel_str(&p.name, sizeof(p.name), (void *)ctx + (ctx->filename_loc & 0xFFFF));
	hit = bpf_map_lookup_elem(&blocked, &p);
	if (hit && *hit) {
		__u32 pid = bpf_get_current_pid_tgid() >> 32;
		__u64 one = 1, *n;

		bpf_send_signal(9);
		n = bpf_map_lookup_elem(&killed, &pid);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&killed, &pid, &one, BPF_NOEXIST);
	}
	return 0;
}
