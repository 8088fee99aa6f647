// message: unreleased_ref
// kind: program
// hint: bpf_ringbuf_submit
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event { __u32 len; __u32 mark; };
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int report_big(struct __sk_buff *skb)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0); /* ROOT */
	if (!e)
		return 0;
	e->len = skb->len;
	if (e->len < 100) { /* FAIL */
#ifdef FIXED
		bpf_ringbuf_discard(e, 0);
#endif
		return 0;
	}
	e->mark = skb->mark;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
