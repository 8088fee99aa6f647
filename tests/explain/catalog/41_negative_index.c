// message: min_negative_index
// kind: program
// hint: unsigned
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct row { __s8 shift; __u8 bytes[64]; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct row);
} table SEC(".maps");

SEC("socket")
int byte_at(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct row *r = bpf_map_lookup_elem(&table, &key);
	if (!r)
		return 0;
	int at = r->shift; /* ROOT */
#ifdef FIXED
	if (at < 0)
		return 0;
#endif
	if (at >= 64)
		return 0;
	return r->bytes[at]; /* FAIL */
}

char LICENSE[] SEC("license") = "GPL";
