/* Sleepable programs: uprobe.s and iter.s with bpf_copy_from_user, and the
 * helpers only sleepable programs may call. Also fentry/lsm, which this kernel
 * refuses for its own reasons (the harness compares pybpf with that answer). */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe.s")
int BPF_KPROBE(copy_arg, const char *s)
{
	char buf[32];
	if (bpf_copy_from_user(buf, sizeof(buf), s))
		return 0;
	return buf[0] == '/';
}

/* mistake: bpf_copy_from_user in a non-sleepable uprobe */
SEC("uprobe")
int BPF_KPROBE(copy_arg_nosleep, const char *s)
{
	char buf[32];
	bpf_copy_from_user(buf, sizeof(buf), s);
	return buf[0];
}

SEC("iter.s/task")
int task_cmdline(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	char buf[16];
	if (!task || !task->mm)
		return 0;
	unsigned long arg = task->mm->arg_start;
	if (bpf_copy_from_user_task(buf, sizeof(buf), (void *)arg, task, 0))
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%d %s\n", task->pid, buf);
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_entry, int dfd, struct filename *name)
{
	return name->name[0] == '/';
}

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_exit, int dfd, struct filename *name, long ret)
{
	return ret;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_open, struct file *file)
{
	return 0;
}
