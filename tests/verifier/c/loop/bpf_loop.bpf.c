/* bpf_loop callbacks: a context struct on the caller's stack, early stop,
 * and the callback rules (return value, stack access through the context). */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct loop_ctx {
	u64 sum;
	u32 limit;
	u32 hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} table SEC(".maps");

static int sum_cb(u32 idx, struct loop_ctx *c)
{
	u32 k = idx;
	u64 *v = bpf_map_lookup_elem(&table, &k);
	if (!v)
		return 1;
	c->sum += *v;
	if (c->sum > c->limit)
		return 1;
	c->hits++;
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int loop_sum(void *ctx)
{
	struct loop_ctx c = { .limit = 1000 };
	bpf_loop(64, sum_cb, &c, 0);
	return c.hits;
}

static int count_cb(u32 idx, u64 *n)
{
	*n += idx;
	return 0;
}

SEC("xdp")
int loop_in_xdp(struct xdp_md *ctx)
{
	u64 n = 0;
	bpf_loop(1000, count_cb, &n, 0);
	return n > 10 ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: the callback returns 2 (only 0 and 1 are allowed) */
static int bad_ret_cb(u32 idx, u64 *n)
{
	*n += 1;
	return 2;
}

SEC("tp/syscalls/sys_enter_getpid")
int loop_bad_ret(void *ctx)
{
	u64 n = 0;
	bpf_loop(8, bad_ret_cb, &n, 0);
	return n;
}

/* mistake: nonzero flags */
SEC("tp/syscalls/sys_enter_getpid")
int loop_flags(void *ctx)
{
	u64 n = 0;
	bpf_loop(8, count_cb, &n, 1);
	return n;
}

/* mistake: the callback indexes an array in the context with its index, unbounded */
struct arr_ctx {
	u32 vals[8];
};

static int arr_cb(u32 idx, struct arr_ctx *c)
{
	c->vals[idx] = idx;
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int loop_index_oob(void *ctx)
{
	struct arr_ctx c = {};
	bpf_loop(8, arr_cb, &c, 0);
	return c.vals[3];
}

/* the same, masked */
static int arr_cb_masked(u32 idx, struct arr_ctx *c)
{
	c->vals[idx & 7] = idx;
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int loop_index_masked(void *ctx)
{
	struct arr_ctx c = {};
	bpf_loop(8, arr_cb_masked, &c, 0);
	return c.vals[3];
}
