/* TCP state tracing: struct sock / inet_sock fields through CO-RE, from the
 * sock:inet_sock_set_state tracepoint, tp_btf and raw_tp; bitfield reads. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct tcp_event {
	u64 skaddr;
	u32 saddr, daddr;
	u16 sport, dport;
	u16 family, proto;
	int oldstate, newstate;
	u64 delta_us;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u64);
	__type(value, u64);
} birth SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} tcp_events SEC(".maps");

SEC("tp/sock/inet_sock_set_state")
int tp_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP_)
		return 0;
	u64 sk = (u64)ctx->skaddr;
	u64 now = bpf_ktime_get_ns();
	u64 *start = bpf_map_lookup_elem(&birth, &sk);
	struct tcp_event ev = {};
	ev.skaddr = sk;
	ev.oldstate = ctx->oldstate;
	ev.newstate = ctx->newstate;
	ev.sport = ctx->sport;
	ev.dport = ctx->dport;
	ev.family = ctx->family;
	__builtin_memcpy(&ev.saddr, ctx->saddr, 4);
	__builtin_memcpy(&ev.daddr, ctx->daddr, 4);
	if (start)
		ev.delta_us = (now - *start) / 1000;
	if (ctx->newstate == 7 /* TCP_CLOSE */)
		bpf_map_delete_elem(&birth, &sk);
	else
		bpf_map_update_elem(&birth, &sk, &now, BPF_ANY);
	bpf_perf_event_output(ctx, &tcp_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct tcp_event ev = {};
	if (sk->sk_protocol != IPPROTO_TCP_)
		return 0;
	ev.family = sk->__sk_common.skc_family;
	ev.saddr = sk->__sk_common.skc_rcv_saddr;
	ev.daddr = sk->__sk_common.skc_daddr;
	ev.dport = bpf_ntohs(sk->__sk_common.skc_dport);
	ev.sport = sk->__sk_common.skc_num;
	ev.oldstate = oldstate;
	ev.newstate = newstate;
	bpf_perf_event_output(ctx, &tcp_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct tcp_event ev = {};
	struct inet_sock *inet = (struct inet_sock *)sk;
	ev.proto = BPF_CORE_READ(sk, sk_protocol);
	ev.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev.sport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	ev.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ev.saddr = BPF_CORE_READ(inet, inet_saddr);
	ev.daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	ev.oldstate = oldstate;
	ev.newstate = newstate;
	bpf_perf_event_output(ctx, &tcp_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

/* socket flags read as bitfields through probe reads (BPF_CORE_READ_BITFIELD_PROBED) */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_bitfields, struct sock *sk, int oldstate, int newstate)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	u64 a = BPF_CORE_READ_BITFIELD_PROBED(tp, is_cwnd_limited);
	u64 b = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_userlocks);
	u64 c = BPF_CORE_READ_BITFIELD_PROBED(&tp->inet_conn, icsk_ca_state);
	return (a + b + c) & 1;
}

/* the same bitfields read directly from a BTF pointer (BPF_CORE_READ_BITFIELD) */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_bitfields, struct sock *sk, int oldstate, int newstate)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	u64 a = BPF_CORE_READ_BITFIELD(tp, is_cwnd_limited);
	u64 b = BPF_CORE_READ_BITFIELD(sk, sk_userlocks);
	return (a + b) & 1;
}

/* mistake: the tracepoint's skaddr is a plain number, not a pointer to read */
SEC("tp/sock/inet_sock_set_state")
int tp_state_deref(struct trace_event_raw_inet_sock_set_state *ctx)
{
	const struct sock *sk = ctx->skaddr;
	return sk->sk_protocol;
}

/* mistake: writing through a BTF pointer of a tracing program */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_state_write, struct sock *sk, int oldstate, int newstate)
{
	sk->sk_mark = 1;
	return 0;
}
