// message: "At program exit the register R%d is not a known value (%s)"
// kind: program
// hint: return a number
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} blocked SEC(".maps");

SEC("cgroup_skb/egress")
int allow(struct __sk_buff *skb)
{
	__u32 key = skb->mark;
#ifdef FIXED
	return bpf_map_lookup_elem(&blocked, &key) == NULL;
#else
	return (long)bpf_map_lookup_elem(&blocked, &key); /* FAIL */
#endif
}

char LICENSE[] SEC("license") = "GPL";
