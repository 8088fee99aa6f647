/*
 * class: message: kernel: R1 bitwise operator |= on pointer prohibited / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f2453, -mcpu=v4)
 * kernel: reject at 16: R1 bitwise operator |= on pointer prohibited
 * pybpf: reject at 31: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_2453_1(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 5; i++)
		s += p[i];
	return s;
}

SEC("tp/syscalls/sys_enter_getpid")
int f2453(void *ctx)
{
	u64 acc = 0;
	for (int i_2453_0 = 0; i_2453_0 < 100; i_2453_0++)
		acc = acc * 3 + i_2453_0;
	{
		u64 a_2453_1[4] = {};
		acc += g_2453_1(a_2453_1);
	}
	{
		u8 b_2453_2[8] = {};
		u32 i_2453_2 = (u32)bpf_ktime_get_ns() & 7;
		b_2453_2[i_2453_2] = 1;
		acc += b_2453_2[0];
	}
	return acc != 0;
}

