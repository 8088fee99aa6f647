/*
 * class: message: kernel: invalid variable-offset write to stack R2 var_off=(N; N) off=N size=N / pybpf: R1 bitwise operator |= on pointer prohibited
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1404, -mcpu=v2)
 * kernel: reject at 22: invalid variable-offset write to stack R2 var_off=(0x0; 0x7c) off=-64 size=4
 * pybpf: reject at 30: R1 bitwise operator |= on pointer prohibited
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_1404_0(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

SEC("tp/syscalls/sys_enter_getpid")
int f1404(void *ctx)
{
	u64 acc = 0;
	{
		u64 a_1404_0[2] = {};
		acc += g_1404_0(a_1404_0);
	}
	{
		u32 b_1404_1[16] = {};
		u32 i_1404_1 = acc & 31;
		b_1404_1[i_1404_1] = 1;
		acc += b_1404_1[0];
	}
	{
		u32 b_1404_2[2] = {};
		u32 i_1404_2 = (u32)bpf_ktime_get_ns() & 1;
		b_1404_2[i_1404_2] = 1;
		acc += b_1404_2[0];
	}
	return acc & 1;
}

