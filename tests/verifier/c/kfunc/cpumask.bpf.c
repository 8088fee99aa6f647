/* bpf_cpumask kfuncs: create, set, test, and the release every created mask needs. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/task_newtask")
int BPF_PROG(mask_basic, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *m = bpf_cpumask_create();
	if (!m)
		return 0;
	bpf_cpumask_set_cpu(0, m);
	bpf_cpumask_set_cpu(1, m);
	int has = bpf_cpumask_test_cpu(1, (const struct cpumask *)m);
	u32 w = bpf_cpumask_weight((const struct cpumask *)m);
	bpf_cpumask_release(m);
	return has + w;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(mask_of_task, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *m = bpf_cpumask_create();
	if (!m)
		return 0;
	bpf_cpumask_copy(m, task->cpus_ptr);
	u32 first = bpf_cpumask_first((const struct cpumask *)m);
	bpf_cpumask_release(m);
	return first;
}

/* mistake: the created mask is never released */
SEC("tp_btf/task_newtask")
int BPF_PROG(mask_leak, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *m = bpf_cpumask_create();
	if (!m)
		return 0;
	bpf_cpumask_set_cpu(0, m);
	return 0;
}

/* mistake: the mask is used before the NULL check */
SEC("tp_btf/task_newtask")
int BPF_PROG(mask_nocheck, struct task_struct *task, u64 clone_flags)
{
	struct bpf_cpumask *m = bpf_cpumask_create();
	bpf_cpumask_set_cpu(0, m);
	if (m)
		bpf_cpumask_release(m);
	return 0;
}

/* mistake: the task's mask is not a bpf_cpumask that can be written */
SEC("tp_btf/task_newtask")
int BPF_PROG(mask_write_task, struct task_struct *task, u64 clone_flags)
{
	bpf_cpumask_set_cpu(0, (struct bpf_cpumask *)task->cpus_ptr);
	return 0;
}
