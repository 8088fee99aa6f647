/* task_struct walks: parent chain with BPF_CORE_READ, the mm's exe file name,
 * the cgroup id of the task, namespace inode. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct task_info {
	u32 pid, ppid, gppid;
	u32 pidns;
	u64 cgroup_id;
	u64 start_time;
	char exe[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} out SEC(".maps");

SEC("tp/syscalls/sys_enter_execve")
int tp_task_info(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_info *ti = bpf_ringbuf_reserve(&out, sizeof(*ti), 0);
	if (!ti)
		return 0;
	ti->pid = BPF_CORE_READ(t, tgid);
	ti->ppid = BPF_CORE_READ(t, real_parent, tgid);
	ti->gppid = BPF_CORE_READ(t, real_parent, real_parent, tgid);
	ti->pidns = BPF_CORE_READ(t, nsproxy, pid_ns_for_children, ns.inum);
	ti->cgroup_id = bpf_get_current_cgroup_id();
	ti->start_time = BPF_CORE_READ(t, start_time);
	const unsigned char *name = BPF_CORE_READ(t, mm, exe_file, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(ti->exe, sizeof(ti->exe), name);
	bpf_ringbuf_submit(ti, 0);
	return 0;
}

/* the ancestry walk in a bounded loop */
SEC("tp/syscalls/sys_enter_execve")
int tp_ancestors(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	u32 depth = 0;
	for (int i = 0; i < 16; i++) {
		u32 pid = BPF_CORE_READ(t, tgid);
		if (pid <= 1)
			break;
		t = BPF_CORE_READ(t, real_parent);
		depth++;
	}
	return depth;
}

/* the same walk on BTF pointers with tp_btf: direct reads, no helper */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_depth, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *t = parent;
	u32 depth = 0;
	for (int i = 0; i < 16 && t; i++) {
		if (t->tgid <= 1)
			break;
		t = t->real_parent;
		depth++;
	}
	return depth;
}

/* mistake: bpf_get_current_task() is a number to the verifier, not a pointer */
SEC("tp/syscalls/sys_enter_execve")
int tp_task_deref(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	return t->tgid;
}

/* the BTF-typed current task can be read directly */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_btf_current, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	return cur->tgid == p->tgid && old_pid != 0;
}
