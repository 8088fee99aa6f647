// message: unbounded_min_math
// kind: program
// hint: unsigned
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct ring { __s64 head; __u8 slots[64]; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ring);
} rings SEC(".maps");

SEC("socket")
int peek(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct ring *r = bpf_map_lookup_elem(&rings, &key);
	if (!r)
		return 0;
#ifdef FIXED
	__u64 head = r->head & 63;
#else
	__s64 head = r->head; /* ROOT */
#endif
	return r->slots[head]; /* FAIL */
}

char LICENSE[] SEC("license") = "GPL";
