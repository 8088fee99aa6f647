/*
 * class: message: kernel: R7 max value is outside of the allowed memory range / pybpf: R1 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f216, -mcpu=v3)
 * kernel: reject at 16: invalid access to map value, value_size=64 off=127 size=1
 * R7 max value is outside of the allowed memory range
 * pybpf: reject at 1: R1 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[64]);
} pa_216_2 SEC(".maps");

SEC("tp_btf/sched_switch")
int f216(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_216_1 = (struct task_struct *)ctx[1];
		acc += t_216_1->real_parent->real_parent->pid;
	}
	{
		u32 z_216_2 = 0;
		char *p_216_2 = bpf_map_lookup_elem(&pa_216_2, &z_216_2);
		if (p_216_2) {
			u32 o_216_2 = (u32)bpf_get_prandom_u32() & 127;
			acc += *(u8 *)(p_216_2 + o_216_2);
		}
	}
	return (int)acc;
}

