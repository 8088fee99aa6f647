/* CPU profiler on perf_event: user and kernel stack ids in a stack-trace map,
 * counts keyed by (pid, stack ids) in a hash map. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct stack_key {
	u32 pid;
	int user_stack;
	int kern_stack;
	char comm[TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct stack_key);
	__type(value, u64);
} counts SEC(".maps");

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	struct stack_key key = {};
	key.pid = bpf_get_current_pid_tgid() >> 32;
	if (key.pid == 0)
		return 0;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.user_stack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kern_stack = bpf_get_stackid(ctx, &stacks, 0);
	u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}

/* the sample period and instruction pointer read from the perf context */
SEC("perf_event")
int do_sample_ip(struct bpf_perf_event_data *ctx)
{
	u64 ip = PT_REGS_IP(&ctx->regs);
	u64 period = ctx->sample_period;
	struct stack_key key = {};
	key.pid = (u32)ip;
	key.user_stack = (int)period;
	u64 one = 1;
	bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	return 0;
}

/* mistake: the stack key is used with padding bytes never written */
SEC("perf_event")
int do_sample_uninit_key(struct bpf_perf_event_data *ctx)
{
	struct stack_key key;
	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.user_stack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	key.kern_stack = bpf_get_stackid(ctx, &stacks, 0);
	u64 one = 1;
	bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	return 0;
}

/* raw stack copy into a per-CPU buffer with bpf_get_stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64[32]);
} stackbuf SEC(".maps");

SEC("perf_event")
int do_sample_get_stack(struct bpf_perf_event_data *ctx)
{
	u32 zero = 0;
	u64 *buf = bpf_map_lookup_elem(&stackbuf, &zero);
	if (!buf)
		return 0;
	long n = bpf_get_stack(ctx, buf, 32 * sizeof(u64), BPF_F_USER_STACK);
	if (n <= 0)
		return 0;
	return buf[0] != 0;
}

/* mistake: the size passed to bpf_get_stack is larger than the buffer */
SEC("perf_event")
int do_sample_get_stack_big(struct bpf_perf_event_data *ctx)
{
	u32 zero = 0;
	u64 *buf = bpf_map_lookup_elem(&stackbuf, &zero);
	if (!buf)
		return 0;
	bpf_get_stack(ctx, buf, 64 * sizeof(u64), 0);
	return 0;
}
