// message: size_negative
// kind: program
// hint: unsigned
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int copy_payload(struct __sk_buff *skb)
{
	char buf[32] = {};
#ifdef FIXED
	__u32 n = skb->len - 14;
#else
	int n = skb->len - 14; /* ROOT */
#endif
	if (n > (int)sizeof(buf))
		n = sizeof(buf);
	if (n == 0)
		return 0;
	bpf_skb_load_bytes(skb, 14, buf, n); /* FAIL */
	bpf_ringbuf_output(&events, buf, sizeof(buf), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
