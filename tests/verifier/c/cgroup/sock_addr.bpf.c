/* cgroup sock_addr hooks: connect4 rewrite, bind policy, sendmsg6, and
 * context fields that are read-only or need full-size access. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct backend {
	u32 ip;
	u16 port;
	u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, u32);
	__type(value, struct backend);
} services SEC(".maps");

SEC("cgroup/connect4")
int connect4_rewrite(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_TCP_)
		return 1;
	u32 vip = ctx->user_ip4;
	struct backend *be = bpf_map_lookup_elem(&services, &vip);
	if (!be)
		return 1;
	ctx->user_ip4 = be->ip;
	ctx->user_port = be->port;
	return 1;
}

SEC("cgroup/bind4")
int bind4_low_ports(struct bpf_sock_addr *ctx)
{
	u16 port = bpf_ntohs(ctx->user_port);
	if (port < 1024 && (bpf_get_current_uid_gid() & 0xffffffff) != 0)
		return 0;
	return 1;
}

SEC("cgroup/sendmsg6")
int sendmsg6_dns(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port != bpf_htons(53))
		return 1;
	ctx->user_ip6[0] = 0;
	ctx->user_ip6[1] = 0;
	ctx->user_ip6[2] = bpf_htonl(0xffff);
	ctx->user_ip6[3] = bpf_htonl(0x7f000001);
	return 1;
}

/* mistake: the socket family is read-only */
SEC("cgroup/connect4")
int connect4_write_family(struct bpf_sock_addr *ctx)
{
	ctx->family = AF_INET6_;
	return 1;
}

/* mistake: bind4 programs may not see the IPv6 address fields */
SEC("cgroup/connect4")
int connect4_read_ip6(struct bpf_sock_addr *ctx)
{
	return ctx->user_ip6[0] == 0;
}

/* the socket behind the context, through bpf_sk_lookup_tcp and a release */
SEC("cgroup/connect4")
int connect4_lookup(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_tuple tuple = {};
	tuple.ipv4.daddr = ctx->user_ip4;
	tuple.ipv4.dport = ctx->user_port;
	struct bpf_sock *sk = bpf_sk_lookup_tcp(ctx, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 1;
	int listening = sk->state == 10 /* TCP_LISTEN */;
	bpf_sk_release(sk);
	return listening ? 1 : 0;
}

/* mistake: the looked-up socket is never released */
SEC("cgroup/connect4")
int connect4_lookup_leak(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_tuple tuple = {};
	tuple.ipv4.daddr = ctx->user_ip4;
	tuple.ipv4.dport = ctx->user_port;
	struct bpf_sock *sk = bpf_sk_lookup_tcp(ctx, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 1;
	return sk->state == 10;
}
