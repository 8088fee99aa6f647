/* Global functions taking the program's context in tracing and cgroup programs,
 * struct pointers from the stack, and arguments the verifier checks by BTF. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct args_ {
	u64 a;
	u32 b;
	u32 c;
};

__noinline_ int sum_args(struct args_ *p)
{
	if (!p)
		return 0;
	return p->a + p->b + p->c;
}

SEC("tp/syscalls/sys_enter_getpid")
int tp_struct_arg(void *ctx)
{
	struct args_ a = { 1, 2, 3 };
	return sum_args(&a);
}

/* mistake: the struct argument is only partly initialized */
SEC("tp/syscalls/sys_enter_getpid")
int tp_struct_arg_partial(void *ctx)
{
	struct args_ a;
	a.a = 1;
	return sum_args(&a);
}

/* mistake: a buffer smaller than the struct the global function expects */
SEC("tp/syscalls/sys_enter_getpid")
int tp_struct_arg_small(void *ctx)
{
	u64 small = 0;
	return sum_args((struct args_ *)&small);
}

__noinline_ int pid_of(struct pt_regs *regs)
{
	if (!regs)
		return 0;
	return PT_REGS_PARM1(regs);
}

SEC("uprobe")
int uprobe_global_regs(struct pt_regs *ctx)
{
	return pid_of(ctx);
}

__noinline_ int sk_family(struct bpf_sock *sk)
{
	if (!sk)
		return -1;
	return sk->family;
}

/* mistake: a global function given a bpf_sock pointer expects generic memory */
SEC("cgroup/sock_create")
int sock_global(struct bpf_sock *sk)
{
	return sk_family(sk) == AF_INET_;
}

__noinline_ int xdp_len(struct xdp_md *x)
{
	if (!x)
		return 0;
	return x->data_end - x->data;
}

/* a global taking struct xdp_md * (the context type) */
SEC("xdp")
int xdp_global_ctx(struct xdp_md *ctx)
{
	return xdp_len(ctx) > 100 ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: a global function that calls itself */
__noinline_ int spin(int n)
{
	if (n <= 0)
		return 0;
	return spin(n - 1) + 1;
}

SEC("xdp")
int xdp_global_recursion(struct xdp_md *ctx)
{
	return spin(3) ? XDP_PASS_ : XDP_DROP_;
}
