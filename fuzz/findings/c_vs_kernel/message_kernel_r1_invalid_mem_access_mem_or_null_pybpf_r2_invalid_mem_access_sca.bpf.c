/*
 * class: message: kernel: R1 invalid mem access 'mem_or_null' / pybpf: R2 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3154, -mcpu=v2)
 * kernel: reject at 16: R1 invalid mem access 'mem_or_null'
 * pybpf: reject at 2: R2 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_3154_1(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 4; i++)
		s += p[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f3154(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_3154_0 = (struct task_struct *)ctx[1];
		if (t_3154_0->tgid)
			acc += t_3154_0->tgid;
	}
	{
		u64 a_3154_1[4] = {};
		acc += g_3154_1(a_3154_1);
	}
	return acc & 1;
}

