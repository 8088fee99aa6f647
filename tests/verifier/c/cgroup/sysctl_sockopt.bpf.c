/* cgroup/sysctl and cgroup/getsockopt,setsockopt: the hooks' own helpers and
 * their optval bounds. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup/sysctl")
int sysctl_readonly_net(struct bpf_sysctl *ctx)
{
	char name[32];
	if (!ctx->write)
		return 1;
	long n = bpf_sysctl_get_name(ctx, name, sizeof(name), 0);
	if (n < 4)
		return 1;
	if (name[0] == 'n' && name[1] == 'e' && name[2] == 't')
		return 0;
	return 1;
}

SEC("cgroup/sysctl")
int sysctl_new_value(struct bpf_sysctl *ctx)
{
	char val[16] = {};
	long n = bpf_sysctl_get_new_value(ctx, val, sizeof(val));
	if (n < 0)
		return 1;
	unsigned long v;
	if (bpf_strtoul(val, sizeof(val), 0, &v) < 0)
		return 1;
	return v < 1000;
}

SEC("cgroup/setsockopt")
int setsockopt_clamp(struct bpf_sockopt *ctx)
{
	void *optval = ctx->optval;
	void *optval_end = ctx->optval_end;
	if (ctx->level != 1 /* SOL_SOCKET */ || ctx->optname != 7 /* SO_SNDBUF */)
		return 1;
	int *v = optval;
	if ((void *)(v + 1) > optval_end)
		return 1;
	if (*v > 1 << 20)
		*v = 1 << 20;
	return 1;
}

/* mistake: optval read without the optval_end check */
SEC("cgroup/getsockopt")
int getsockopt_nocheck(struct bpf_sockopt *ctx)
{
	int *v = ctx->optval;
	if (ctx->optname == 7)
		return *v != 0;
	return 1;
}

/* mistake: bpf_strtoul given a buffer length larger than the buffer */
SEC("cgroup/sysctl")
int sysctl_strtoul_len(struct bpf_sysctl *ctx)
{
	char val[8] = {};
	bpf_sysctl_get_new_value(ctx, val, sizeof(val));
	unsigned long v;
	return bpf_strtoul(val, 16, 0, &v) >= 0;
}
