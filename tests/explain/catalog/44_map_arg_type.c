// message: arg_type
// kind: program
// hint: prototype
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("socket")
int count_mark(struct __sk_buff *skb)
{
#ifdef FIXED
	__u32 key = skb->mark;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
#else
	__u64 *v = bpf_map_lookup_elem(&counts, &skb->mark); /* FAIL */
#endif
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
