/* Integer-keyed single-element map calls (see mapops.h), through cffi; the calls themselves
 * are src_c/inline/bpf_elem.h's, shared with pybpf._mapcall. */
#include <errno.h>

#include "mapops.h"
#include "inline/bpf_elem.h"

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
