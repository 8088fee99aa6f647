// message: packet_access
// kind: program
// hint: data_end
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int drop_expiring(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;
#ifdef FIXED
	if (data + 34 > end)
		return XDP_PASS;
#else
	if (data + 14 > end) /* ROOT */
		return XDP_PASS;
#endif
	__u8 ttl = data[22]; /* FAIL */
	return ttl <= 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
