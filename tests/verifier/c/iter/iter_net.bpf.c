/* Socket iterators: iter/tcp and iter/udp with sock_common casts through the
 * bpf_skc_to_* helpers, and NULL checks at the end of the walk. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("iter/tcp")
int dump_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	if (!skc)
		return 0;
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u %u %u\n", skc->skc_num, bpf_ntohs(skc->skc_dport), tp->srtt_us >> 3);
	return 0;
}

SEC("iter/udp")
int dump_udp(struct bpf_iter__udp *ctx)
{
	struct udp_sock *udp = ctx->udp_sk;
	struct seq_file *seq = ctx->meta->seq;
	if (!udp)
		return 0;
	struct inet_sock *inet = &udp->inet;
	BPF_SEQ_PRINTF(seq, "%u %d\n", bpf_ntohs(inet->inet_sport), ctx->bucket);
	return 0;
}

/* mistake: the bpf_skc_to_tcp_sock result may be NULL */
SEC("iter/tcp")
int dump_tcp_nocheck(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	if (!skc)
		return 0;
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(skc);
	return tp->srtt_us > 100;
}

SEC("iter/task_vma")
int dump_vmas(struct bpf_iter__task_vma *ctx)
{
	struct vm_area_struct *vma = ctx->vma;
	struct task_struct *task = ctx->task;
	if (!vma || !task)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%d %lx-%lx\n", task->pid, vma->vm_start, vma->vm_end);
	return 0;
}

SEC("iter/cgroup")
int dump_cgroups(struct bpf_iter__cgroup *ctx)
{
	struct cgroup *cgrp = ctx->cgroup;
	if (!cgrp)
		return 1;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%llu %d\n", cgrp->kn->id, cgrp->level);
	return 0;
}
