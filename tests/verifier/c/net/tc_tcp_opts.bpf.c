/* tc classifier that walks TCP options (kind/length records) to find the MSS,
 * with direct packet access after bpf_skb_pull_data. The walk is bounded by a
 * small iteration count (a byte-at-a-time walk over all 40 option bytes is more
 * than the verifier's 1M-instruction budget: loops/ keeps examples of that). */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u16);
} mss_seen SEC(".maps");

#define MAX_OPTS 6

SEC("tc")
int tc_find_mss(struct __sk_buff *skb)
{
	if (bpf_skb_pull_data(skb, 0) < 0)
		return TC_ACT_OK_;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK_;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_TCP_ || ip->ihl != 5)
		return TC_ACT_OK_;
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end || !tcp->syn)
		return TC_ACT_OK_;
	u8 *opt = (u8 *)(tcp + 1);
	u8 *opt_end = (u8 *)tcp + tcp->doff * 4;
	for (int i = 0; i < MAX_OPTS; i++) {
		if (opt >= opt_end || (void *)(opt + 1) > data_end)
			break;
		u8 kind = opt[0];
		if (kind == 0)
			break;
		if (kind == 1) {
			opt++;
			continue;
		}
		if ((void *)(opt + 2) > data_end)
			break;
		u8 len = opt[1];
		if (kind == 2 && len == 4) {
			if ((void *)(opt + 4) > data_end)
				break;
			u16 mss = (opt[2] << 8) | opt[3];
			u32 saddr = ip->saddr;
			bpf_map_update_elem(&mss_seen, &saddr, &mss, BPF_ANY);
			break;
		}
		if (len < 2)
			break;
		opt += len;
	}
	return TC_ACT_OK_;
}

/* mistake: option bytes read relative to the option pointer beyond the checked range */
SEC("tc")
int tc_find_mss_overread(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK_;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5)
		return TC_ACT_OK_;
	struct tcphdr *tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end)
		return TC_ACT_OK_;
	u8 *opt = (u8 *)(tcp + 1);
	if ((void *)(opt + 2) > data_end)
		return TC_ACT_OK_;
	if (opt[0] == 2) {
		u16 mss = (opt[2] << 8) | opt[3];
		return mss < 536 ? TC_ACT_SHOT_ : TC_ACT_OK_;
	}
	return TC_ACT_OK_;
}

/* reading through bpf_skb_load_bytes into a stack buffer instead of direct access */
SEC("tc")
int tc_load_bytes(struct __sk_buff *skb)
{
	struct iphdr ip;
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK_;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ip, sizeof(ip)) < 0)
		return TC_ACT_OK_;
	if (ip.protocol != IPPROTO_TCP_)
		return TC_ACT_OK_;
	u8 opts[40];
	u32 olen = ip.ihl * 4;
	if (olen <= sizeof(ip))
		return TC_ACT_OK_;
	olen -= sizeof(ip);
	if (olen > sizeof(opts))
		return TC_ACT_SHOT_;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr) + sizeof(ip), opts, olen) < 0)
		return TC_ACT_OK_;
	return opts[0] == 0x94 ? TC_ACT_SHOT_ : TC_ACT_OK_;
}

/* mistake: the length passed to bpf_skb_load_bytes is not bounded by the buffer */
SEC("tc")
int tc_load_bytes_unbounded(struct __sk_buff *skb)
{
	struct iphdr ip;
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr), &ip, sizeof(ip)) < 0)
		return TC_ACT_OK_;
	u8 opts[40];
	u32 olen = ip.ihl * 4 - sizeof(ip);
	if (bpf_skb_load_bytes(skb, sizeof(struct ethhdr) + sizeof(ip), opts, olen) < 0)
		return TC_ACT_OK_;
	return opts[0] == 0x94 ? TC_ACT_SHOT_ : TC_ACT_OK_;
}
