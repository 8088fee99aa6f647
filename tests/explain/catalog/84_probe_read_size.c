// message: stack_bounds
// kind: program
// hint: sizeof(buf)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct req { __u64 src; __u32 len; __u32 pad; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct req);
} reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("raw_tp/sys_enter")
int copy_req(void *ctx)
{
	__u32 key = 0;
	struct req *r = bpf_map_lookup_elem(&reqs, &key);
	if (!r)
		return 0;
	char buf[32] = {};
	__u32 n = r->len;
#ifdef FIXED
	if (n > sizeof(buf))
		return 0;
#else
	if (n > 64) /* ROOT */
		return 0;
#endif
	bpf_probe_read_kernel(buf, n, (void *)r->src); /* FAIL */
	bpf_ringbuf_output(&events, buf, sizeof(buf), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
