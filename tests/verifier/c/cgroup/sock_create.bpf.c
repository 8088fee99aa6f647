/* cgroup/sock_create and post_bind: socket policy from bpf_sock fields,
 * the mark and priority writes these hooks allow. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

const volatile u32 deny_raw = 1;

SEC("cgroup/sock_create")
int sock_create_policy(struct bpf_sock *sk)
{
	if (deny_raw && sk->type == 3 /* SOCK_RAW */)
		return 0;
	sk->mark = 0x42;
	sk->priority = 6;
	return 1;
}

SEC("cgroup/post_bind4")
int post_bind4_check(struct bpf_sock *sk)
{
	if (sk->src_port == 22 && sk->src_ip4 != 0)
		return 0;
	return 1;
}

/* mistake: src_port cannot be written from sock_create */
SEC("cgroup/sock_create")
int sock_create_write_port(struct bpf_sock *sk)
{
	sk->src_port = 1;
	return 1;
}

/* mistake: a helper from the tracing world in a cgroup sock program */
SEC("cgroup/sock_create")
int sock_create_probe_read(struct bpf_sock *sk)
{
	u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), (void *)sk);
	return v != 0;
}
