// message: invalid_mem_access
// kind: program
// hint: if (!p)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

SEC("socket")
int last_len(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	__u32 *prev = bpf_map_lookup_elem(&seen, &key); /* ROOT */
	__u32 len = skb->len;
	bpf_map_update_elem(&seen, &key, &len, BPF_ANY);
#ifdef FIXED
	if (!prev)
		return 0;
#endif
	return *prev; /* FAIL */
}

char LICENSE[] SEC("license") = "GPL";
