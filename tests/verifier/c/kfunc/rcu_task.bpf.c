/* RCU read sections around task pointer walks with bpf_rcu_read_lock. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/task_newtask")
int BPF_PROG(parent_under_rcu, struct task_struct *task, u64 clone_flags)
{
	int ppid = 0;
	bpf_rcu_read_lock();
	struct task_struct *parent = task->real_parent;
	if (parent)
		ppid = parent->tgid;
	bpf_rcu_read_unlock();
	return ppid;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(acquire_parent, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *p;
	bpf_rcu_read_lock();
	p = task->real_parent;
	if (p)
		p = bpf_task_acquire(p);
	bpf_rcu_read_unlock();
	if (!p)
		return 0;
	int pid = p->pid;
	bpf_task_release(p);
	return pid;
}

/* mistake: an unlock without a lock */
SEC("tp_btf/task_newtask")
int BPF_PROG(unlock_only, struct task_struct *task, u64 clone_flags)
{
	bpf_rcu_read_unlock();
	return 0;
}

/* mistake: the function exits inside the RCU section */
SEC("tp_btf/task_newtask")
int BPF_PROG(exit_in_rcu, struct task_struct *task, u64 clone_flags)
{
	bpf_rcu_read_lock();
	if (task->pid == 1)
		return 1;
	bpf_rcu_read_unlock();
	return 0;
}
