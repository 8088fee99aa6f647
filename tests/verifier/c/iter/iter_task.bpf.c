/* BPF iterators over tasks and task files: seq_file output with
 * BPF_SEQ_PRINTF-style helpers, NULL task at the end of the walk. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("iter/task")
int dump_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	if (!task)
		return 0;
	if (ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "    tgid      pid comm\n");
	BPF_SEQ_PRINTF(seq, "%8d %8d %s\n", task->tgid, task->pid, task->comm);
	return 0;
}

SEC("iter/task_file")
int dump_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	if (!task || !file)
		return 0;
	u64 ino = BPF_CORE_READ(file, f_inode, i_ino);
	BPF_SEQ_PRINTF(seq, "%d %u %lu\n", task->tgid, ctx->fd, ino);
	return 0;
}

/* mistake: the task is NULL at the end of the iteration and is not checked */
SEC("iter/task")
int dump_tasks_nocheck(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	BPF_SEQ_PRINTF(seq, "%d\n", task->pid);
	return 0;
}

/* bpf_seq_write of a fixed record */
SEC("iter/task")
int dump_tasks_binary(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct { u32 pid; u32 tgid; } rec;
	if (!task)
		return 0;
	rec.pid = task->pid;
	rec.tgid = task->tgid;
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

/* mistake: iterator programs must return 0 or 1 */
SEC("iter/task")
int dump_tasks_ret(struct bpf_iter__task *ctx)
{
	return ctx->task ? 2 : 0;
}
