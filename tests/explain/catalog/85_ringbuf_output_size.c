// message: stack_bounds
// kind: program
// hint: sizeof(buf)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int sample_head(struct __sk_buff *skb)
{
	char buf[32] = {};
	bpf_skb_load_bytes(skb, 0, buf, sizeof(buf));
	__u32 n = skb->len;
#ifdef FIXED
	if (n > sizeof(buf))
		n = sizeof(buf);
#else
	if (n > 64) /* ROOT */
		n = 64;
#endif
	bpf_ringbuf_output(&events, buf, n, 0); /* FAIL */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
