/* More sock_addr hooks: UDP sendmsg/recvmsg rewrites, getpeername/getsockname,
 * unix sockets, and the return values each hook accepts. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

const volatile u32 dns_ip = 0x0100007f;

SEC("cgroup/sendmsg4")
int sendmsg4_dns(struct bpf_sock_addr *ctx)
{
	if (ctx->type != 2 /* SOCK_DGRAM */ || ctx->user_port != bpf_htons(53))
		return 1;
	ctx->user_ip4 = dns_ip;
	ctx->msg_src_ip4 = 0;
	return 1;
}

SEC("cgroup/recvmsg4")
int recvmsg4_restore(struct bpf_sock_addr *ctx)
{
	if (ctx->user_ip4 == dns_ip)
		ctx->user_ip4 = bpf_htonl(0x08080808);
	return 1;
}

/* mistake: recvmsg hooks must return 1 */
SEC("cgroup/recvmsg4")
int recvmsg4_deny(struct bpf_sock_addr *ctx)
{
	return 0;
}

SEC("cgroup/getpeername4")
int getpeername4(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port == bpf_htons(8080))
		ctx->user_port = bpf_htons(80);
	return 1;
}

SEC("cgroup/getsockname6")
int getsockname6(struct bpf_sock_addr *ctx)
{
	return ctx->user_ip6[3] != 0 ? 1 : 1;
}

SEC("cgroup/connect_unix")
int connect_unix(struct bpf_sock_addr *ctx)
{
	return ctx->family == 1 /* AF_UNIX */;
}

/* mistake: msg_src_ip4 may only be written from sendmsg4 */
SEC("cgroup/connect4")
int connect4_src(struct bpf_sock_addr *ctx)
{
	ctx->msg_src_ip4 = 0;
	return 1;
}

/* mistake: a narrow (1-byte) write to user_port */
SEC("cgroup/connect4")
int connect4_narrow_write(struct bpf_sock_addr *ctx)
{
	*(u8 *)&ctx->user_port = 0;
	return 1;
}

SEC("cgroup/connect4")
int connect4_bind(struct bpf_sock_addr *ctx)
{
	struct sockaddr_in sa = {};
	sa.sin_family = AF_INET_;
	sa.sin_addr.s_addr = 0;
	sa.sin_port = 0;
	bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa));
	return 1;
}

/* mistake: bpf_bind with an address length the verifier cannot check */
SEC("cgroup/connect4")
int connect4_bind_len(struct bpf_sock_addr *ctx)
{
	struct sockaddr_in sa = {};
	bpf_bind(ctx, (struct sockaddr *)&sa, ctx->user_port & 0xff);
	return 1;
}
