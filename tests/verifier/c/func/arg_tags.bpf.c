/* Global functions with argument tags (arg:ctx, arg:nonnull), returning
 * values the caller must bound, and a global function's stack. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} slots SEC(".maps");

__noinline_ int get_slot(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&slots, &idx);
	return v ? (int)*v : -1;
}

SEC("xdp")
int xdp_slot(struct xdp_md *ctx)
{
	return get_slot(3) > 0 ? XDP_PASS_ : XDP_DROP_;
}

__noinline_ int add_to(u64 *p __arg_nonnull_, u64 n)
{
	*p += n;
	return 0;
}

SEC("xdp")
int xdp_nonnull(struct xdp_md *ctx)
{
	u64 x = 1;
	add_to(&x, 2);
	return x == 3 ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: NULL passed for an arg:nonnull argument */
SEC("xdp")
int xdp_nonnull_null(struct xdp_md *ctx)
{
	add_to((u64 *)0, 2);
	return XDP_PASS_;
}

__noinline_ int pkt_len(void *ctx __arg_ctx_)
{
	struct xdp_md *x = ctx;
	return x->data_end - x->data;
}

SEC("xdp")
int xdp_arg_ctx(struct xdp_md *ctx)
{
	return pkt_len(ctx) > 64 ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: the caller indexes with the global function's result, which is any int */
__noinline_ int pick(u32 x)
{
	return x * 7;
}

SEC("xdp")
int xdp_result_index(struct xdp_md *ctx)
{
	u8 table[16] = {};
	table[1] = 1;
	return table[pick(ctx->ingress_ifindex)] ? XDP_PASS_ : XDP_DROP_;
}

/* the same, masked by the caller */
SEC("xdp")
int xdp_result_masked(struct xdp_md *ctx)
{
	u8 table[16] = {};
	table[1] = 1;
	return table[pick(ctx->ingress_ifindex) & 15] ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: a global function returning void used for its value is not possible in C;
 * instead, a global function that returns a pointer (not allowed) */
__noinline_ u64 *slot_ptr(u32 idx)
{
	return bpf_map_lookup_elem(&slots, &idx);
}

SEC("xdp")
int xdp_ptr_ret(struct xdp_md *ctx)
{
	u64 *v = slot_ptr(1);
	return v ? XDP_PASS_ : XDP_DROP_;
}
