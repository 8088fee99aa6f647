/*
 * class: verdict: kernel accepts / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f2, -mcpu=v2)
 * kernel: accept at None: 
 * pybpf: reject at 1: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int f2(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_2_0 = (struct task_struct *)ctx[1];
		acc += t_2_0->cred->uid.val;
	}
	return acc & 1;
}

