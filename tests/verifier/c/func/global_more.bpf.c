/* More global functions: void globals, shared helpers called from two program
 * types, map value pointers as arguments, and a recursion the verifier refuses. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

__noinline_ void count(u32 idx)
{
	u64 *v = bpf_map_lookup_elem(&stats, &idx);
	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	count(0);
	return XDP_PASS_;
}

SEC("tc")
int tc_count(struct __sk_buff *skb)
{
	count(1);
	return TC_ACT_OK_;
}

__noinline_ int sum_value(u64 *v)
{
	if (!v)
		return 0;
	return *v + 1;
}

SEC("tc")
int tc_value_arg(struct __sk_buff *skb)
{
	u32 k = 2;
	u64 *v = bpf_map_lookup_elem(&stats, &k);
	return sum_value(v) & 1;
}

/* mistake: the global reads 16 bytes through a pointer to an 8-byte value */
__noinline_ u64 read_two(u64 *v)
{
	if (!v)
		return 0;
	return v[0] + v[1];
}

SEC("tc")
int tc_value_oob(struct __sk_buff *skb)
{
	u32 k = 2;
	u64 *v = bpf_map_lookup_elem(&stats, &k);
	return read_two(v) & 1;
}

/* mistake: recursion */
static __noinline int fact(int n)
{
	if (n <= 1)
		return 1;
	return n * fact(n - 1);
}

SEC("tc")
int tc_recursion(struct __sk_buff *skb)
{
	return fact(skb->len & 7) & 1;
}

/* a chain of static calls, eight frames deep */
static __noinline int l8(int x) { return x + 8; }
static __noinline int l7(int x) { return l8(x) + 7; }
static __noinline int l6(int x) { return l7(x) + 6; }
static __noinline int l5(int x) { return l6(x) + 5; }
static __noinline int l4(int x) { return l5(x) + 4; }
static __noinline int l3(int x) { return l4(x) + 3; }
static __noinline int l2(int x) { return l3(x) + 2; }
static __noinline int l1(int x) { return l2(x) + 1; }

/* mistake: the call chain is deeper than the kernel's 8 frames */
SEC("tc")
int tc_deep_calls(struct __sk_buff *skb)
{
	return l1(skb->len) & 1;
}
