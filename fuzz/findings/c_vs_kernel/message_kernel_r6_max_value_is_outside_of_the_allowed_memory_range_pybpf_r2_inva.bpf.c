/*
 * class: message: kernel: R6 max value is outside of the allowed memory range / pybpf: R2 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f4337, -mcpu=v2)
 * kernel: reject at 17: invalid access to map value, value_size=16 off=31 size=4
 * R6 max value is outside of the allowed memory range
 * pybpf: reject at 2: R2 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[16]);
} pa_4337_1 SEC(".maps");

static __noinline u64 sub_4337_2(u64 *a, int n)
{
	u64 s = 0;
	for (int i = 0; i < n && i < 10; i++)
		s += a[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f4337(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_4337_0 = (struct task_struct *)ctx[1];
		if (t_4337_0->tgid)
			acc += t_4337_0->tgid;
	}
	{
		u32 z_4337_1 = 0;
		char *p_4337_1 = bpf_map_lookup_elem(&pa_4337_1, &z_4337_1);
		if (p_4337_1) {
			u32 o_4337_1 = (u32)bpf_get_prandom_u32() & 31;
			acc += *(u32 *)(p_4337_1 + o_4337_1);
		}
	}
	{
		u64 a_4337_2[8] = {};
		acc += sub_4337_2(a_4337_2, 10);
	}
	return (int)acc;
}

