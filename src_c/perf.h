/* perf events and socket options for attaching BPF programs. Thin syscall wrappers only:
 * each returns the raw result and stores errno in *err (0 on success). */
long pybpf_perf_event_open(void *attr, int pid, int cpu, int group_fd, unsigned long flags, int *err);
long pybpf_ioctl(int fd, unsigned long request, unsigned long arg, int *err);
long pybpf_setsockopt(int fd, int level, int name, const void *value, unsigned int len, int *err);
