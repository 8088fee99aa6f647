/*
 * class: error: timeout after N s of CPU time
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1551, -mcpu=v4)
 * kernel: reject at 11: The sequence of 8193 jumps is too complex.
 * pybpf: reject at None: timeout after 5 s of CPU time
 * the whole program is what pybpf's 5 s limit cut: walked to the end it gets the kernel's
 * answer (reject at 11: The sequence of 8193 jumps is too complex.) in 4.1-5.0 s of CPU,
 * 540,986 instructions processed (the kernel: 540,979 in 0.74 s, BPF_LOG_STATS)
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_1551_2(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 4; i++)
		s += p[i];
	return s;
}

SEC("tc")
int f1551(struct __sk_buff *ctx)
{
	u64 acc = 0;
	{
		u32 n_1551_0 = (u32)bpf_get_prandom_u32();
		for (u32 i_1551_0 = 0; i_1551_0 < n_1551_0 && i_1551_0 < 100000; i_1551_0++)
			acc = (acc << 1) ^ i_1551_0;
	}
	{
		u64 a_1551_2[4] = {};
		acc += g_1551_2(a_1551_2);
	}
	return acc & 1;
}

