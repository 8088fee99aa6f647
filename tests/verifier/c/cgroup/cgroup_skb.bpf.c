/* cgroup_skb filters: per-cgroup byte accounting, a deny list on the
 * destination address, and what these programs may and may not return. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u64);
} bytes_by_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct { u32 prefixlen; u32 addr; });
	__type(value, u8);
} deny SEC(".maps");

SEC("cgroup_skb/egress")
int egress_account(struct __sk_buff *skb)
{
	u64 id = bpf_skb_cgroup_id(skb);
	u64 *v = bpf_map_lookup_elem(&bytes_by_cgroup, &id);
	if (v) {
		__sync_fetch_and_add(v, skb->len);
	} else {
		u64 len = skb->len;
		bpf_map_update_elem(&bytes_by_cgroup, &id, &len, BPF_ANY);
	}
	return 1;
}

SEC("cgroup_skb/egress")
int egress_deny(struct __sk_buff *skb)
{
	struct iphdr ip;
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 1;
	struct { u32 prefixlen; u32 addr; } key = { 32, ip.daddr };
	return bpf_map_lookup_elem(&deny, &key) ? 0 : 1;
}

SEC("cgroup_skb/ingress")
int ingress_direct(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return 1;
	return ip->ttl > 1;
}

/* mistake: cgroup_skb may only return 0 or 1 (3 is outside the range) */
SEC("cgroup_skb/ingress")
int ingress_bad_ret(struct __sk_buff *skb)
{
	return skb->len > 100 ? 3 : 1;
}

/* the '?' prefix: present in the object, not loaded automatically by libbpf */
SEC("?cgroup_skb/egress")
int egress_optional(struct __sk_buff *skb)
{
	return skb->len < 65536;
}
