// message: ld_abs_prog_type
// kind: environment
// hint: data/data_end
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

SEC("xdp")
int proto(struct xdp_md *ctx)
{
#ifdef FIXED
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (data + 24 > end)
		return XDP_PASS;
	return ((unsigned char *)data)[23] == 6 ? XDP_DROP : XDP_PASS;
#else
	return load_byte(ctx, 23) == 6 ? XDP_DROP : XDP_PASS; /* FAIL */
#endif
}

char LICENSE[] SEC("license") = "GPL";
