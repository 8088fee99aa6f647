/*
 * class: instruction: invalid read from stack R1 off=N size=N (pybpf names another instruction)
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f2486, -mcpu=v4)
 * kernel: reject at 49: invalid read from stack R1 off=0 size=8
 * pybpf: reject at 39: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, char[8]);
} m_2486_0 SEC(".maps");

__noinline_ u64 g_2486_1(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 5; i++)
		s += p[i];
	return s;
}

static __noinline u64 sub_2486_2(u64 *a, int n)
{
	u64 s = 0;
	for (int i = 0; i < n && i < 6; i++)
		s += a[i];
	return s;
}

SEC("raw_tp/sched_switch")
int f2486(u64 *ctx)
{
	u64 acc = 0;
	{
		u32 k_2486_0 = (u32)bpf_get_prandom_u32();
		char *v_2486_0 = bpf_map_lookup_elem(&m_2486_0, &k_2486_0);
		if (v_2486_0)
			acc += *(u64 *)(v_2486_0 + 0);
	}
	{
		u64 a_2486_1[4] = {};
		acc += g_2486_1(a_2486_1);
	}
	{
		u64 a_2486_2[4] = {};
		acc += sub_2486_2(a_2486_2, 6);
	}
	return acc != 0;
}

