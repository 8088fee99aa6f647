// message: helper_invalid
// kind: environment
// hint: this kernel does not have
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* a helper newer than this kernel: id 999 */
static long (*bpf_future_helper)(void *ctx) = (void *)999;

SEC("socket")
int newest(struct __sk_buff *skb)
{
#ifdef FIXED
	return skb->len;
#else
	return bpf_future_helper(skb); /* FAIL */
#endif
}

char LICENSE[] SEC("license") = "GPL";
