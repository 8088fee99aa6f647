/* More iterators: netlink and IPv6 route walks, socket storage and sockmap
 * element iterators, and the return values and NULL rules they share. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("iter/netlink")
int dump_netlink(struct bpf_iter__netlink *ctx)
{
	struct netlink_sock *nlk = ctx->sk;
	if (!nlk)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%u %u\n", nlk->portid, nlk->sk.sk_protocol);
	return 0;
}

SEC("iter/ipv6_route")
int dump_routes(struct bpf_iter__ipv6_route *ctx)
{
	struct fib6_info *rt = ctx->rt;
	if (!rt)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%d %u\n", rt->fib6_dst.plen, rt->fib6_metric);
	return 0;
}

/* mistake: the route pointer is used without its NULL check */
SEC("iter/ipv6_route")
int dump_routes_nocheck(struct bpf_iter__ipv6_route *ctx)
{
	return ctx->rt->fib6_metric > 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, u64);
} sk_vals SEC(".maps");

SEC("iter/bpf_sk_storage_map")
int dump_sk_storage(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct sock *sk = ctx->sk;
	u64 *val = ctx->value;
	if (!sk || !val)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%u %llu\n", sk->__sk_common.skc_num, *val);
	return 0;
}

/* mistake: the storage value is written past its 8 bytes */
SEC("iter/bpf_sk_storage_map")
int dump_sk_storage_oob(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	u64 *val = ctx->value;
	if (!val)
		return 0;
	val[1] = 0;
	return 0;
}

SEC("iter/sockmap")
int dump_sockmap(struct bpf_iter__sockmap *ctx)
{
	struct sock *sk = ctx->sk;
	u32 *key = ctx->key;
	if (!key)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%u %d\n", *key, sk ? sk->__sk_common.skc_family : -1);
	return 0;
}

/* mistake: an iterator with a helper that needs a trusted task from an untrusted walk */
SEC("iter/task")
int task_storage_from_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	struct task_struct *parent = task->real_parent;
	return bpf_task_acquire(parent) != 0;
}
