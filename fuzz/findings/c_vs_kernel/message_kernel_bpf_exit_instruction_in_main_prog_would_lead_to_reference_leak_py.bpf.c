/*
 * class: message: kernel: BPF_EXIT instruction in main prog would lead to reference leak / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f4002, -mcpu=v4)
 * kernel: reject at 23: Unreleased reference id=2 alloc_insn=12
 * BPF_EXIT instruction in main prog would lead to reference leak
 * pybpf: reject at 31: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_4002_1 SEC(".maps");

__noinline_ u64 g_4002_2(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 5; i++)
		s += p[i];
	return s;
}

SEC("tp/syscalls/sys_enter_getpid")
int f4002(void *ctx)
{
	u64 acc = 0;
	{
		u8 b_4002_0[16] = {};
		u32 i_4002_0 = bpf_get_prandom_u32() & 15;
		acc += b_4002_0[i_4002_0];
	}
	{
		char *r_4002_1 = bpf_ringbuf_reserve(&rb_4002_1, 8, 0);
		if (r_4002_1) {
			*(u64 *)(r_4002_1 + 0) = acc;
		}
	}
	{
		u64 a_4002_2[4] = {};
		acc += g_4002_2(a_4002_2);
	}
	return (int)acc;
}

