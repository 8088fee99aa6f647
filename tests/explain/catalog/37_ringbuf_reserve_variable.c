// message: "R%d is not a known constant'"
// kind: program
// hint: bpf_ringbuf_output
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int copy_head(struct __sk_buff *skb)
{
	__u32 n = skb->len; /* ROOT */
	char buf[64] = {};
	if (n > sizeof(buf))
		n = sizeof(buf);
#ifdef FIXED
	n &= sizeof(buf) - 1;
	bpf_skb_load_bytes(skb, 0, buf, sizeof(buf));
	bpf_ringbuf_output(&events, buf, n, 0);
#else
	char *rec = bpf_ringbuf_reserve(&events, n, 0); /* FAIL */
	if (!rec)
		return 0;
	bpf_ringbuf_discard(rec, 0);
#endif
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
