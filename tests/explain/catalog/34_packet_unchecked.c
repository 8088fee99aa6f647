// message: packet_access
// kind: program
// hint: data_end
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <linux/if_ether.h>

SEC("xdp")
int drop_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
#ifdef FIXED
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
#endif
	if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6)) /* FAIL */
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
