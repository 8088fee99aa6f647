/*
 * class: message: kernel: R6 max value is outside of the allowed memory range / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3539, -mcpu=v2)
 * kernel: reject at 21: invalid access to map value, value_size=16 off=31 size=2
 * R6 max value is outside of the allowed memory range
 * pybpf: reject at 2: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[16]);
} pa_3539_1 SEC(".maps");

SEC("tp_btf/sched_switch")
int f3539(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_3539_0 = (struct task_struct *)ctx[1];
		if (t_3539_0->real_parent)
			acc += t_3539_0->real_parent->real_parent->pid;
	}
	{
		u32 z_3539_1 = 0;
		char *p_3539_1 = bpf_map_lookup_elem(&pa_3539_1, &z_3539_1);
		if (p_3539_1) {
			u32 o_3539_1 = (u32)bpf_get_prandom_u32() & 31;
			acc += *(u16 *)(p_3539_1 + o_3539_1);
		}
	}
	return acc != 0;
}

