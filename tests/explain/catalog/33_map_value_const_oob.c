// message: map_value_access
// kind: program
// hint: sizeof(value)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair { __u32 a, b; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pair);
} pairs SEC(".maps");

SEC("socket")
int read_past(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct pair *p = bpf_map_lookup_elem(&pairs, &key);
	if (!p)
		return 0;
#ifdef FIXED
	return p->b;
#else
	return ((__u32 *)p)[2]; /* FAIL */
#endif
}

char LICENSE[] SEC("license") = "GPL";
