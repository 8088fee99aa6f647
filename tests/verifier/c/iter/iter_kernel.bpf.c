/* Iterators over kernel objects: BPF programs, links, kernel symbols, unix sockets. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("iter/bpf_prog")
int dump_progs(struct bpf_iter__bpf_prog *ctx)
{
	struct bpf_prog *prog = ctx->prog;
	if (!prog)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%u %u\n", prog->aux->id, prog->len);
	return 0;
}

SEC("iter/bpf_link")
int dump_links(struct bpf_iter__bpf_link *ctx)
{
	struct bpf_link *link = ctx->link;
	if (!link)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%u %d\n", link->id, link->type);
	return 0;
}

SEC("iter/ksym")
int dump_ksyms(struct bpf_iter__ksym *ctx)
{
	struct kallsym_iter *it = ctx->ksym;
	if (!it)
		return 0;
	if (it->type != 'T' && it->type != 't')
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%llx %s\n", it->value, it->name);
	return 0;
}

SEC("iter/unix")
int dump_unix(struct bpf_iter__unix *ctx)
{
	struct unix_sock *u = ctx->unix_sk;
	if (!u)
		return 0;
	BPF_SEQ_PRINTF(ctx->meta->seq, "%d\n", u->sk.__sk_common.skc_state);
	return 0;
}

/* mistake: the prog pointer of the prog iterator is used without a NULL check */
SEC("iter/bpf_prog")
int dump_progs_nocheck(struct bpf_iter__bpf_prog *ctx)
{
	return ctx->prog->len > 10;
}

/* mistake: a write into the seq_file through the meta pointer */
SEC("iter/bpf_prog")
int dump_progs_write_meta(struct bpf_iter__bpf_prog *ctx)
{
	ctx->meta->seq_num = 0;
	return 0;
}
