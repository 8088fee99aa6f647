/*
 * class: verdict: kernel accepts / pybpf: R2 invalid mem access 'scalar'
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f34, -mcpu=v3)
 * kernel: accept at None: 
 * pybpf: reject at 2: R2 invalid mem access 'scalar'
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_34_2 SEC(".maps");

SEC("tp_btf/sched_switch")
int f34(u64 *ctx)
{
	u64 acc = 0;
	{
		struct task_struct *t_34_0 = (struct task_struct *)ctx[2];
		if (t_34_0->real_parent)
			acc += t_34_0->real_parent->tgid;
	}
	{
		struct task_struct *t_34_1 = (struct task_struct *)ctx[1];
		if (t_34_1->nsproxy)
			acc += t_34_1->nsproxy->pid_ns_for_children->level;
	}
	{
		char *r_34_2 = bpf_ringbuf_reserve(&rb_34_2, 64, 0);
		if (r_34_2) {
			*(u64 *)(r_34_2 + 56) = acc;
			bpf_ringbuf_discard(r_34_2, 0);
		}
	}
	return acc != 0;
}

