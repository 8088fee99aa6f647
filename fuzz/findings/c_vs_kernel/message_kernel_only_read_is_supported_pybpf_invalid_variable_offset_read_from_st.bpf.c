/*
 * class: message: kernel: only read is supported / pybpf: invalid variable-offset read from stack R2 var_off=(N; N) off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1579, -mcpu=v4)
 * kernel: reject at 42: only read is supported
 * pybpf: reject at 57: invalid variable-offset read from stack R2 var_off=(0x0; 0xf8) off=-128 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1579_0(u32 i, u64 *c)
{
	c[i & 3] += i;
	return 0;
}

static int cb_1579_1(u32 i, u64 *c)
{
	c[i & 31] += i;
	return 2;
}

SEC("tp_btf/sched_switch")
int f1579(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 c_1579_0[4] = {};
		bpf_loop(100, cb_1579_0, c_1579_0, 0);
		acc += c_1579_0[0];
	}
	{
		u64 c_1579_1[16] = {};
		bpf_loop(100, cb_1579_1, c_1579_1, 0);
		acc += c_1579_1[0];
	}
	{
		struct task_struct *t_1579_2 = (struct task_struct *)ctx[1];
		t_1579_2->pid = 0;
	}
	return acc != 0;
}

