/*
 * class: message: kernel: only read is supported / pybpf: R2 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f162, -mcpu=v3)
 * kernel: reject at 17: only read is supported
 * pybpf: reject at 17: R2 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_162_0(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 1; i++)
		s += p[i];
	return s;
}

SEC("tp_btf/sched_switch")
int f162(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 a_162_0[1] = {};
		acc += g_162_0(a_162_0);
	}
	{
		char h_162_1[8] = {};
		bpf_probe_read_kernel(h_162_1, 8, (void *)bpf_get_current_task());
		acc += h_162_1[7];
	}
	{
		struct task_struct *t_162_2 = (struct task_struct *)ctx[1];
		t_162_2->pid = 0;
	}
	return acc & 1;
}

