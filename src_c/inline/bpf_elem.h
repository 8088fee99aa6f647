/* The single-element bpf() calls of integer maps, shared by src_c/mapops.c (pybpf._native,
 * through cffi) and src_c/pyext/mapcall.c (pybpf._mapcall). Not a cdef: it lives outside
 * src_c/ so that src_c/build_native.py does not read it as one.
 *
 * The attr is `union bpf_attr`'s element part as pybpf.uapi lays it out (map_fd at 0, key
 * at 8, value at 16, flags at 24); no system header is included for it. */
#ifndef PYBPF_BPF_ELEM_H
#define PYBPF_BPF_ELEM_H

#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#ifndef __NR_bpf
#define __NR_bpf 321
#endif

enum { LOOKUP_ELEM = 1, UPDATE_ELEM = 2, DELETE_ELEM = 3 };

struct elem_attr {
	unsigned int map_fd;
	unsigned int pad;
	unsigned long long key;
	unsigned long long value;
	unsigned long long flags;
};

/* x as `size` little-endian bytes at out; 0 if it does not fit */
static inline int put_le(unsigned char *out, unsigned long long x, unsigned int size)
{
	if (size < 8 && (x >> (8 * size)) != 0)
		return 0;
	for (unsigned int i = 0; i < size; i++)
		out[i] = (unsigned char)(x >> (8 * i));
	return 1;
}

static inline unsigned long long get_le(const unsigned char *in, unsigned int size)
{
	unsigned long long x = 0;
	for (unsigned int i = 0; i < size; i++)
		x |= (unsigned long long)in[i] << (8 * i);
	return x;
}

/* one element call, retried on EINTR: 0 or errno */
static inline int elem(int cmd, int fd, const void *key, void *value, unsigned long long flags)
{
	struct elem_attr a = {
		.map_fd = (unsigned int)fd,
		.key = (unsigned long long)(unsigned long)key,
		.value = (unsigned long long)(unsigned long)value,
		.flags = flags,
	};
	/* delete passes the attr only up to `value`: the rest must look unset to the kernel */
	unsigned int size = cmd == DELETE_ELEM ? 16 : sizeof(a);

	for (;;) {
		if (syscall(__NR_bpf, cmd, &a, size) >= 0)
			return 0;
		if (errno != EINTR)
			return errno;
	}
}

#endif
