// message: unbounded_mem
// kind: program
// hint: if (i >= N)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct slots { __u64 hits[8]; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} table SEC(".maps");

SEC("xdp")
int per_queue(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return XDP_PASS;
	__u32 i = ctx->rx_queue_index; /* ROOT */
#ifdef FIXED
	if (i >= 8)
		return XDP_PASS;
#endif
	s->hits[i] += 1; /* FAIL */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
