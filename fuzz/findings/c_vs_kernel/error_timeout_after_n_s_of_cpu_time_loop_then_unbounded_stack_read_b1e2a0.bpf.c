/*
 * class: error: timeout after N s of CPU time
 * found by: fuzz/c_vs_kernel.py --seed 2 (program f737, -mcpu=v3)
 * kernel: reject at 35: invalid unbounded variable-offset read from stack R2
 * pybpf: reject at None: timeout after 10 s of CPU time
 * open: walked to the end pybpf gets the kernel's answer (reject at 35, the same message,
 * 500,030 instructions as the kernel's BPF_LOG_STATS) in 11.5-12.3 s of CPU, the kernel in
 * 0.82 s. The fast-forward run gives that answer in 0.53 s, but a jumped run is kept only
 * when it ends on a complexity limit, so the program is verified again step by step.
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_737_1(u32 i, u64 *c)
{
	c[i] += i;
	return 2;
}

SEC("xdp")
int f737(struct xdp_md *ctx)
{
	u64 acc = 0;
	{
		u32 n_737_0 = (u32)bpf_get_prandom_u32();
		for (u32 i_737_0 = 0; i_737_0 < n_737_0 && i_737_0 < 100000; i_737_0++)
			acc = (acc << 1) ^ i_737_0;
	}
	{
		u64 c_737_1[4] = {};
		bpf_loop(100, cb_737_1, c_737_1, 0);
		acc += c_737_1[0];
	}
	return (acc & 1) + 1;
}

