// message: mem_access
// kind: program
// hint: within the size
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event { __u32 len; __u32 mark; };
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int report(struct __sk_buff *skb)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(__u32), 0); /* ROOT */
	if (!e)
		return 0;
	e->len = skb->len;
#ifndef FIXED
	e->mark = skb->mark; /* FAIL */
#endif
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
