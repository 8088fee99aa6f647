// message: "write into map forbidden, value_size=%d off=%d size=%d"
// kind: program
// hint: without `const`
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifdef FIXED
volatile __u32 threshold = 100;
#else
const volatile __u32 threshold = 100;
#endif

SEC("socket")
int adapt(struct __sk_buff *skb)
{
	if (skb->len > threshold)
		*(volatile __u32 *)&threshold = skb->len; /* FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
