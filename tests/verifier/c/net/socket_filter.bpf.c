/* Socket filters: classic load_byte style reads, skb fields, and a counter. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} by_proto SEC(".maps");

SEC("socket")
int sock_count_proto(struct __sk_buff *skb)
{
	u32 proto = load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol));
	if (skb->pkt_type != 4 /* PACKET_OUTGOING */) {
		u64 *v = bpf_map_lookup_elem(&by_proto, &proto);
		if (v)
			__sync_fetch_and_add(v, skb->len);
	}
	return 0;
}

SEC("socket")
int sock_keep_dns(struct __sk_buff *skb)
{
	if (load_half(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP)
		return 0;
	if (load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol)) != IPPROTO_UDP_)
		return 0;
	u32 ihl = (load_byte(skb, ETH_HLEN) & 0xf) * 4;
	u32 dport = load_half(skb, ETH_HLEN + ihl + offsetof(struct udphdr, dest));
	return dport == 53 ? -1 : 0;
}

/* mistake: a socket filter may not read data/data_end directly */
SEC("socket")
int sock_direct_access(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return 0;
	return eth->h_proto == bpf_htons(ETH_P_IP) ? -1 : 0;
}

/* mistake: writes to a read-only skb field */
SEC("socket")
int sock_write_mark(struct __sk_buff *skb)
{
	skb->mark = 7;
	return -1;
}

/* mistake: a helper not available to socket filters */
SEC("socket")
int sock_wrong_helper(struct __sk_buff *skb)
{
	bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0);
	return -1;
}
