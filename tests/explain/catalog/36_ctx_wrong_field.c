// message: ctx_access
// kind: program
// hint: SEC()
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int read_mark(struct __sk_buff *skb)
{
#ifdef FIXED
	return skb->mark;
#else
	return *(__u32 *)((char *)skb + 1000); /* FAIL */
#endif
}

char LICENSE[] SEC("license") = "GPL";
