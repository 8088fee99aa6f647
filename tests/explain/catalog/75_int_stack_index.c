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
int int_stack_index(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct cfg *c = bpf_map_lookup_elem(&cfgs, &key);
	if (!c)
		return 0;
	char hist[16] = {};
	bpf_skb_load_bytes(skb, 0, hist, sizeof(hist));
#ifdef FIXED
	__s64 b = c->delta;
#else
	int b = c->delta;
#endif
	if (b < 0 || b > 15) /* ROOT */
		return 0;
	hist[b] += 1; /* FAIL */
	bpf_ringbuf_output(&events, hist, sizeof(hist), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
