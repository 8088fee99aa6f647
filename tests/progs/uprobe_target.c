/* Target binary of the uprobe tests: calls pybpf_uprobe_target() argv[1] times.
 *
 * Build: cc -O1 -o uprobe_target uprobe_target.c
 * The function is noinline and has a side effect so that every call really
 * happens and stays a function of its own (with a .symtab entry). */
#include <stdio.h>
#include <stdlib.h>

volatile long pybpf_sink;

__attribute__((noinline)) long pybpf_uprobe_target(long x)
{
	pybpf_sink += x;
	__asm__ volatile("" ::: "memory");
	return pybpf_sink * 2 + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1;
	long acc = 0;
	for (long i = 0; i < n; i++)
		acc += pybpf_uprobe_target(i);
	printf("%ld\n", acc);
	return 0;
}
