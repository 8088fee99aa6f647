/*
 * class: verdict: kernel accepts / pybpf: R3 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1586, -mcpu=v4)
 * kernel: accept at None: 
 * pybpf: reject at 2: R3 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int f1586(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_1586_0 = (struct task_struct *)ctx[1];
		if (t_1586_0->pid)
			acc += t_1586_0->pid;
	}
	for (int i_1586_1 = 0; i_1586_1 < 64; i_1586_1++)
		acc = acc * 3 + i_1586_1;
	return (int)acc;
}

