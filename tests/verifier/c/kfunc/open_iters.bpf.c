/* Open-coded iterators over tasks, VMAs and cgroup members (kfuncs with
 * new/next/destroy and the RCU or sleepable contexts they require). */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define BPF_TASK_ITER_ALL_PROCS_ 0

SEC("iter.s/task")
int count_vmas(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	u64 n = 0;
	if (!task)
		return 0;
	bpf_iter_task_vma_new(&it, task, 0);
	while ((vma = bpf_iter_task_vma_next(&it)))
		n += vma->vm_end - vma->vm_start;
	bpf_iter_task_vma_destroy(&it);
	BPF_SEQ_PRINTF(ctx->meta->seq, "%d %llu\n", task->pid, n);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(count_procs, struct task_struct *task, u64 clone_flags)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	int n = 0;
	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_PROCS_);
	while ((t = bpf_iter_task_next(&it)) && n < 1000)
		n++;
	bpf_iter_task_destroy(&it);
	bpf_rcu_read_unlock();
	return n;
}

/* mistake: the task iterator outside an RCU section */
SEC("tp_btf/task_newtask")
int BPF_PROG(count_procs_no_rcu, struct task_struct *task, u64 clone_flags)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	int n = 0;
	bpf_iter_task_new(&it, NULL, BPF_TASK_ITER_ALL_PROCS_);
	while ((t = bpf_iter_task_next(&it)) && n < 1000)
		n++;
	bpf_iter_task_destroy(&it);
	return n;
}

/* mistake: next on an iterator that was never created */
SEC("tp_btf/task_newtask")
int BPF_PROG(next_uninit, struct task_struct *task, u64 clone_flags)
{
	struct bpf_iter_num it;
	int *v = bpf_iter_num_next(&it);
	return v ? *v : 0;
}

/* mistake: the value of next is used without its NULL check */
SEC("tp_btf/task_newtask")
int BPF_PROG(next_nocheck, struct task_struct *task, u64 clone_flags)
{
	struct bpf_iter_num it;
	bpf_iter_num_new(&it, 0, 10);
	int v = *bpf_iter_num_next(&it);
	bpf_iter_num_destroy(&it);
	return v;
}
