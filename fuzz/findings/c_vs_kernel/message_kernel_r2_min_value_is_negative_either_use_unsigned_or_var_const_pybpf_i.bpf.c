/*
 * class: message: kernel: R2 min value is negative, either use unsigned or 'var &= const' / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1819, -mcpu=v2)
 * kernel: reject at 46: R2 min value is negative, either use unsigned or 'var &= const'
 * pybpf: reject at 58: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1819_0(u32 i, u64 *c)
{
	c[i] += i;
	return 2;
}

SEC("tp/syscalls/sys_enter_getpid")
int f1819(void *ctx)
{
	u64 acc = 0;
	{
		u64 c_1819_0[16] = {};
		bpf_loop(16, cb_1819_0, c_1819_0, 0);
		acc += c_1819_0[0];
	}
	{
		u64 b_1819_1[4] = {};
		u32 i_1819_1 = (u32)bpf_ktime_get_ns() & 3;
		acc += b_1819_1[i_1819_1];
	}
	{
		char h_1819_2[32] = {};
		bpf_probe_read_user_str(h_1819_2, (u32)bpf_get_prandom_u32(), (void *)acc);
		acc += h_1819_2[31];
	}
	return (int)acc;
}

