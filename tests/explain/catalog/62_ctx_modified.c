// message: "dereference of modified ctx ptr R%d off=%d disallowed"
// kind: compiler
// hint: context pointer itself
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int cb_sum(struct __sk_buff *skb)
{
	__u32 sum = 0;
#ifdef FIXED
	sum = skb->cb[0] + skb->cb[1] + skb->cb[2] + skb->cb[3] + skb->cb[4];
#else
	__u32 *cb = skb->cb;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 5; i++)
		sum += cb[i]; /* FAIL */
#endif
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
