/*
 * class: message: kernel: R0 min value is outside of the allowed memory range / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1054, -mcpu=v4)
 * kernel: reject at 16: invalid access to map value, value_size=8 off=8 size=8
 * R0 min value is outside of the allowed memory range
 * pybpf: reject at 2: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, char[8]);
} m_1054_2 SEC(".maps");

SEC("tp_btf/sched_switch")
int f1054(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_1054_0 = (struct task_struct *)ctx[2];
		if (t_1054_0->real_parent)
			acc += t_1054_0->real_parent->tgid;
	}
	{
		u32 k_1054_2 = (u32)bpf_ktime_get_ns() & 3;
		char *v_1054_2 = bpf_map_lookup_elem(&m_1054_2, &k_1054_2);
		if (v_1054_2)
			__sync_fetch_and_add((u64 *)(v_1054_2 + 8), 1);
	}
	return (int)acc;
}

