/*
 * class: message: kernel: invalid write to stack R1 off=N size=N / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3150, -mcpu=v2)
 * kernel: reject at 22: invalid write to stack R1 off=-32 size=40
 * pybpf: reject at 36: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_3150_0(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int f3150(void *ctx)
{
	u64 acc = 0;
	{
		u64 c_3150_0[4] = {};
		bpf_loop(16, cb_3150_0, c_3150_0, 0);
		acc += c_3150_0[0];
	}
	{
		char h_3150_1[32] = {};
		bpf_probe_read_kernel(h_3150_1, 40, (void *)bpf_get_current_task());
		acc += h_3150_1[31];
	}
	return acc != 0;
}

