/*
 * class: message: kernel: only read is supported / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f11, -mcpu=v2)
 * kernel: reject at 2: only read is supported
 * pybpf: reject at 2: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int f11(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_11_1 = (struct task_struct *)ctx[1];
		t_11_1->prio = 0;
	}
	return acc & 1;
}

