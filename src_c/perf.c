/* perf_event_open, ioctl and socket options with errno returned explicitly. */
#include <errno.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "perf.h"

#ifndef __NR_perf_event_open
#define __NR_perf_event_open 298
#endif

long pybpf_perf_event_open(void *attr, int pid, int cpu, int group_fd, unsigned long flags, int *err)
{
	long ret = syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags);
	*err = ret < 0 ? errno : 0;
	return ret;
}

long pybpf_ioctl(int fd, unsigned long request, unsigned long arg, int *err)
{
	long ret = ioctl(fd, request, arg);
	*err = ret < 0 ? errno : 0;
	return ret;
}

long pybpf_setsockopt(int fd, int level, int name, const void *value, unsigned int len, int *err)
{
	long ret = setsockopt(fd, level, name, value, (socklen_t)len);
	*err = ret < 0 ? errno : 0;
	return ret;
}
