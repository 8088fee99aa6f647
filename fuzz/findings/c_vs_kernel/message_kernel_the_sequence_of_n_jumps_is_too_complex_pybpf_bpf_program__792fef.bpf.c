/*
 * class: message: kernel: The sequence of N jumps is too complex. / pybpf: BPF program is too large. Processed N insn
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1099, -mcpu=v4)
 * kernel: reject at 25: The sequence of 8193 jumps is too complex.
 * pybpf: reject at 22: BPF program is too large. Processed 1000001 insn
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int f1099(struct xdp_md *ctx)
{
	u64 acc = 0;
	for (int i_1099_0 = 0; i_1099_0 < 4; i_1099_0++) {
		if ((acc ^ i_1099_0) == 3)
			break;
		acc += i_1099_0;
	}
	{
		u32 n_1099_1 = (u32)bpf_get_prandom_u32();
		for (u32 i_1099_1 = 0; i_1099_1 < n_1099_1 && i_1099_1 < 100000; i_1099_1++)
			acc = (acc << 1) ^ i_1099_1;
	}
	for (int i_1099_2 = 0; i_1099_2 < 255; i_1099_2++)
		acc = acc * 3 + i_1099_2;
	return (acc & 1) + 1;
}

