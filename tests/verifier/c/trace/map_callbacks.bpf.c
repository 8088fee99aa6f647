/* Callback helpers in tracing programs: bpf_for_each_map_elem over a hash map,
 * bpf_find_vma on the current task, per-CPU lookups with bpf_map_lookup_percpu_elem. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} pcpu SEC(".maps");

struct sum_ctx {
	u64 total;
	u32 seen;
};

static long sum_elem(struct bpf_map *map, u32 *key, u64 *val, struct sum_ctx *c)
{
	c->total += *val;
	c->seen++;
	return c->seen >= 100;
}

SEC("tp/syscalls/sys_enter_getpid")
int sum_all(void *ctx)
{
	struct sum_ctx c = {};
	bpf_for_each_map_elem(&counts, sum_elem, &c, 0);
	return c.total > 1000;
}

/* mistake: the callback writes its value pointer past the value */
static long bad_elem(struct bpf_map *map, u32 *key, u64 *val, struct sum_ctx *c)
{
	val[1] = 0;
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int sum_bad_cb(void *ctx)
{
	struct sum_ctx c = {};
	bpf_for_each_map_elem(&counts, bad_elem, &c, 0);
	return 0;
}

/* mistake: the callback returns a value outside [0, 1] */
static long ret2_elem(struct bpf_map *map, u32 *key, u64 *val, struct sum_ctx *c)
{
	return 2;
}

SEC("tp/syscalls/sys_enter_getpid")
int sum_ret2(void *ctx)
{
	struct sum_ctx c = {};
	bpf_for_each_map_elem(&counts, ret2_elem, &c, 0);
	return 0;
}

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, u64 *out)
{
	*out = vma->vm_end - vma->vm_start;
	return 0;
}

SEC("perf_event")
int vma_of_ip(struct bpf_perf_event_data *ctx)
{
	u64 size = 0;
	struct task_struct *t = bpf_get_current_task_btf();
	bpf_find_vma(t, PT_REGS_IP(&ctx->regs), vma_cb, &size, 0);
	return size > 4096;
}

SEC("tp/syscalls/sys_enter_getpid")
int percpu_sum(void *ctx)
{
	u32 key = 0;
	u64 sum = 0;
	for (u32 cpu = 0; cpu < 2; cpu++) {
		u64 *v = bpf_map_lookup_percpu_elem(&pcpu, &key, cpu);
		if (v)
			sum += *v;
	}
	return sum & 1;
}

/* mistake: the per-CPU value of another CPU is used without a NULL check */
SEC("tp/syscalls/sys_enter_getpid")
int percpu_nocheck(void *ctx)
{
	u32 key = 0;
	u64 *v = bpf_map_lookup_percpu_elem(&pcpu, &key, 1);
	return *v & 1;
}

/* mistake: bpf_for_each_map_elem on a map type it does not support */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int for_each_ringbuf(void *ctx)
{
	struct sum_ctx c = {};
	bpf_for_each_map_elem(&rb, sum_elem, &c, 0);
	return 0;
}
