/* sock_ops: RTT callbacks, a sockhash insert on established connections,
 * and reading the socket through bpf_sock_ops fields. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct sock_key {
	u32 sip, dip;
	u32 sport, dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 1024);
	__type(key, struct sock_key);
	__type(value, u64);
} sock_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u32);
} srtt SEC(".maps");

SEC("sockops")
int sockops_track(struct bpf_sock_ops *skops)
{
	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB: {
		if (skops->family != AF_INET_)
			break;
		struct sock_key key = {
			.sip = skops->local_ip4,
			.dip = skops->remote_ip4,
			.sport = skops->local_port,
			.dport = bpf_ntohl(skops->remote_port),
		};
		bpf_sock_hash_update(skops, &sock_map, &key, BPF_NOEXIST);
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
		break;
	}
	case BPF_SOCK_OPS_RTT_CB: {
		u32 ip = skops->remote_ip4;
		u32 rtt = skops->srtt_us >> 3;
		bpf_map_update_elem(&srtt, &ip, &rtt, BPF_ANY);
		break;
	}
	}
	return 1;
}

/* the full socket pointer, checked for NULL before use */
SEC("sockops")
int sockops_sk(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	if (!sk)
		return 1;
	return sk->protocol == IPPROTO_TCP_;
}

/* mistake: skops->sk may be NULL */
SEC("sockops")
int sockops_sk_nocheck(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	return sk->protocol == IPPROTO_TCP_;
}

/* mistake: the sockhash key is a struct on the stack with a hole left unwritten */
SEC("sockops")
int sockops_partial_key(struct bpf_sock_ops *skops)
{
	struct sock_key key;
	key.sip = skops->local_ip4;
	key.dip = skops->remote_ip4;
	key.sport = skops->local_port;
	if (skops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		bpf_sock_hash_update(skops, &sock_map, &key, BPF_NOEXIST);
	return 1;
}
