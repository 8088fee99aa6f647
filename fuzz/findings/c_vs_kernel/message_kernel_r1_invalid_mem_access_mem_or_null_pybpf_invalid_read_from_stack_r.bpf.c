/*
 * class: message: kernel: R1 invalid mem access 'mem_or_null' / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f66, -mcpu=v2)
 * kernel: reject at 6: R1 invalid mem access 'mem_or_null'
 * pybpf: reject at 7: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_66_0(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

SEC("tp/syscalls/sys_enter_getpid")
int f66(void *ctx)
{
	u64 acc = 0;
	{
		u64 a_66_0[1] = {};
		acc += g_66_0(a_66_0);
	}
	return (int)acc;
}

