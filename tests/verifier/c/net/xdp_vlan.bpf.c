/* VLAN-aware XDP parsing: up to two stacked 802.1Q/802.1ad tags before the
 * network header, then a redirect through a devmap or a drop. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct vlan_hdr_ {
	__be16 tci;
	__be16 encap_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u32);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u32);
} vlan_action SEC(".maps");

static __always_inline int is_vlan(__be16 p)
{
	return p == bpf_htons(ETH_P_8021Q) || p == bpf_htons(ETH_P_8021AD);
}

SEC("xdp")
int xdp_vlan_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cur = eth + 1;
	if (cur > data_end)
		return XDP_DROP_;
	__be16 proto = eth->h_proto;
	u32 vid = 0;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (!is_vlan(proto))
			break;
		struct vlan_hdr_ *vh = cur;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP_;
		vid = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->encap_proto;
		cur = vh + 1;
	}
	u32 *act = bpf_map_lookup_elem(&vlan_action, &vid);
	if (!act)
		return XDP_PASS_;
	if (*act == 1)
		return bpf_redirect_map(&tx_port, 0, 0);
	return *act == 2 ? XDP_DROP_ : XDP_PASS_;
}

/* mistake: the VLAN id indexes a local table without a bound (0..4095 is not checked) */
SEC("xdp")
int xdp_vlan_table_oob(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr_ *vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > data_end)
		return XDP_DROP_;
	u8 allowed[64] = {};
	allowed[1] = 1;
	u32 vid = bpf_ntohs(vh->tci);
	return allowed[vid & 0xfff] ? XDP_PASS_ : XDP_DROP_;
}

/* the same, masked so the index stays inside the table */
SEC("xdp")
int xdp_vlan_table_masked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr_ *vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > data_end)
		return XDP_DROP_;
	u8 allowed[64] = {};
	allowed[1] = 1;
	u32 vid = bpf_ntohs(vh->tci);
	return allowed[vid & 63] ? XDP_PASS_ : XDP_DROP_;
}
