/* The C side of pybpf: raw syscalls with errno returned explicitly. */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "syscall.h"

#ifndef __NR_bpf
#define __NR_bpf 321
#endif

long pybpf_sys_bpf(int cmd, void *attr, unsigned int size, int *err)
{
	long ret = syscall(__NR_bpf, cmd, attr, size);
	*err = ret < 0 ? errno : 0;
	return ret;
}

int pybpf_close(int fd, int *err)
{
	int ret = close(fd);
	*err = ret < 0 ? errno : 0;
	return ret;
}
