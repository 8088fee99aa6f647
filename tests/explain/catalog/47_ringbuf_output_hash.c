// message: map_func
// kind: program
// hint: matches the map type
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("socket")
int send_len(struct __sk_buff *skb)
{
	__u64 len = skb->len;
#ifdef FIXED
	bpf_ringbuf_output(&events, &len, sizeof(len), 0);
#else
	bpf_ringbuf_output(&counts, &len, sizeof(len), 0); /* FAIL */
#endif
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
