/* Block I/O latency: tp_btf block_rq_issue/complete keyed by request pointer,
 * a log2 histogram per disk, and the raw_tp flavour with CO-RE reads. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_SLOTS 27

struct hist_key {
	u32 dev;
	u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct request *);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hist_key);
	__type(value, u64);
} hists SEC(".maps");

const volatile bool per_disk = true;

static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(rq_issue, struct request *rq)
{
	u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &rq, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(rq_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	u64 *tsp = bpf_map_lookup_elem(&start, &rq);
	if (!tsp)
		return 0;
	u64 delta = (bpf_ktime_get_ns() - *tsp) / 1000;
	struct hist_key k = {};
	if (per_disk && rq->q && rq->q->disk)
		k.dev = rq->q->disk->major << 20 | rq->q->disk->first_minor;
	k.slot = log2_u64(delta);
	if (k.slot >= MAX_SLOTS)
		k.slot = MAX_SLOTS - 1;
	u64 one = 1, *c = bpf_map_lookup_elem(&hists, &k);
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&hists, &k, &one, BPF_NOEXIST);
	bpf_map_delete_elem(&start, &rq);
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(rq_complete_raw, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	u64 *tsp = bpf_map_lookup_elem(&start, &rq);
	if (!tsp)
		return 0;
	struct hist_key k = {};
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
	if (disk)
		k.dev = BPF_CORE_READ(disk, major) << 20 | BPF_CORE_READ(disk, first_minor);
	k.slot = log2_u64(bpf_ktime_get_ns() - *tsp);
	if (k.slot >= MAX_SLOTS)
		k.slot = MAX_SLOTS - 1;
	u64 one = 1;
	bpf_map_update_elem(&hists, &k, &one, BPF_ANY);
	return 0;
}

/* mistake: the disk pointer of a tp_btf request may be NULL: rq->q->disk->major without a check
 * is still accepted for BTF pointers (the read of a NULL BTF pointer is caught at run time) */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(rq_complete_nocheck, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	return rq->q->disk->major;
}

/* mistake: a map key that is a kernel pointer read from a raw_tp argument is fine, but
 * reading rq->q directly in raw_tp is not */
SEC("raw_tp/block_rq_issue")
int BPF_PROG(rq_issue_raw_deref, struct request *rq)
{
	return rq->q != 0;
}
