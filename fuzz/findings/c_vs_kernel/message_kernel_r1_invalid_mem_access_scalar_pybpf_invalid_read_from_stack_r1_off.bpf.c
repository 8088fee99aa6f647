/*
 * class: message: kernel: R1 invalid mem access 'scalar' / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f99, -mcpu=v4)
 * kernel: reject at 9: R1 invalid mem access 'scalar'
 * pybpf: reject at 20: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_99_0(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 5; i++)
		s += p[i];
	return s;
}

SEC("raw_tp/sched_switch")
int f99(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 a_99_0[4] = {};
		acc += g_99_0(a_99_0);
	}
	{
		struct task_struct *t_99_1 = (struct task_struct *)ctx[2];
		acc += t_99_1->pid;
	}
	return (int)acc;
}

