/* Loop forms: do/while, countdown, pointer-walking string loops, loops with
 * a break condition from data, and a loop the verifier sees as infinite. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("raw_tp/sys_enter")
int countdown(void *ctx)
{
	u32 n = 32, s = 0;
	do {
		s += n;
	} while (--n);
	return s;
}

SEC("raw_tp/sys_enter")
int comm_prefix(void *ctx)
{
	char comm[TASK_COMM_LEN];
	const char want[] = "bash";
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < (int)sizeof(want) - 1; i++)
		if (comm[i] != want[i])
			return 0;
	return 1;
}

SEC("raw_tp/sys_enter")
int pointer_walk(void *ctx)
{
	char comm[TASK_COMM_LEN];
	bpf_get_current_comm(comm, sizeof(comm));
	char *p = comm, *end = comm + sizeof(comm);
	int n = 0;
	while (p < end && *p) {
		p++;
		n++;
	}
	return n;
}

/* mistake: a loop that never changes its condition (the same state at the back-edge) */
SEC("raw_tp/sys_enter")
int stuck(void *ctx)
{
	u32 n = 0;
	for (;;) {
		if (n == 0xffffffff)
			break;
		asm volatile("" ::: "memory");
	}
	return n;
}

/* mistake: the loop index steps over the end of a stack array */
SEC("raw_tp/sys_enter")
int step_over(void *ctx)
{
	u64 a[8] = {};
	u64 s = 0;
	for (int i = 0; i < 10; i += 3)
		s += a[i];
	return s;
}

/* a 2048-iteration loop: many states for the verifier, still accepted */
SEC("raw_tp/sys_enter")
int long_loop(void *ctx)
{
	u64 s = 0;
	for (int i = 0; i < 2048; i++)
		s = s * 31 + i;
	return s & 1;
}
