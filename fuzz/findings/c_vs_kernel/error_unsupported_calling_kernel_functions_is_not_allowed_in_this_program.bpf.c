/*
 * class: error: unsupported: calling kernel functions is not allowed in this program
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f20, -mcpu=v2)
 * kernel: reject at 10: Unreleased reference id=2 alloc_insn=2
 * BPF_EXIT instruction in main prog would lead to reference leak
 * pybpf: reject at 2: unsupported: calling kernel functions is not allowed in this program
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_switch")
int f20(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *k_20_1 = bpf_task_from_pid(1);
		if (k_20_1)
			acc += k_20_1->pid;
	}
	return acc != 0;
}

