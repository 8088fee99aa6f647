/* Tail calls through a program array and lookups through maps of maps, as
 * datapaths split their parsers: the prog array filled from the object's
 * declaration, inner maps with their own value sizes. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

int parse_v4(struct xdp_md *ctx);
int parse_v6(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(u32));
	__array(values, int (void *));
} jmp_table SEC(".maps") = {
	.values = {
		[0] = (void *)&parse_v4,
		[1] = (void *)&parse_v6,
	},
};

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = { &inner_a, &inner_b },
};

SEC("xdp")
int parse_v4(struct xdp_md *ctx)
{
	u32 k = 0, slot = 3;
	void *inner = bpf_map_lookup_elem(&outer, &k);
	if (!inner)
		return XDP_PASS_;
	u64 *c = bpf_map_lookup_elem(inner, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	return XDP_PASS_;
}

SEC("xdp")
int parse_v6(struct xdp_md *ctx)
{
	return XDP_PASS_;
}

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP_;
	bpf_tail_call(ctx, &jmp_table, eth->h_proto == bpf_htons(ETH_P_IPV6) ? 1 : 0);
	return XDP_PASS_;
}

/* a tail call with an index from the packet, unchecked (allowed: the kernel checks at run time) */
SEC("xdp")
int dispatch_any(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	u8 *p = data;
	if ((void *)(p + 1) > data_end)
		return XDP_DROP_;
	bpf_tail_call(ctx, &jmp_table, *p);
	return XDP_PASS_;
}

/* mistake: the inner map pointer is used without a NULL check */
SEC("xdp")
int outer_nocheck(struct xdp_md *ctx)
{
	u32 k = 1, slot = 0;
	void *inner = bpf_map_lookup_elem(&outer, &k);
	u64 *c = bpf_map_lookup_elem(inner, &slot);
	return c ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: the inner map's value read past its 8 bytes */
SEC("xdp")
int inner_oob(struct xdp_md *ctx)
{
	u32 k = 0, slot = 0;
	void *inner = bpf_map_lookup_elem(&outer, &k);
	if (!inner)
		return XDP_PASS_;
	u64 *c = bpf_map_lookup_elem(inner, &slot);
	if (!c)
		return XDP_PASS_;
	return c[1] ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: a tail call on a map that is not a program array */
SEC("xdp")
int tail_wrong_map(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &inner_a, 0);
	return XDP_PASS_;
}

/* mistake: a program array lookup used as memory */
SEC("xdp")
int prog_array_lookup(struct xdp_md *ctx)
{
	u32 k = 0;
	void *p = bpf_map_lookup_elem(&jmp_table, &k);
	return p ? XDP_PASS_ : XDP_DROP_;
}
