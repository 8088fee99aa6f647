/*
 * class: message: kernel: R1 invalid mem access 'mem_or_null' / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3011, -mcpu=v4)
 * kernel: reject at 10: R1 invalid mem access 'mem_or_null'
 * pybpf: reject at 1: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_3011_2(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f3011(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_3011_0 = (struct task_struct *)ctx[2];
		acc += t_3011_0->mm->map_count;
	}
	{
		u64 a_3011_2[1] = {};
		acc += g_3011_2(a_3011_2);
	}
	return (int)acc;
}

