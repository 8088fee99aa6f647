// message: ptr_arith_null
// kind: program
// hint: check a map lookup
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair { __u64 rx; __u64 tx; };
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct pair);
} stats SEC(".maps");

SEC("socket")
int count_tx(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	struct pair *p = bpf_map_lookup_elem(&stats, &key); /* ROOT */
#ifdef FIXED
	if (!p)
		return 0;
#endif
	/* the packet's first 8 bytes into the tx slot */
	bpf_skb_load_bytes(skb, 0, &p->tx, sizeof(p->tx)); /* FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
