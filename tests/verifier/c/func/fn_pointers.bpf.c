/* Function pointers: clang-19 lowers a call through a pointer to `callx`, which
 * the kernel does not accept; taking a function's address for bpf_loop or a
 * timer callback is the form that works. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static __noinline int add1(int x) { return x + 1; }
static __noinline int add2(int x) { return x + 2; }

/* mistake: an indirect call (callx) */
SEC("xdp")
int fp_call(struct xdp_md *ctx)
{
	int (*volatile fp)(int) = (ctx->rx_queue_index & 1) ? add1 : add2;
	return fp(1) & 1 ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: a table of handlers indexed by a packet byte */
static __noinline int on_tcp(struct xdp_md *ctx) { return XDP_PASS_; }
static __noinline int on_udp(struct xdp_md *ctx) { return XDP_DROP_; }

SEC("xdp")
int fp_table(struct xdp_md *ctx)
{
	int (*handlers[2])(struct xdp_md *) = { on_tcp, on_udp };
	u32 i = ctx->rx_queue_index & 1;
	return handlers[i](ctx);
}

/* the same dispatch written as a switch: direct calls */
SEC("xdp")
int fp_switch(struct xdp_md *ctx)
{
	switch (ctx->rx_queue_index & 1) {
	case 0:
		return on_tcp(ctx);
	default:
		return on_udp(ctx);
	}
}

static int loop_cb(u32 i, void *c)
{
	*(u64 *)c += i;
	return 0;
}

/* a function's address passed to a helper that takes a callback */
SEC("xdp")
int fp_callback(struct xdp_md *ctx)
{
	u64 sum = 0;
	bpf_loop(4, loop_cb, &sum, 0);
	return sum == 6 ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: a function address stored in a map value */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} fnmap SEC(".maps");

SEC("xdp")
int fp_to_map(struct xdp_md *ctx)
{
	u32 k = 0;
	u64 *v = bpf_map_lookup_elem(&fnmap, &k);
	if (!v)
		return XDP_PASS_;
	*v = (u64)loop_cb;
	return XDP_PASS_;
}
