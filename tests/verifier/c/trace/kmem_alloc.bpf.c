/* Memory allocation tracing: kmem tracepoints with CO-RE ctx structs, a
 * per-call-site hash of outstanding bytes, and stack ids per site. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct alloc_info {
	u64 size;
	u64 ts;
	int stack_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, struct alloc_info);
} allocs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 64 * sizeof(u64));
} stack_traces SEC(".maps");

const volatile u64 min_size = 0;

SEC("tp/kmem/kmalloc")
int kmalloc_enter(struct trace_event_raw_kmalloc *ctx)
{
	if (ctx->bytes_alloc < min_size)
		return 0;
	struct alloc_info info = {};
	info.size = ctx->bytes_alloc;
	info.ts = bpf_ktime_get_ns();
	info.stack_id = bpf_get_stackid(ctx, &stack_traces, 0);
	u64 addr = (u64)ctx->ptr;
	bpf_map_update_elem(&allocs, &addr, &info, BPF_ANY);
	return 0;
}

SEC("tp/kmem/kfree")
int kfree_enter(struct trace_event_raw_kfree *ctx)
{
	u64 addr = (u64)ctx->ptr;
	bpf_map_delete_elem(&allocs, &addr);
	return 0;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(kmalloc_btf, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	struct alloc_info info = { .size = bytes_alloc, .ts = bpf_ktime_get_ns() };
	u64 addr = (u64)ptr;
	bpf_map_update_elem(&allocs, &addr, &info, BPF_ANY);
	return 0;
}

/* mistake: the allocated object's memory read through the tracepoint's ptr field */
SEC("tp/kmem/kmalloc")
int kmalloc_deref(struct trace_event_raw_kmalloc *ctx)
{
	const u64 *p = ctx->ptr;
	return p && *p;
}

/* mistake: bpf_get_stackid with a hash map */
SEC("tp/kmem/kmalloc")
int kmalloc_stackid_hash(struct trace_event_raw_kmalloc *ctx)
{
	return bpf_get_stackid(ctx, &allocs, 0);
}
