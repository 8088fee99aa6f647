// message: ptr_bitwise
// kind: program
// hint: integers
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[8]);
} table SEC(".maps");

SEC("socket")
int aligned(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u8 *v = bpf_map_lookup_elem(&table, &key);
	if (!v)
		return 0;
#ifdef FIXED
	__u64 *slot = (__u64 *)(v + ((skb->len & 7) << 3));
#else
	__u64 *slot = (__u64 *)((unsigned long)(v + (skb->len & 63)) & ~7UL); /* FAIL */
#endif
	return *slot;
}

char LICENSE[] SEC("license") = "GPL";
