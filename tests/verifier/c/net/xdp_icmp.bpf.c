/* XDP ICMP echo responder: IPv4 header checksum recomputed over a bounded loop,
 * ICMP type rewrite with incremental checksum, and a GRE decapsulation. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline u16 csum_fold(u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int icmp_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS_;
	if (ip->ihl != 5 || ip->protocol != IPPROTO_ICMP_)
		return XDP_PASS_;
	struct icmphdr *icmp = (void *)(ip + 1);
	if ((void *)(icmp + 1) > data_end || icmp->type != 8)
		return XDP_PASS_;
	u32 tmp = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = tmp;
	icmp->type = 0;
	u32 csum = (u16)~icmp->checksum + (u16)~bpf_htons(0x0800) + bpf_htons(0x0000);
	icmp->checksum = csum_fold(csum);
	ip->check = 0;
	u32 sum = 0;
	u16 *w = (u16 *)ip;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	ip->check = csum_fold(sum);
	u8 mac[6];
	__builtin_memcpy(mac, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, mac, 6);
	return XDP_TX_;
}

/* mistake: the checksum loop walks over the IP options without a bound on ihl */
SEC("xdp")
int icmp_csum_options(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS_;
	u32 sum = 0;
	u16 *w = (u16 *)ip;
	for (int i = 0; i < ip->ihl * 2; i++)
		sum += w[i];
	return csum_fold(sum) == 0 ? XDP_PASS_ : XDP_DROP_;
}

/* the same with each word checked against data_end */
SEC("xdp")
int icmp_csum_options_checked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS_;
	u32 sum = 0;
	u16 *w = (u16 *)ip;
	for (int i = 0; i < 30 && i < ip->ihl * 2; i++) {
		if ((void *)(w + i + 1) > data_end)
			return XDP_DROP_;
		sum += w[i];
	}
	return csum_fold(sum) == 0 ? XDP_PASS_ : XDP_DROP_;
}

struct gre_hdr_ {
	__be16 flags;
	__be16 proto;
};

SEC("xdp")
int gre_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS_;
	if (outer->protocol != 47 || outer->ihl != 5)
		return XDP_PASS_;
	struct gre_hdr_ *gre = (void *)(outer + 1);
	if ((void *)(gre + 1) > data_end || gre->flags != 0)
		return XDP_PASS_;
	struct ethhdr saved = *eth;
	int strip = sizeof(struct iphdr) + sizeof(struct gre_hdr_);
	if (bpf_xdp_adjust_head(ctx, strip))
		return XDP_DROP_;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP_;
	*eth = saved;
	return XDP_PASS_;
}

/* mistake: the saved outer header pointer is read after adjust_head */
SEC("xdp")
int gre_decap_stale(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *outer = data + sizeof(struct ethhdr);
	if ((void *)(outer + 1) > data_end)
		return XDP_PASS_;
	if (bpf_xdp_adjust_head(ctx, 24))
		return XDP_DROP_;
	return outer->ttl > 1 ? XDP_PASS_ : XDP_DROP_;
}
