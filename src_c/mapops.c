/* Integer-keyed single-element map calls (see mapops.h). The attr is `union bpf_attr`'s
 * element part as pybpf.uapi lays it out (map_fd at 0, key at 8, value at 16, flags at 24);
 * no system header is included for it. */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "mapops.h"

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
static int put_le(unsigned char *out, unsigned long long x, unsigned int size)
{
	if (size < 8 && (x >> (8 * size)) != 0)
		return 0;
	for (unsigned int i = 0; i < size; i++)
		out[i] = (unsigned char)(x >> (8 * i));
	return 1;
}

static unsigned long long get_le(const unsigned char *in, unsigned int size)
{
	unsigned long long x = 0;
	for (unsigned int i = 0; i < size; i++)
		x |= (unsigned long long)in[i] << (8 * i);
	return x;
}

static int elem(int cmd, int fd, const void *key, void *value, unsigned long long flags)
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

unsigned long long pybpf_map_get_uint(int fd, unsigned long long key, unsigned int shape)
{
	unsigned char k[8], v[8];
	unsigned int vs = shape & 0xff;
	int err;

	if (!put_le(k, key, shape >> 8)) {
		errno = ERANGE;
		return 0;
	}
	err = elem(LOOKUP_ELEM, fd, k, v, 0);
	errno = err;
	return err ? 0 : get_le(v, vs);
}

int pybpf_map_set_uint(int fd, unsigned long long key, unsigned long long value, unsigned int shape,
		       unsigned long long flags)
{
	unsigned char k[8], v[8];

	if (!put_le(k, key, shape >> 8) || !put_le(v, value, shape & 0xff))
		return ERANGE;
	return elem(UPDATE_ELEM, fd, k, v, flags);
}

int pybpf_map_del_uint(int fd, unsigned long long key, unsigned int shape)
{
	unsigned char k[8];

	if (!put_le(k, key, shape >> 8))
		return ERANGE;
	return elem(DELETE_ELEM, fd, k, 0, 0);
}
