/*
 * class: message: kernel: R1 min value is outside of the allowed memory range / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f26, -mcpu=v3)
 * kernel: reject at 18: invalid access to memory, mem_size=8 off=8 size=8
 * R1 min value is outside of the allowed memory range
 * pybpf: reject at 24: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_26_1(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

__noinline_ u64 g_26_2(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 3; i++)
		s += p[i];
	return s;
}

SEC("tp/syscalls/sys_enter_getpid")
int f26(void *ctx)
{
	u64 acc = 0;
	{
		u64 a_26_1[2] = {};
		acc += g_26_1(a_26_1);
	}
	{
		u64 a_26_2[2] = {};
		acc += g_26_2(a_26_2);
	}
	return acc & 1;
}

