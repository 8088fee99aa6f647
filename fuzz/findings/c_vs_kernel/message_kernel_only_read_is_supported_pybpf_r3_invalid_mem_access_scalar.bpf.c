/*
 * class: message: kernel: only read is supported / pybpf: R3 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3548, -mcpu=v2)
 * kernel: reject at 8: only read is supported
 * pybpf: reject at 2: R3 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[64]);
} m_3548_2 SEC(".maps");

SEC("tp_btf/sched_switch")
int f3548(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_3548_0 = (struct task_struct *)ctx[2];
		if (t_3548_0->cred)
			acc += t_3548_0->cred->uid.val;
	}
	{
		struct task_struct *t_3548_1 = (struct task_struct *)ctx[1];
		t_3548_1->pid = 0;
	}
	{
		u32 k_3548_2 = 1;
		char *v_3548_2 = bpf_map_lookup_elem(&m_3548_2, &k_3548_2);
		if (v_3548_2)
			acc += *(u64 *)(v_3548_2 + 32);
	}
	return (int)acc;
}

