/* sk_lookup dispatch: steer connections to a socket held in a sockmap, with the
 * reference rules of bpf_map_lookup_elem on socket maps. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} socks SEC(".maps");

SEC("sk_lookup")
int steer(struct bpf_sk_lookup *ctx)
{
	if (ctx->protocol != IPPROTO_TCP_ || ctx->local_port < 8000 || ctx->local_port >= 8100)
		return SK_PASS;
	u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&socks, &key);
	if (!sk)
		return SK_DROP;
	long err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

/* mistake: the socket from the sockmap is not released */
SEC("sk_lookup")
int steer_leak(struct bpf_sk_lookup *ctx)
{
	u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&socks, &key);
	if (!sk)
		return SK_DROP;
	bpf_sk_assign(ctx, sk, 0);
	return SK_PASS;
}

SEC("sk_lookup")
int by_port(struct bpf_sk_lookup *ctx)
{
	return ctx->local_port == 22 ? SK_DROP : SK_PASS;
}

/* mistake: sk_lookup may only return SK_PASS or SK_DROP */
SEC("sk_lookup")
int bad_ret(struct bpf_sk_lookup *ctx)
{
	return ctx->local_port;
}
