// message: combined_stack
// kind: verifier_limit
// hint: per-CPU array
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

static __noinline int emit(struct __sk_buff *skb)
{
	char rec[320] = {};
	bpf_skb_load_bytes(skb, 0, rec, sizeof(rec));
	return bpf_ringbuf_output(&events, rec, sizeof(rec), 0);
}

SEC("socket")
int twice(struct __sk_buff *skb)
{
#ifdef FIXED
	char head[16] = {};
#else
	char head[256] = {};
#endif
	bpf_skb_load_bytes(skb, 0, head, sizeof(head));
	bpf_ringbuf_output(&events, head, sizeof(head), 0);
	return emit(skb); /* FAIL */
}

char LICENSE[] SEC("license") = "GPL";
