// message: unbounded_min_math
// kind: compiler
// hint: 64-bit
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct slots { __u64 v[16]; };
struct cfg { __u64 member; __s64 delta; __u64 len; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} table SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg);
} cfgs SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int difference_index(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct cfg *c = bpf_map_lookup_elem(&cfgs, &key);
	if (!c)
		return 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
#ifdef FIXED
	__s64 gap = c->len - c->member;
#else
	int gap = c->len - c->member;
#endif
	if (gap < 0 || gap > 15) /* ROOT */
		return 0;
	return s->v[gap]; /* FAIL */
}

char LICENSE[] SEC("license") = "GPL";
