/* tc programs that rewrite and redirect: L3/L4 checksum helpers, store_bytes,
 * redirect through an ifindex map, skb field writes that tc allows. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define IP_DST_OFF (ETH_HLEN + offsetof(struct iphdr, daddr))
#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define TCP_CSUM_OFF (ETH_HLEN + sizeof(struct iphdr) + offsetof(struct tcphdr, check))

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u32);
} nat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} out_if SEC(".maps");

SEC("tc")
int tc_dnat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK_;
	if (ip->protocol != IPPROTO_TCP_ || ip->ihl != 5)
		return TC_ACT_OK_;
	u32 old = ip->daddr;
	u32 *new = bpf_map_lookup_elem(&nat, &old);
	if (!new)
		return TC_ACT_OK_;
	u32 nv = *new;
	bpf_l4_csum_replace(skb, TCP_CSUM_OFF, old, nv, BPF_F_PSEUDO_HDR | sizeof(nv));
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old, nv, sizeof(nv));
	bpf_skb_store_bytes(skb, IP_DST_OFF, &nv, sizeof(nv), 0);
	return TC_ACT_OK_;
}

SEC("tc")
int tc_mirror(struct __sk_buff *skb)
{
	u32 zero = 0;
	u32 *ifindex = bpf_map_lookup_elem(&out_if, &zero);
	if (!ifindex || !*ifindex)
		return TC_ACT_OK_;
	bpf_clone_redirect(skb, *ifindex, 0);
	skb->mark = 0x1234;
	skb->priority = 3;
	skb->tc_classid = 0x10001;
	return TC_ACT_OK_;
}

/* mistake: the packet pointer is used after bpf_skb_store_bytes invalidated it */
SEC("tc")
int tc_dnat_stale(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + ETH_HLEN;
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK_;
	u32 nv = 0x0100007f;
	bpf_skb_store_bytes(skb, IP_DST_OFF, &nv, sizeof(nv), 0);
	return ip->ttl > 1 ? TC_ACT_OK_ : TC_ACT_SHOT_;
}

/* mistake: tc may not write the skb's len */
SEC("tc")
int tc_write_len(struct __sk_buff *skb)
{
	skb->len = 0;
	return TC_ACT_OK_;
}

SEC("tc")
int tc_vlan_push(struct __sk_buff *skb)
{
	if (skb->vlan_present)
		return TC_ACT_OK_;
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100);
	return TC_ACT_OK_;
}

/* mistake: the redirect target comes from a map value that may be NULL */
SEC("tc")
int tc_mirror_nocheck(struct __sk_buff *skb)
{
	u32 zero = 0;
	u32 *ifindex = bpf_map_lookup_elem(&nat, &zero);
	return bpf_redirect(*ifindex, 0);
}

SEC("tcx/ingress")
int tcx_count(struct __sk_buff *skb)
{
	u32 zero = 0;
	u32 *v = bpf_map_lookup_elem(&out_if, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	return TC_ACT_OK_;
}
