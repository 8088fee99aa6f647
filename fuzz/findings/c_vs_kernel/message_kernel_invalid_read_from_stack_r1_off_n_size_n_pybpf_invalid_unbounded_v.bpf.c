/*
 * class: message: kernel: invalid read from stack R1 off=N size=N / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f2020, -mcpu=v2)
 * kernel: reject at 76: invalid read from stack R1 off=0 size=8
 * pybpf: reject at 40: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_2020_0(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

static __noinline u64 sub_2020_2(u64 *a, int n)
{
	u64 s = 0;
	for (int i = 0; i < n && i < 18; i++)
		s += a[i];
	return s;
}

SEC("tc")
int f2020(struct __sk_buff *ctx)
{
	u64 acc = 0;
	{
		u64 c_2020_0[4] = {};
		bpf_loop(16, cb_2020_0, c_2020_0, 0);
		acc += c_2020_0[0];
	}
	for (int i_2020_1 = 0; i_2020_1 < 4; i_2020_1++)
		acc = acc * 3 + i_2020_1;
	{
		u64 a_2020_2[16] = {};
		acc += sub_2020_2(a_2020_2, 18);
	}
	return acc & 1;
}

