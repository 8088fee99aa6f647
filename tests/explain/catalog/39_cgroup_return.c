// message: retval_range
// kind: program
// hint: return 1;
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup_skb/egress")
int allow_small(struct __sk_buff *skb)
{
#ifdef FIXED
	return 1;
#else
	return 4; /* FAIL */
#endif
}

char LICENSE[] SEC("license") = "GPL";
