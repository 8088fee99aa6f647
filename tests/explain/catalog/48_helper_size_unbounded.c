// message: size_unbounded
// kind: program
// hint: sizeof(buf)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int copy_head(struct __sk_buff *skb)
{
	char buf[32] = {};
	__u32 n = skb->len | 1; /* ROOT */
#ifdef FIXED
	if (n > sizeof(buf))
		n = sizeof(buf);
#endif
	bpf_skb_load_bytes(skb, 0, buf, n); /* FAIL */
	bpf_ringbuf_output(&events, buf, sizeof(buf), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
