// CO-RE on bitfields and narrow loads, resolved by pybpf and by libbpf against the
// running kernel (tests/elf/test_core_libbpf.py compares the two instruction by instruction).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* local views whose field types differ from the kernel's */
struct sock___narrow {
	u8 sk_protocol;          /* kernel: u16 -> a load libbpf cannot shrink... or grow */
	u64 sk_type;             /* kernel: u16 unsigned -> the load is adjusted to 2 bytes */
	int sk_userlocks;        /* kernel: u8; signed local -> poisoned */
} __attribute__((preserve_access_index));

struct sock_common___bits {
	unsigned char skc_reuse: 4;
	unsigned char skc_reuseport: 1;
} __attribute__((preserve_access_index));

u64 out[32];

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(bits_probed, struct sock *sk, int oldstate, int newstate)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct sock_common___bits *skc = (void *)sk;
	out[0] = BPF_CORE_READ_BITFIELD_PROBED(tp, is_cwnd_limited);
	out[1] = BPF_CORE_READ_BITFIELD_PROBED(&tp->inet_conn, icsk_ca_state);
	out[2] = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuse);
	out[3] = BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuseport);
	out[4] = __builtin_preserve_field_info(skc->skc_reuse, BPF_FIELD_LSHIFT_U64);
	out[5] = __builtin_preserve_field_info(skc->skc_reuse, BPF_FIELD_RSHIFT_U64);
	out[6] = __builtin_preserve_field_info(skc->skc_reuseport, BPF_FIELD_SIGNED);
	out[7] = __builtin_preserve_field_info(skc->skc_reuseport, BPF_FIELD_BYTE_SIZE);
	out[8] = __builtin_preserve_field_info(tp->is_cwnd_limited, BPF_FIELD_BYTE_OFFSET);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(bits_direct, struct sock *sk, int oldstate, int newstate)
{
	struct sock_common___bits *skc = (void *)sk;
	out[9] = BPF_CORE_READ_BITFIELD(skc, skc_reuse);
	out[10] = BPF_CORE_READ_BITFIELD(skc, skc_reuseport);
	out[11] = sk->sk_protocol;                 /* a 2-byte load */
	out[12] = sk->__sk_common.skc_state;       /* a 1-byte load through an anonymous union */
	out[13] = sk->__sk_common.skc_family;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(narrow_loads, struct sock *sk, int oldstate, int newstate)
{
	struct sock___narrow *n = (void *)sk;
	out[14] = n->sk_type;          /* u64 local, u16 kernel: adjusted */
	out[15] = n->sk_protocol;      /* u8 local, u16 kernel: adjusted (unsigned) */
	out[16] = bpf_core_field_size(n->sk_type);
	out[17] = __builtin_preserve_field_info(n->sk_userlocks, BPF_FIELD_SIGNED);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(narrow_signed, struct sock *sk, int oldstate, int newstate)
{
	struct sock___narrow *n = (void *)sk;
	if (oldstate == 12345)
		out[18] = n->sk_userlocks; /* int local, u8 kernel: libbpf poisons the load */
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(task_bits, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	out[19] = BPF_CORE_READ_BITFIELD_PROBED(prev, in_execve);
	out[20] = __builtin_preserve_field_info(prev->in_execve, BPF_FIELD_LSHIFT_U64);
	out[21] = __builtin_preserve_field_info(prev->in_execve, BPF_FIELD_RSHIFT_U64);
	out[22] = __builtin_preserve_field_info(prev->in_execve, BPF_FIELD_BYTE_SIZE);
	out[23] = BPF_CORE_READ(prev, mm, map_count);
	return 0;
}
