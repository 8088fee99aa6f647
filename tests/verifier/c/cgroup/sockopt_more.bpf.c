/* getsockopt/setsockopt: optlen adjustments, optval ranges past the first page,
 * and the retval field of getsockopt. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define SOL_TCP_ 6
#define TCP_CONGESTION_ 13

SEC("cgroup/getsockopt")
int getsockopt_hide(struct bpf_sockopt *ctx)
{
	if (ctx->level != SOL_TCP_ || ctx->optname != TCP_CONGESTION_)
		return 1;
	char *v = ctx->optval;
	if ((void *)(v + 4) > ctx->optval_end)
		return 1;
	v[0] = 'r';
	v[1] = 'e';
	v[2] = 'n';
	v[3] = 'o';
	ctx->optlen = 4;
	ctx->retval = 0;
	return 1;
}

SEC("cgroup/setsockopt")
int setsockopt_bypass(struct bpf_sockopt *ctx)
{
	if (ctx->optlen > 4096) {
		ctx->optlen = 0;
		return 1;
	}
	return 1;
}

/* mistake: setsockopt may not write retval */
SEC("cgroup/setsockopt")
int setsockopt_retval(struct bpf_sockopt *ctx)
{
	ctx->retval = 0;
	return 1;
}

/* mistake: optval written one byte past optval_end's check */
SEC("cgroup/getsockopt")
int getsockopt_overflow(struct bpf_sockopt *ctx)
{
	char *v = ctx->optval;
	if ((void *)(v + 4) > ctx->optval_end)
		return 1;
	v[4] = 0;
	return 1;
}

SEC("cgroup/getsockopt")
int getsockopt_sk(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	if (!sk)
		return 1;
	return sk->family == AF_INET6_ ? 1 : 1;
}

/* mistake: getsockopt programs may return only 0 or 1 */
SEC("cgroup/getsockopt")
int getsockopt_ret(struct bpf_sockopt *ctx)
{
	return 2;
}
