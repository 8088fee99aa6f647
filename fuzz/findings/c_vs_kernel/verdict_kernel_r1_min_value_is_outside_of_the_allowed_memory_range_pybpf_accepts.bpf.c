/*
 * class: verdict: kernel: R1 min value is outside of the allowed memory range / pybpf accepts
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f5, -mcpu=v2)
 * kernel: reject at 16: invalid access to memory, mem_size=8 off=8 size=8
 * R1 min value is outside of the allowed memory range
 * pybpf: accept at None: 
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_5_0(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 4; i++)
		s += p[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f5(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 a_5_0[4] = {};
		acc += g_5_0(a_5_0);
	}
	return acc != 0;
}

