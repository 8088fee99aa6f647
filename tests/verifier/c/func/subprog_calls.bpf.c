/* bpf-to-bpf calls in tracing programs: stack frames, the 512-byte combined
 * stack limit, callbacks through function pointers. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static __noinline u64 fill(char *buf, int len)
{
	u64 s = 0;
	bpf_get_current_comm(buf, len);
	for (int i = 0; i < 16; i++)
		s += buf[i];
	return s;
}

SEC("tp/syscalls/sys_enter_getpid")
int sub_fill(void *ctx)
{
	char buf[16];
	return fill(buf, sizeof(buf)) & 1;
}

static __noinline u64 deep2(void)
{
	char big[256];
	bpf_get_current_comm(big, 16);
	return big[0];
}

static __noinline u64 deep1(void)
{
	char big[256];
	bpf_get_current_comm(big, 16);
	return big[1] + deep2();
}

/* mistake: the combined stack of the call chain is larger than 512 bytes */
SEC("tp/syscalls/sys_enter_getpid")
int sub_stack_too_big(void *ctx)
{
	char big[128];
	bpf_get_current_comm(big, 16);
	return big[0] + deep1();
}

/* mistake: a plain stack buffer larger than the 512-byte frame */
SEC("tp/syscalls/sys_enter_getpid")
int big_frame(void *ctx)
{
	volatile char buf[600];
	buf[0] = 1;
	buf[599] = 2;
	return buf[0] + buf[599];
}

/* mistake: reading an uninitialized stack slot through a subprogram */
static __noinline int peek(int *p)
{
	return *p;
}

SEC("tp/syscalls/sys_enter_getpid")
int sub_uninit(void *ctx)
{
	int x;
	return peek(&x);
}

/* the callee writes, the caller reads */
static __noinline void poke(int *p)
{
	*p = 42;
}

SEC("tp/syscalls/sys_enter_getpid")
int sub_write_then_read(void *ctx)
{
	int x;
	poke(&x);
	return x;
}
