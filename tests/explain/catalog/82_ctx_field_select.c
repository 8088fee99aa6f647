// message: "dereference of modified ctx ptr R%d off=%d disallowed"
// kind: compiler
// hint: asm volatile
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int pick_field(struct __sk_buff *skb)
{
#ifdef FIXED
	__u32 prio = skb->priority, mark = skb->mark;
	asm volatile("" : "+r"(prio), "+r"(mark));
	return skb->len > 100 ? prio : mark;
#else
	__u32 *f = &skb->mark;
	if (skb->len > 100) /* ROOT */
		f = &skb->priority;
	return *f; /* FAIL */
#endif
}

char LICENSE[] SEC("license") = "GPL";
