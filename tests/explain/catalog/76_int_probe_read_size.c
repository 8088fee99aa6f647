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

SEC("raw_tp/sys_enter")
int int_probe_read_size(struct bpf_raw_tracepoint_args *ctx)
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
		return 0;
	bpf_probe_read_kernel(buf, n, (void *)c->member); /* FAIL */
	bpf_ringbuf_output(&events, buf, sizeof(buf), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
