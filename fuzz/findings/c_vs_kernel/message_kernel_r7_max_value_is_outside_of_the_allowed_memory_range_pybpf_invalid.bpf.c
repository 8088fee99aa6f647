/*
 * class: message: kernel: R7 max value is outside of the allowed memory range / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1546, -mcpu=v2)
 * kernel: reject at 17: invalid access to map value, value_size=16 off=31 size=1
 * R7 max value is outside of the allowed memory range
 * pybpf: reject at 23: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_1546_0(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[16]);
} pa_1546_2 SEC(".maps");

SEC("tc")
int f1546(struct __sk_buff *ctx)
{
	u64 acc = 0;
	{
		u64 a_1546_0[1] = {};
		acc += g_1546_0(a_1546_0);
	}
	{
		u8 s_1546_1[32] = {};
		for (int i_1546_1 = 0; i_1546_1 < 40; i_1546_1++)
			s_1546_1[i_1546_1] = i_1546_1;
		acc += s_1546_1[0];
	}
	{
		u32 z_1546_2 = 0;
		char *p_1546_2 = bpf_map_lookup_elem(&pa_1546_2, &z_1546_2);
		if (p_1546_2) {
			u32 o_1546_2 = (u32)bpf_get_prandom_u32() & 31;
			acc += *(u8 *)(p_1546_2 + o_1546_2);
		}
	}
	return acc & 1;
}

