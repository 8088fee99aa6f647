// C twin of examples/biolatency.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct rq { __u32 dev; __u64 sector; };
struct rq_ctx { __u64 common; __u32 dev; __u32 pad; __u64 sector; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct rq);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} usecs SEC(".maps");

static __always_inline __u32 log2l(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r = 32; }
	if (v > 0xFFFF) { v >>= 16; r += 16; }
	if (v > 0xFF) { v >>= 8; r += 8; }
	if (v > 0xF) { v >>= 4; r += 4; }
	if (v > 0x3) { v >>= 2; r += 2; }
	if (v > 0x1) r += 1;
	return r;
}

SEC("tracepoint/block/block_rq_issue")
int rq_issue(struct rq_ctx *ctx)
{
	struct rq k = {};
	__u64 ts = bpf_ktime_get_ns();

	k.dev = ctx->dev;
	k.sector = ctx->sector;
	bpf_map_update_elem(&start, &k, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int rq_complete(struct rq_ctx *ctx)
{
	struct rq k = {};
	__u64 *tsp, *slot;
	__u32 idx;

	k.dev = ctx->dev;
	k.sector = ctx->sector;
	tsp = bpf_map_lookup_elem(&start, &k);
	if (!tsp || *tsp == 0)
		return 0;
	idx = log2l((bpf_ktime_get_ns() - *tsp) / 1000);
	slot = bpf_map_lookup_elem(&usecs, &idx);
	if (slot)
		__sync_fetch_and_add(slot, 1);
	bpf_map_delete_elem(&start, &k);
	return 0;
}
