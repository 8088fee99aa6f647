/* Declarations exposed to Python by cffi. Keep this thin: raw syscalls only.
 * Each returns the raw result and stores errno in *err (0 on success).
 * (mmap/munmap live in ringbuf.h, shared with the ring buffer readers.) */
long pybpf_sys_bpf(int cmd, void *attr, unsigned int size, int *err);
int pybpf_close(int fd, int *err);
