// message: gpl_only
// kind: environment
// hint: GPL
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int trace_len(struct __sk_buff *skb)
{
	char fmt[] = "len %u";
	bpf_trace_printk(fmt, sizeof(fmt), skb->len); /* FAIL */
	return 0;
}

#ifdef FIXED
char LICENSE[] SEC("license") = "Dual MIT/GPL";
#else
char LICENSE[] SEC("license") = "MIT";
#endif
