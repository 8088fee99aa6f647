/* Global (non-static) functions are verified once on their own, from their BTF
 * argument types: pointer arguments may be NULL, results are unknown scalars. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct pkt_info {
	u32 saddr;
	u32 daddr;
	u16 proto;
	u16 len;
};

__noinline_ int parse_ipv4(void *data, void *data_end, struct pkt_info *info)
{
	if (!info)
		return -1;
	struct iphdr *ip = data;
	if ((void *)(ip + 1) > data_end)
		return -1;
	info->saddr = ip->saddr;
	info->daddr = ip->daddr;
	info->proto = ip->protocol;
	info->len = bpf_ntohs(ip->tot_len);
	return 0;
}

__noinline_ int classify(struct pkt_info *info)
{
	if (!info)
		return 0;
	return info->proto == IPPROTO_TCP_ ? 1 : 2;
}

SEC("tc")
int tc_global(struct __sk_buff *skb)
{
	struct pkt_info info = {};
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (parse_ipv4(data + ETH_HLEN, data_end, &info))
		return TC_ACT_OK_;
	return classify(&info) == 1 ? TC_ACT_OK_ : TC_ACT_SHOT_;
}

/* mistake: a global function dereferences its pointer argument without a NULL check */
__noinline_ int read_len(struct pkt_info *info)
{
	return info->len;
}

SEC("tc")
int tc_global_nonull(struct __sk_buff *skb)
{
	struct pkt_info info = { .len = 4 };
	return read_len(&info) ? TC_ACT_OK_ : TC_ACT_SHOT_;
}

/* a global function taking the context */
__noinline_ int ctx_len(struct __sk_buff *skb)
{
	if (!skb)
		return 0;
	return skb->len;
}

SEC("tc")
int tc_global_ctx(struct __sk_buff *skb)
{
	return ctx_len(skb) > 64 ? TC_ACT_OK_ : TC_ACT_SHOT_;
}

/* static subprograms: verified in the caller's context, pointer facts carried over */
static __noinline int sum_bytes(const u8 *p, int n)
{
	int s = 0;
	for (int i = 0; i < n && i < 16; i++)
		s += p[i];
	return s;
}

SEC("tc")
int tc_static_sub(struct __sk_buff *skb)
{
	u8 buf[16];
	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return TC_ACT_OK_;
	return sum_bytes(buf, 16) & 1 ? TC_ACT_OK_ : TC_ACT_SHOT_;
}

/* mistake: a static subprogram reads past the caller's buffer */
static __noinline int sum_bytes_oob(const u8 *p)
{
	int s = 0;
	for (int i = 0; i < 24; i++)
		s += p[i];
	return s;
}

SEC("tc")
int tc_static_sub_oob(struct __sk_buff *skb)
{
	u8 buf[16];
	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return TC_ACT_OK_;
	return sum_bytes_oob(buf) & 1;
}

/* mistake: passing a packet pointer to a global function expecting ordinary memory */
__noinline_ int first_byte(u8 *p)
{
	if (!p)
		return 0;
	return *p;
}

SEC("tc")
int tc_global_pkt_arg(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	if (data + 1 > data_end)
		return TC_ACT_OK_;
	return first_byte(data);
}
