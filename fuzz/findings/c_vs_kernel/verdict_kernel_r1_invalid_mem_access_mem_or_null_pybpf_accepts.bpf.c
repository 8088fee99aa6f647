/*
 * class: verdict: kernel: R1 invalid mem access 'mem_or_null' / pybpf accepts
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f71, -mcpu=v2)
 * kernel: reject at 8: R1 invalid mem access 'mem_or_null'
 * pybpf: accept at None: 
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_71_1(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

SEC("tp/syscalls/sys_enter_getpid")
int f71(void *ctx)
{
	u64 acc = 0;
	{
		u64 a_71_1[2] = {};
		acc += g_71_1(a_71_1);
	}
	return acc & 1;
}

