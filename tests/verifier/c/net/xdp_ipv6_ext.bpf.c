/* XDP parser for IPv6 extension headers: a bounded walk over the next-header
 * chain, each header's length read from the packet. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct ipv6_opt_hdr_ {
	u8 nexthdr;
	u8 hdrlen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} l4_count SEC(".maps");

static __always_inline int skip_ext(void **cursor, void *data_end, u8 *nexthdr)
{
	int i;
	for (i = 0; i < 6; i++) {
		u8 nh = *nexthdr;
		if (nh != IPPROTO_HOPOPTS_ && nh != IPPROTO_ROUTING_ && nh != IPPROTO_DSTOPTS_ &&
		    nh != IPPROTO_FRAGMENT_)
			return 0;
		struct ipv6_opt_hdr_ *h = *cursor;
		if ((void *)(h + 1) > data_end)
			return -1;
		*nexthdr = h->nexthdr;
		if (nh == IPPROTO_FRAGMENT_)
			*cursor += 8;
		else
			*cursor += (h->hdrlen + 1) * 8;
	}
	return -1;
}

SEC("xdp")
int xdp_ipv6_l4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS_;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_PASS_;
	void *cursor = ip6 + 1;
	u8 nh = ip6->nexthdr;
	if (skip_ext(&cursor, data_end, &nh) < 0)
		return XDP_DROP_;
	u32 key = nh;
	u64 *c = bpf_map_lookup_elem(&l4_count, &key);
	if (c)
		__sync_fetch_and_add(c, 1);
	if (nh == IPPROTO_UDP_) {
		struct udphdr *udp = cursor;
		if ((void *)(udp + 1) > data_end)
			return XDP_DROP_;
		if (udp->dest == bpf_htons(53))
			return XDP_PASS_;
	}
	return XDP_PASS_;
}

/* mistake: after the walk, the UDP header is read without checking data_end again */
SEC("xdp")
int xdp_ipv6_l4_nocheck(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS_;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_PASS_;
	void *cursor = ip6 + 1;
	u8 nh = ip6->nexthdr;
	if (skip_ext(&cursor, data_end, &nh) < 0)
		return XDP_DROP_;
	struct udphdr *udp = cursor;
	if (nh == IPPROTO_UDP_ && udp->dest == bpf_htons(53))
		return XDP_DROP_;
	return XDP_PASS_;
}

/* mistake: the extension walk has no iteration bound (the verifier must give up) */
SEC("xdp")
int xdp_ipv6_unbounded_walk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS_;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_PASS_;
	struct ipv6_opt_hdr_ *h = (void *)(ip6 + 1);
	u8 nh = ip6->nexthdr;
	while (nh == IPPROTO_HOPOPTS_ || nh == IPPROTO_DSTOPTS_) {
		if ((void *)(h + 1) > data_end)
			return XDP_DROP_;
		nh = h->nexthdr;
		h = (void *)h + (h->hdrlen + 1) * 8;
	}
	return nh == IPPROTO_TCP_ ? XDP_PASS_ : XDP_DROP_;
}
