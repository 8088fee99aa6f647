/* Task kfuncs: bpf_task_from_pid / bpf_task_acquire with their releases,
 * reference leaks and NULL arguments as the kernel sees them. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct task_holder {
	struct task_struct __kptr_ref_ *task;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, int);
	__type(value, struct task_holder);
} stash SEC(".maps");

SEC("tp_btf/task_newtask")
int BPF_PROG(from_pid, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *p = bpf_task_from_pid(task->tgid);
	if (!p)
		return 0;
	int same = p->pid == task->tgid;
	bpf_task_release(p);
	return same;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(acquire_release, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t = bpf_task_acquire(task);
	if (!t)
		return 0;
	bpf_task_release(t);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(stash_task, struct task_struct *task, u64 clone_flags)
{
	int key = task->pid & 63;
	struct task_holder empty = {}, *h;
	bpf_map_update_elem(&stash, &key, &empty, BPF_ANY);
	h = bpf_map_lookup_elem(&stash, &key);
	if (!h)
		return 0;
	struct task_struct *t = bpf_task_acquire(task);
	if (!t)
		return 0;
	t = bpf_kptr_xchg(&h->task, t);
	if (t)
		bpf_task_release(t);
	return 0;
}

/* mistake: the reference from bpf_task_from_pid is never released */
SEC("tp_btf/task_newtask")
int BPF_PROG(from_pid_leak, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *p = bpf_task_from_pid(task->tgid);
	if (!p)
		return 0;
	return p->pid;
}

/* mistake: the possibly NULL result is released without a check */
SEC("tp_btf/task_newtask")
int BPF_PROG(from_pid_nocheck, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *p = bpf_task_from_pid(task->tgid);
	bpf_task_release(p);
	return 0;
}

/* mistake: releasing twice */
SEC("tp_btf/task_newtask")
int BPF_PROG(double_release, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t = bpf_task_acquire(task);
	if (!t)
		return 0;
	bpf_task_release(t);
	bpf_task_release(t);
	return 0;
}

/* mistake: a task from a raw tracepoint is not trusted */
SEC("raw_tp/task_newtask")
int BPF_PROG(acquire_untrusted, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t = bpf_task_acquire(task);
	if (t)
		bpf_task_release(t);
	return 0;
}
