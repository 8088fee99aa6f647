// message: size_negative
// kind: compiler
// hint: 64-bit
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct slots { __u64 v[16]; };
struct cfg { __u64 member; __s64 delta; __u64 len; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} table SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg);
} cfgs SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("xdp")
int xdp_load_bytes_len(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct cfg *c = bpf_map_lookup_elem(&cfgs, &key);
	if (!c)
		return 0;
	char buf[32] = {};
#ifdef FIXED
	__s64 n = c->len;
#else
	int n = c->len;
#endif
	if (n <= 0 || n > (int)sizeof(buf)) /* ROOT */
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, 0, buf, n)) /* FAIL */
		return XDP_PASS;
	return buf[0] ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
