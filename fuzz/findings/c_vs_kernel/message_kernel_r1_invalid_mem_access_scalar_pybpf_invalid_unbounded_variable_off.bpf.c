/*
 * class: message: kernel: R1 invalid mem access 'scalar' / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1837, -mcpu=v2)
 * kernel: reject at 26: R1 invalid mem access 'scalar'
 * pybpf: reject at 46: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1837_0(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

SEC("raw_tp/sched_switch")
int f1837(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 c_1837_0[16] = {};
		bpf_loop(4, cb_1837_0, c_1837_0, 0);
		acc += c_1837_0[0];
	}
	{
		struct task_struct *t_1837_1 = (struct task_struct *)ctx[2];
		acc += t_1837_1->signal;
	}
	{
		char h_1837_2[32] = {};
		bpf_probe_read_kernel(h_1837_2, 32, &h_1837_2[0]);
		acc += h_1837_2[31];
	}
	return acc & 1;
}

