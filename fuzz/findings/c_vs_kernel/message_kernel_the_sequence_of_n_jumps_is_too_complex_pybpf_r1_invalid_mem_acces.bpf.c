/*
 * class: message: kernel: The sequence of N jumps is too complex. / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3416, -mcpu=v3)
 * kernel: reject at 24: The sequence of 8193 jumps is too complex.
 * pybpf: reject at 13: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[8]);
} m_3416_0 SEC(".maps");

SEC("tp_btf/sched_switch")
int f3416(u64 *ctx)
{
	u64 acc = 0;
	{
		u32 k_3416_0 = 0;
		char *v_3416_0 = bpf_map_lookup_elem(&m_3416_0, &k_3416_0);
		if (v_3416_0)
			*(u64 *)(v_3416_0 + 0) = acc;
	}
	{
		struct task_struct *t_3416_1 = (struct task_struct *)ctx[1];
		if (t_3416_1->cred)
			acc += t_3416_1->cred->uid.val;
	}
	{
		u32 n_3416_2 = (u32)bpf_get_prandom_u32();
		for (u32 i_3416_2 = 0; i_3416_2 < n_3416_2 && i_3416_2 < 100000; i_3416_2++)
			acc = (acc << 1) ^ i_3416_2;
	}
	return acc != 0;
}

