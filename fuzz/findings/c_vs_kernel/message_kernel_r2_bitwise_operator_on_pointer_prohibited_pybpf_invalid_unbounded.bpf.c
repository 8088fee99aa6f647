/*
 * class: message: kernel: R2 bitwise operator |= on pointer prohibited / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f440, -mcpu=v2)
 * kernel: reject at 19: R2 bitwise operator |= on pointer prohibited
 * pybpf: reject at 112: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_440_0(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

SEC("tc")
int f440(struct __sk_buff *ctx)
{
	u64 acc = 0;
	{
		u64 c_440_0[4] = {};
		bpf_loop(100, cb_440_0, c_440_0, 0);
		acc += c_440_0[0];
	}
	{
		u8 b_440_1[8] = {};
		u32 i_440_1 = acc & 7;
		b_440_1[i_440_1] = 1;
		acc += b_440_1[0];
	}
	{
		u8 *q_440_2 = (void *)(long)ctx->data;
		void *e_440_2 = (void *)(long)ctx->data_end;
		for (int i_440_2 = 0; i_440_2 < 16; i_440_2++) {
			if ((void *)(q_440_2 + 1) > e_440_2)
				break;
			acc += *q_440_2;
			q_440_2++;
		}
	}
	return acc & 1;
}

