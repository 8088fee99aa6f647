/* XDP parser for IPv4 with options: the header length comes from ihl, so the
 * L4 offset is variable and each access needs its own bounds check. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} proto_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u16);
	__type(value, u8);
} blocked_ports SEC(".maps");

SEC("xdp")
int xdp_count_proto(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS_;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS_;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS_;
	u32 key = ip->protocol;
	u64 *cnt = bpf_map_lookup_elem(&proto_count, &key);
	if (cnt)
		*cnt += 1;
	return XDP_PASS_;
}

SEC("xdp")
int xdp_block_port(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS_;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS_;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS_;
	u32 hlen = ip->ihl * 4;
	if (hlen < sizeof(*ip))
		return XDP_DROP_;
	if (ip->protocol != IPPROTO_TCP_)
		return XDP_PASS_;
	struct tcphdr *tcp = (void *)ip + hlen;
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS_;
	u16 port = bpf_ntohs(tcp->dest);
	if (bpf_map_lookup_elem(&blocked_ports, &port))
		return XDP_DROP_;
	return XDP_PASS_;
}

/* mistake: the TCP header is read at the variable offset before its bounds check */
SEC("xdp")
int xdp_block_port_early_read(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS_;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS_;
	u32 hlen = ip->ihl * 4;
	struct tcphdr *tcp = (void *)ip + hlen;
	u16 port = bpf_ntohs(tcp->dest);
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS_;
	if (bpf_map_lookup_elem(&blocked_ports, &port))
		return XDP_DROP_;
	return XDP_PASS_;
}

/* mistake: the Ethernet header is read with no check against data_end at all */
SEC("xdp")
int xdp_no_bounds(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return XDP_DROP_;
	return XDP_PASS_;
}

/* walk the IPv4 options themselves (type/length records) up to a fixed count */
SEC("xdp")
int xdp_ipv4_options(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS_;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS_;
	u8 *opt = (void *)(ip + 1);
	u8 *end = (u8 *)ip + ip->ihl * 4;
	int i;
	for (i = 0; i < 10; i++) {
		if ((void *)(opt + 2) > data_end || opt + 2 > end)
			break;
		if (opt[0] == 0)
			break;
		if (opt[0] == 1) {
			opt++;
			continue;
		}
		if (opt[0] == 0x94) /* router alert */
			return XDP_DROP_;
		u8 len = opt[1];
		if (len < 2)
			return XDP_DROP_;
		opt += len;
	}
	return XDP_PASS_;
}
