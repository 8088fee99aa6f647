/*
 * class: message: kernel: R0 invalid mem access 'ptr_or_null_' / pybpf: R2 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f208, -mcpu=v3)
 * kernel: reject at 9: R0 invalid mem access 'ptr_or_null_'
 * pybpf: reject at 2: R2 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_208_2(u32 i, u64 *c)
{
	c[i & 15] += i;
	return 0;
}

SEC("tp_btf/sched_switch")
int f208(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_208_0 = (struct task_struct *)ctx[1];
		if (t_208_0->mm)
			acc += t_208_0->mm->map_count;
	}
	{
		struct task_struct *k_208_1 = bpf_task_acquire((struct task_struct *)ctx[2]);
		acc += k_208_1->pid;
		bpf_task_release(k_208_1);
	}
	{
		u64 c_208_2[16] = {};
		bpf_loop(4, cb_208_2, c_208_2, 0);
		acc += c_208_2[0];
	}
	return acc & 1;
}

