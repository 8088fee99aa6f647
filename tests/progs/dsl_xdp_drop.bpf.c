// C twin of examples/xdp_drop.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

SEC("xdp")
int drop_udp_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + ETH_HLEN;
	struct udphdr *udp = data + ETH_HLEN + 20;
	__u64 one = 1, *n;
	__u32 src;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || *(__u8 *)ip != 0x45)
		return XDP_PASS;
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(9999))
		return XDP_PASS;
	src = bpf_ntohl(ip->saddr);
	n = bpf_map_lookup_elem(&drops, &src);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&drops, &src, &one, BPF_NOEXIST);
	return XDP_DROP;
}
