/*
 * class: message: kernel: R0 min value is outside of the allowed memory range / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3065, -mcpu=v3)
 * kernel: reject at 96: invalid access to map value, value_size=64 off=64 size=8
 * R0 min value is outside of the allowed memory range
 * pybpf: reject at 102: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_3065_1(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[64]);
} m_3065_2 SEC(".maps");

SEC("xdp")
int f3065(struct xdp_md *ctx)
{
	u64 acc = 0;
	{
		u8 *q_3065_0 = (void *)(long)ctx->data;
		void *e_3065_0 = (void *)(long)ctx->data_end;
		for (int i_3065_0 = 0; i_3065_0 < 16; i_3065_0++) {
			if ((void *)(q_3065_0 + 1) > e_3065_0)
				break;
			acc += *q_3065_0;
			q_3065_0++;
		}
	}
	{
		u64 a_3065_1[1] = {};
		acc += g_3065_1(a_3065_1);
	}
	{
		u32 k_3065_2 = 0;
		char *v_3065_2 = bpf_map_lookup_elem(&m_3065_2, &k_3065_2);
		if (v_3065_2)
			*(u64 *)(v_3065_2 + 64) = acc;
	}
	return (acc & 1) + 1;
}

