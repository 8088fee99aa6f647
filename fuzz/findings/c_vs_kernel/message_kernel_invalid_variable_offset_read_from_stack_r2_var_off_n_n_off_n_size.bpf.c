/*
 * class: message: kernel: invalid variable-offset read from stack R2 var_off=(N; N) off=N size=N / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1947, -mcpu=v3)
 * kernel: reject at 44: invalid variable-offset read from stack R2 var_off=(0x0; 0x78) off=-64 size=8
 * pybpf: reject at 11: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static __noinline u64 sub_1947_0(u64 *a, int n)
{
	u64 s = 0;
	for (int i = 0; i < n && i < 4; i++)
		s += a[i];
	return s;
}

static int cb_1947_2(u32 i, u64 *c)
{
	c[i & 15] += i;
	return 2;
}

SEC("tp_btf/sched_switch")
int f1947(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 a_1947_0[4] = {};
		acc += sub_1947_0(a_1947_0, 4);
	}
	{
		struct task_struct *t_1947_1 = (struct task_struct *)ctx[2];
		acc += t_1947_1->pid;
	}
	{
		u64 c_1947_2[8] = {};
		bpf_loop(100, cb_1947_2, c_1947_2, 0);
		acc += c_1947_2[0];
	}
	return (int)acc;
}

