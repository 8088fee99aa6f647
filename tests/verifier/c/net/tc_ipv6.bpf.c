/* tc on IPv6: flow label and hop limit, extension headers through
 * bpf_skb_load_bytes, a per-flow counter keyed by the addresses. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct flow6_key {
	u32 saddr[4];
	u32 daddr[4];
	u8 proto;
	u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow6_key);
	__type(value, u64);
} flows6 SEC(".maps");

SEC("tc")
int tc_count6(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return TC_ACT_OK_;
	struct flow6_key k = {};
	__builtin_memcpy(k.saddr, &ip6->saddr, 16);
	__builtin_memcpy(k.daddr, &ip6->daddr, 16);
	k.proto = ip6->nexthdr;
	u64 one = 1, *v = bpf_map_lookup_elem(&flows6, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&flows6, &k, &one, BPF_NOEXIST);
	return ip6->hop_limit <= 1 ? TC_ACT_SHOT_ : TC_ACT_OK_;
}

SEC("tc")
int tc_ext6(struct __sk_buff *skb)
{
	struct ipv6hdr ip6;
	u32 off = ETH_HLEN;
	if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)))
		return TC_ACT_OK_;
	u8 nh = ip6.nexthdr;
	off += sizeof(ip6);
	for (int i = 0; i < 4; i++) {
		struct { u8 nexthdr; u8 len; } h;
		if (nh != IPPROTO_HOPOPTS_ && nh != IPPROTO_DSTOPTS_ && nh != IPPROTO_ROUTING_)
			break;
		if (bpf_skb_load_bytes(skb, off, &h, sizeof(h)))
			return TC_ACT_OK_;
		nh = h.nexthdr;
		off += (h.len + 1) * 8;
	}
	return nh == IPPROTO_TCP_ ? TC_ACT_OK_ : TC_ACT_SHOT_;
}

/* mistake: the flow key has its padding left unwritten (a struct on the stack used as key) */
SEC("tc")
int tc_count6_pad(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	if ((void *)(ip6 + 1) > data_end)
		return TC_ACT_OK_;
	struct flow6_key k;
	__builtin_memcpy(k.saddr, &ip6->saddr, 16);
	__builtin_memcpy(k.daddr, &ip6->daddr, 16);
	k.proto = ip6->nexthdr;
	u64 one = 1;
	bpf_map_update_elem(&flows6, &k, &one, BPF_ANY);
	return TC_ACT_OK_;
}

/* mistake: the IPv6 header read 1 byte beyond the checked length */
SEC("tc")
int tc_count6_short(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	if ((void *)ip6 + 39 > data_end)
		return TC_ACT_OK_;
	return ip6->daddr.in6_u.u6_addr8[15] == 1 ? TC_ACT_SHOT_ : TC_ACT_OK_;
}

SEC("tc")
int tc_change_proto(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK_;
	if (bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0))
		return TC_ACT_SHOT_;
	return TC_ACT_OK_;
}
