/*
 * class: verdict: kernel: invalid variable-offset read from stack R2 var_off=(N; N) off=N size=N / pybpf accepts
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1768, -mcpu=v3)
 * kernel: reject at 27: invalid variable-offset read from stack R2 var_off=(0x0; 0x38) off=-32 size=8
 * pybpf: accept at None: 
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_1768_0(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, char[24]);
} m_1768_1 SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int f1768(void *ctx)
{
	u64 acc = 0;
	{
		u64 a_1768_0[2] = {};
		acc += g_1768_0(a_1768_0);
	}
	{
		u32 k_1768_1 = (u32)bpf_ktime_get_ns() & 3;
		char *v_1768_1 = bpf_map_lookup_elem(&m_1768_1, &k_1768_1);
		if (v_1768_1)
			*(u64 *)(v_1768_1 + 16) = acc;
	}
	{
		u64 b_1768_2[4] = {};
		u32 i_1768_2 = acc & 7;
		acc += b_1768_2[i_1768_2];
	}
	return (int)acc;
}

