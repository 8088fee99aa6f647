/* perf_event programs: counter reads with bpf_perf_prog_read_value and
 * bpf_perf_event_read_value on a perf event array, and their size rules. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
	__uint(max_entries, 8);
} cycles SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct bpf_perf_event_value);
} by_pid SEC(".maps");

SEC("perf_event")
int read_self(struct bpf_perf_event_data *ctx)
{
	struct bpf_perf_event_value v;
	if (bpf_perf_prog_read_value(ctx, &v, sizeof(v)))
		return 0;
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_update_elem(&by_pid, &pid, &v, BPF_ANY);
	return 0;
}

SEC("perf_event")
int read_other(struct bpf_perf_event_data *ctx)
{
	struct bpf_perf_event_value v = {};
	if (bpf_perf_event_read_value(&cycles, BPF_F_CURRENT_CPU, &v, sizeof(v)))
		return 0;
	return v.counter > v.enabled;
}

/* mistake: the size argument does not match struct bpf_perf_event_value */
SEC("perf_event")
int read_self_size(struct bpf_perf_event_data *ctx)
{
	struct bpf_perf_event_value v;
	bpf_perf_prog_read_value(ctx, &v, 8);
	return 0;
}

/* mistake: perf_event context fields other than regs/sample_period/addr */
SEC("perf_event")
int read_past_ctx(struct bpf_perf_event_data *ctx)
{
	return *(u64 *)((char *)ctx + sizeof(*ctx) + 8) != 0;
}

SEC("perf_event")
int sample_addr(struct bpf_perf_event_data *ctx)
{
	return ctx->addr != 0 && ctx->sample_period > 1000;
}

/* mistake: a narrow read of sample_period (only full 8-byte reads are allowed) */
SEC("perf_event")
int narrow_period(struct bpf_perf_event_data *ctx)
{
	return *(u8 *)&ctx->sample_period;
}
