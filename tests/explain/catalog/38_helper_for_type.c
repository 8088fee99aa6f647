// message: helper_prog_type
// kind: environment
// hint: SEC()
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int grow(struct __sk_buff *skb)
{
#ifndef FIXED
	bpf_xdp_adjust_head((void *)skb, -4); /* FAIL */
#endif
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
