// message: "cannot write into packet"
// kind: environment
// hint: tc, xdp
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup_skb/egress")
int clear_tos(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u8 *tos = data + 1;
	if ((void *)(tos + 1) > end)
		return 1;
#ifdef FIXED
	return *tos != 0xff;
#else
	*tos = 0; /* FAIL */
	return 1;
#endif
}

char LICENSE[] SEC("license") = "GPL";
