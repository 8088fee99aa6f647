/* Target of the profiler test: spins in pybpf_profile_spin() (user time, with a getppid
 * syscall every 64 rounds for kernel time) until killed.
 *
 * Build: cc -O1 -fno-omit-frame-pointer -o profile_target profile_target.c */
#include <unistd.h>

volatile unsigned long pybpf_profile_sink;

__attribute__((noinline)) void pybpf_profile_spin(void)
{
	for (unsigned long i = 0;; i++) {
		pybpf_profile_sink += i * i;
		if ((i & 0x3f) == 0)
			getppid();
	}
}

int main(void)
{
	pybpf_profile_spin();
	return 0;
}
