/* netfilter and flow_dissector programs: the bpf_nf_ctx fields, and a dissector
 * that fills bpf_flow_keys from the packet. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define NF_DROP_ 0
#define NF_ACCEPT_ 1

SEC("netfilter")
int nf_count(struct bpf_nf_ctx *ctx)
{
	const struct nf_hook_state *state = ctx->state;
	struct sk_buff *skb = ctx->skb;
	if (state->hook != 1)
		return NF_ACCEPT_;
	return skb->len > 1500 ? NF_DROP_ : NF_ACCEPT_;
}

/* mistake: netfilter programs must return NF_DROP or NF_ACCEPT */
SEC("netfilter")
int nf_bad_ret(struct bpf_nf_ctx *ctx)
{
	return 3;
}

/* mistake: the context is read-only */
SEC("netfilter")
int nf_write_ctx(struct bpf_nf_ctx *ctx)
{
	ctx->skb = 0;
	return NF_ACCEPT_;
}

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + keys->nhoff;
	if ((void *)(ip + 1) > data_end)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IP;
	keys->ipv4_src = ip->saddr;
	keys->ipv4_dst = ip->daddr;
	keys->ip_proto = ip->protocol;
	keys->thoff = keys->nhoff + ip->ihl * 4;
	return BPF_OK;
}

/* mistake: the flow keys pointer is moved before the access */
SEC("flow_dissector")
int dissect_moved(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	u8 *p = (u8 *)keys + 4;
	*(u32 *)p = 0;
	return BPF_OK;
}
