/*
 * class: message: kernel: invalid read from stack R1 off=N size=N / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1056, -mcpu=v4)
 * kernel: reject at 55: invalid read from stack R1 off=0 size=8
 * pybpf: reject at 1: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static __noinline u64 sub_1056_1(u64 *a, int n)
{
	u64 s = 0;
	for (int i = 0; i < n && i < 18; i++)
		s += a[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f1056(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_1056_0 = (struct task_struct *)ctx[1];
		acc += t_1056_0->tgid;
	}
	{
		u64 a_1056_1[16] = {};
		acc += sub_1056_1(a_1056_1, 18);
	}
	return (int)acc;
}

