// message: unreleased_ref
// kind: program
// hint: bpf_ringbuf_submit
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} next SEC(".maps");

SEC("socket")
int stage0(struct __sk_buff *skb)
{
	__u32 *len = bpf_ringbuf_reserve(&events, sizeof(*len), 0); /* ROOT */
	if (!len)
		return 0;
	*len = skb->len;
#ifdef FIXED
	bpf_ringbuf_submit(len, 0);
#endif
	bpf_tail_call(skb, &next, 1); /* FAIL */
#ifndef FIXED
	bpf_ringbuf_submit(len, 0);
#endif
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
