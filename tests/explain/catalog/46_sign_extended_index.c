// message: "value %d makes %s pointer be out of bounds"
// kind: program
// hint: unsigned
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct row { __u8 bytes[64]; };
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
#ifdef FIXED
	__u64 off = skb->cb[0] & 63;
#else
	long off = (long)(int)skb->cb[0]; /* ROOT */
#endif
	return *((__u8 *)r + off); /* FAIL */
}

char LICENSE[] SEC("license") = "GPL";
