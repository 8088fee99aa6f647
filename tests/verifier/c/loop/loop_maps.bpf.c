/* Loops over maps and arrays as tools write them: histogram slot search, a
 * bounded linear probe in an array map, string copy with a terminator check. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define SLOTS 27

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u32);
} table SEC(".maps");

static __always_inline u32 slot_of(u64 v)
{
	u32 s = 0;
	for (int i = 0; i < SLOTS - 1; i++) {
		if (v < (1ULL << i))
			break;
		s++;
	}
	return s;
}

SEC("tp/syscalls/sys_exit_read")
int read_size_hist(struct trace_event_raw_sys_exit *ctx)
{
	if (ctx->ret <= 0)
		return 0;
	u32 s = slot_of(ctx->ret);
	u64 *c = bpf_map_lookup_elem(&hist, &s);
	if (c)
		__sync_fetch_and_add(c, 1);
	return 0;
}

SEC("tp/syscalls/sys_exit_read")
int linear_probe(struct trace_event_raw_sys_exit *ctx)
{
	u32 want = ctx->ret;
	for (u32 i = 0; i < 16; i++) {
		u32 *v = bpf_map_lookup_elem(&table, &i);
		if (!v)
			break;
		if (*v == want)
			return i;
	}
	return -1;
}

/* mistake: the probe loop's key runs past max_entries and the value is not checked */
SEC("tp/syscalls/sys_exit_read")
int linear_probe_nocheck(struct trace_event_raw_sys_exit *ctx)
{
	u32 want = ctx->ret;
	for (u32 i = 0; i < 20; i++) {
		u32 *v = bpf_map_lookup_elem(&table, &i);
		if (*v == want)
			return i;
	}
	return -1;
}

SEC("tp/syscalls/sys_enter_execve")
int copy_until_nul(struct trace_event_raw_sys_enter *ctx)
{
	char src[32], dst[32] = {};
	if (bpf_probe_read_user_str(src, sizeof(src), (void *)ctx->args[0]) < 0)
		return 0;
	for (int i = 0; i < 32; i++) {
		dst[i] = src[i];
		if (!src[i])
			break;
	}
	return dst[0];
}

/* a histogram walk with the slot computed by a loop with a data-dependent exit */
SEC("tp/syscalls/sys_exit_read")
int hist_sum(struct trace_event_raw_sys_exit *ctx)
{
	u64 total = 0;
	for (u32 i = 0; i < SLOTS; i++) {
		u64 *c = bpf_map_lookup_elem(&hist, &i);
		if (c)
			total += *c;
	}
	return total > 100;
}
