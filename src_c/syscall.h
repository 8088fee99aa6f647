/* Declarations exposed to Python by cffi. Keep this thin: raw syscalls only. */
long pybpf_sys_bpf(int cmd, void *attr, unsigned int size, int *err);
