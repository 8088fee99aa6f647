/* XDP packet rewriting: MAC swap and XDP_TX, head/tail adjustment (the packet
 * pointers are invalidated by the helpers and must be reloaded). */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void swap_mac(struct ethhdr *eth)
{
	u8 tmp[6];
	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP_;
	swap_mac(eth);
	return XDP_TX_;
}

struct encap_hdr {
	__be32 magic;
	__be32 id;
};

SEC("xdp")
int xdp_push_header(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct encap_hdr)))
		return XDP_DROP_;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct encap_hdr *h = data;
	if ((void *)(h + 1) > data_end)
		return XDP_DROP_;
	h->magic = bpf_htonl(0xfeedf00d);
	h->id = 0;
	return XDP_PASS_;
}

/* mistake: the old data pointer is used after bpf_xdp_adjust_head */
SEC("xdp")
int xdp_push_stale(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP_;
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_DROP_;
	eth->h_proto = 0;
	return XDP_PASS_;
}

SEC("xdp")
int xdp_trim(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 128 > data_end)
		return XDP_PASS_;
	if (bpf_xdp_adjust_tail(ctx, -64))
		return XDP_DROP_;
	return XDP_PASS_;
}

/* this kernel build refuses bpf_xdp_adjust_meta in XDP (a fact of the build) */
SEC("xdp")
int xdp_meta(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, -4))
		return XDP_PASS_;
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;
	u32 *m = meta;
	if ((void *)(m + 1) > data)
		return XDP_PASS_;
	*m = 42;
	return XDP_PASS_;
}

/* mistake: XDP programs must return a value the verifier can bound: the packet length is not */
SEC("xdp")
int xdp_ret_len(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data;
}

/* mistake: a write to a read-only xdp_md field */
SEC("xdp")
int xdp_write_ifindex(struct xdp_md *ctx)
{
	ctx->ingress_ifindex = 1;
	return XDP_PASS_;
}

SEC("xdp")
int xdp_load_bytes(struct xdp_md *ctx)
{
	struct ethhdr eth;
	if (bpf_xdp_load_bytes(ctx, 0, &eth, sizeof(eth)))
		return XDP_DROP_;
	return eth.h_proto == bpf_htons(ETH_P_IPV6) ? XDP_DROP_ : XDP_PASS_;
}
