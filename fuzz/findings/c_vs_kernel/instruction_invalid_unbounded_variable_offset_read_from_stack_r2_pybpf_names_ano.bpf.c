/*
 * class: instruction: invalid unbounded variable-offset read from stack R2 (pybpf names another instruction)
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f2022, -mcpu=v2)
 * kernel: reject at 78: invalid unbounded variable-offset read from stack R2
 * pybpf: reject at 68: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_2022_0(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 4; i++)
		s += p[i];
	return s;
}

static int cb_2022_1(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

static int cb_2022_2(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

SEC("xdp")
int f2022(struct xdp_md *ctx)
{
	u64 acc = 0;
	{
		u64 a_2022_0[4] = {};
		acc += g_2022_0(a_2022_0);
	}
	{
		u64 c_2022_1[16] = {};
		bpf_loop(4, cb_2022_1, c_2022_1, 0);
		acc += c_2022_1[0];
	}
	{
		u64 c_2022_2[8] = {};
		bpf_loop(4, cb_2022_2, c_2022_2, 0);
		acc += c_2022_2[0];
	}
	return (acc & 1) + 1;
}

