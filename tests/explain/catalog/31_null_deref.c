// message: invalid_mem_access
// kind: program
// hint: if (!p)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int count_ifindex(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 *val = bpf_map_lookup_elem(&counts, &key); /* ROOT */
#ifdef FIXED
	if (!val)
		return XDP_PASS;
#endif
	*val += 1; /* FAIL */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
