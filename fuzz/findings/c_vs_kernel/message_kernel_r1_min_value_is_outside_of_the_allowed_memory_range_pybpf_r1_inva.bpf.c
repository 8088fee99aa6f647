/*
 * class: message: kernel: R1 min value is outside of the allowed memory range / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f293, -mcpu=v4)
 * kernel: reject at 18: invalid access to memory, mem_size=8 off=8 size=8
 * R1 min value is outside of the allowed memory range
 * pybpf: reject at 9: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_293_0(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 4; i++)
		s += p[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f293(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 a_293_0[4] = {};
		acc += g_293_0(a_293_0);
	}
	{
		struct task_struct *t_293_1 = (struct task_struct *)ctx[1];
		acc += t_293_1->mm->map_count;
	}
	return acc & 1;
}

