// C twin of examples/profile.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct sample { __u32 pid; __s32 user_stack, kernel_stack; char comm[16]; };

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, 4);
	__uint(value_size, 32 * 8);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct sample);
	__type(value, __u64);
} counts SEC(".maps");

SEC("perf_event")
int on_sample(void *ctx)
{
	struct sample k = {};
	__u64 one = 1, *v;

	k.pid = bpf_get_current_pid_tgid() >> 32;
	if (k.pid == 0)
		return 0;
	k.user_stack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	k.kernel_stack = bpf_get_stackid(ctx, &stacks, 0);
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	return 0;
}
