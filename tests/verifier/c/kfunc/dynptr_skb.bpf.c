/* Dynptr parsing in tc and XDP: bpf_dynptr_from_skb/xdp and bpf_dynptr_slice
 * with a stack buffer for the non-linear case. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int tc_dynptr_ports(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr ebuf;
	struct iphdr ibuf;
	struct tcphdr tbuf;
	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return TC_ACT_OK_;
	struct ethhdr *eth = bpf_dynptr_slice(&ptr, 0, &ebuf, sizeof(ebuf));
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK_;
	struct iphdr *ip = bpf_dynptr_slice(&ptr, sizeof(*eth), &ibuf, sizeof(ibuf));
	if (!ip || ip->protocol != IPPROTO_TCP_)
		return TC_ACT_OK_;
	struct tcphdr *tcp = bpf_dynptr_slice(&ptr, sizeof(*eth) + ip->ihl * 4, &tbuf, sizeof(tbuf));
	if (!tcp)
		return TC_ACT_OK_;
	return tcp->dest == bpf_htons(23) ? TC_ACT_SHOT_ : TC_ACT_OK_;
}

SEC("xdp")
int xdp_dynptr_proto(struct xdp_md *ctx)
{
	struct bpf_dynptr ptr;
	struct ethhdr ebuf;
	if (bpf_dynptr_from_xdp(ctx, 0, &ptr))
		return XDP_PASS_;
	struct ethhdr *eth = bpf_dynptr_slice(&ptr, 0, &ebuf, sizeof(ebuf));
	if (!eth)
		return XDP_DROP_;
	return eth->h_proto == bpf_htons(ETH_P_ARP) ? XDP_DROP_ : XDP_PASS_;
}

/* mistake: the slice may be NULL (out of range) and is used unchecked */
SEC("tc")
int tc_dynptr_nocheck(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr ebuf;
	bpf_dynptr_from_skb(skb, 0, &ptr);
	struct ethhdr *eth = bpf_dynptr_slice(&ptr, 0, &ebuf, sizeof(ebuf));
	return eth->h_proto == 0;
}

/* mistake: a read-only slice is written */
SEC("tc")
int tc_dynptr_write_ro(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr ebuf;
	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return TC_ACT_OK_;
	struct ethhdr *eth = bpf_dynptr_slice(&ptr, 0, &ebuf, sizeof(ebuf));
	if (!eth)
		return TC_ACT_OK_;
	eth->h_proto = 0;
	return TC_ACT_OK_;
}

/* the writable slice of the same */
SEC("tc")
int tc_dynptr_write_rdwr(struct __sk_buff *skb)
{
	struct bpf_dynptr ptr;
	struct ethhdr ebuf;
	if (bpf_dynptr_from_skb(skb, 0, &ptr))
		return TC_ACT_OK_;
	struct ethhdr *eth = bpf_dynptr_slice_rdwr(&ptr, 0, &ebuf, sizeof(ebuf));
	if (!eth)
		return TC_ACT_OK_;
	eth->h_dest[0] = 0x02;
	return TC_ACT_OK_;
}
