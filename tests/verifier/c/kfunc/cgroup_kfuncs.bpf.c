/* cgroup kfuncs: bpf_cgroup_from_id, ancestors and task-under-cgroup checks. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

const volatile u64 watched_cgid = 1;

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(mkdir_level, struct cgroup *cgrp, const char *path)
{
	struct cgroup *c = bpf_cgroup_from_id(watched_cgid);
	if (!c)
		return 0;
	int level = c->level;
	bpf_cgroup_release(c);
	return level;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(mkdir_ancestor, struct cgroup *cgrp, const char *path)
{
	struct cgroup *a = bpf_cgroup_ancestor(cgrp, 1);
	if (!a)
		return 0;
	u64 id = a->kn->id;
	bpf_cgroup_release(a);
	return id == watched_cgid;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(task_in_cgroup, struct task_struct *task, u64 clone_flags)
{
	struct cgroup *c = bpf_cgroup_from_id(watched_cgid);
	if (!c)
		return 0;
	long in = bpf_task_under_cgroup(task, c);
	bpf_cgroup_release(c);
	return in;
}

/* mistake: the cgroup reference leaks on one path */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(mkdir_leak, struct cgroup *cgrp, const char *path)
{
	struct cgroup *c = bpf_cgroup_acquire(cgrp);
	if (!c)
		return 0;
	if (c->level > 3)
		return 1;
	bpf_cgroup_release(c);
	return 0;
}

/* mistake: a scalar id passed where the kfunc wants a cgroup pointer */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(mkdir_scalar_arg, struct cgroup *cgrp, const char *path)
{
	struct cgroup *a = bpf_cgroup_ancestor((struct cgroup *)watched_cgid, 1);
	if (a)
		bpf_cgroup_release(a);
	return 0;
}
