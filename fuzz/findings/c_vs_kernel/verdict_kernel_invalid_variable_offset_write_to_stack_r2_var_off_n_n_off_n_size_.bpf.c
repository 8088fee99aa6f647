/*
 * class: verdict: kernel: invalid variable-offset write to stack R2 var_off=(N; N) off=N size=N / pybpf accepts
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3161, -mcpu=v2)
 * kernel: reject at 28: invalid variable-offset write to stack R2 var_off=(0x0; 0xf8) off=-128 size=8
 * pybpf: accept at None: 
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_3161_0(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 1; i++)
		s += p[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f3161(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 a_3161_0[1] = {};
		acc += g_3161_0(a_3161_0);
	}
	{
		u64 b_3161_1[16] = {};
		u32 i_3161_1 = acc & 31;
		b_3161_1[i_3161_1] = 1;
		acc += b_3161_1[0];
	}
	{
		u8 s_3161_2[8] = {};
		for (int i_3161_2 = 0; i_3161_2 < 8; i_3161_2++)
			s_3161_2[i_3161_2] = i_3161_2;
		acc += s_3161_2[4];
	}
	return (int)acc;
}

