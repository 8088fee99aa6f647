/*
 * class: message: kernel: R3 offset is outside of the packet / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f547, -mcpu=v2)
 * kernel: reject at 16: invalid access to packet, off=16 size=2, R3(id=1,off=16,r=0)
 * R3 offset is outside of the packet
 * pybpf: reject at 25: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_547_0(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

SEC("xdp")
int f547(struct xdp_md *ctx)
{
	u64 acc = 0;
	{
		u64 a_547_0[1] = {};
		acc += g_547_0(a_547_0);
	}
	{
		void *d_547_1 = (void *)(long)ctx->data;
		void *e_547_1 = (void *)(long)ctx->data_end;
		struct ethhdr *eth_547_1 = d_547_1;
		struct iphdr *ip_547_1 = (void *)(eth_547_1 + 1);
		if ((void *)(ip_547_1 + 1) > e_547_1)
			return 0;
		u32 hl_547_1 = ip_547_1->ihl * 4;
		struct udphdr *u_547_1 = (void *)ip_547_1 + hl_547_1;
		acc += u_547_1->dest;
	}
	return (acc & 1) + 1;
}

