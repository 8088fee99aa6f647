// message: "value %d makes %s pointer be out of bounds"
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
int byte_offset_in_value(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct cfg *c = bpf_map_lookup_elem(&cfgs, &key);
	if (!c)
		return 0;
	struct slots *s = bpf_map_lookup_elem(&table, &key);
	if (!s)
		return 0;
#ifdef FIXED
	__s64 off = c->delta;
#else
	int off = c->delta;
#endif
	if (off < 0 || off >= (int)sizeof(*s)) /* ROOT */
		return 0;
	return *((__u8 *)s + off); /* FAIL */
}

char LICENSE[] SEC("license") = "GPL";
