// Several variables per global-data section: each at its own offset.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";
const volatile int a = 1;
const volatile int b = 2;
__u32 x = 10;
__u32 y = 20;
__u64 hits_a = 0;
__u64 hits_b = 0;

SEC("socket")
int two(struct __sk_buff *skb)
{
	hits_b += 3;
	return a * 100 + b + x + y;
}
