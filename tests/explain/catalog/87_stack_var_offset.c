// message: "invalid variable-offset%s stack R%d var_off=%s off=%d size=%d"
// kind: program
// hint: i &= N - 1
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int size_histogram(struct __sk_buff *skb)
{
	__u8 counts[16] = {};
#ifdef FIXED
	__u32 b = (skb->len >> 6) & 15;
#else
	__u32 b = (skb->len >> 6) & 31; /* ROOT */
#endif
	counts[b] += 1; /* FAIL */
	bpf_ringbuf_output(&events, counts, sizeof(counts), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
