/*
 * class: message: kernel: R1 min value is outside of the allowed memory range / pybpf: R4 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f186, -mcpu=v3)
 * kernel: reject at 33: invalid access to memory, mem_size=8 off=8 size=8
 * R1 min value is outside of the allowed memory range
 * pybpf: reject at 18: R4 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_186_0(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f186(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 a_186_0[2] = {};
		acc += g_186_0(a_186_0);
	}
	for (int i_186_1 = 0; i_186_1 < 64; i_186_1++)
		acc = acc * 3 + i_186_1;
	{
		struct task_struct *t_186_2 = (struct task_struct *)ctx[2];
		if (t_186_2->real_parent)
			acc += t_186_2->real_parent->tgid;
	}
	return acc != 0;
}

