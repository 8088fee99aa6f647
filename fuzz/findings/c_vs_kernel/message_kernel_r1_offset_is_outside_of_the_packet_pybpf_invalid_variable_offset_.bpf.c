/*
 * class: message: kernel: R1 offset is outside of the packet / pybpf: invalid variable-offset read from stack R2 var_off=(N; N) off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1220, -mcpu=v2)
 * kernel: reject at 25: invalid access to packet, off=0 size=1, R1(id=0,off=0,r=0)
 * R1 offset is outside of the packet
 * pybpf: reject at 42: invalid variable-offset read from stack R2 var_off=(0x0; 0x78) off=-64 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1220_0(u32 i, u64 *c)
{
	c[i & 15] += i;
	return 0;
}

__noinline_ u64 g_1220_1(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

SEC("xdp")
int f1220(struct xdp_md *ctx)
{
	u64 acc = 0;
	{
		u64 c_1220_0[8] = {};
		bpf_loop(100, cb_1220_0, c_1220_0, 0);
		acc += c_1220_0[0];
	}
	{
		u64 a_1220_1[2] = {};
		acc += g_1220_1(a_1220_1);
	}
	{
		u8 *q_1220_2 = (void *)(long)ctx->data;
		void *e_1220_2 = (void *)(long)ctx->data_end;
		for (int i_1220_2 = 0; i_1220_2 < 4; i_1220_2++) {
			acc += *q_1220_2;
			q_1220_2++;
		}
	}
	return (acc & 1) + 1;
}

