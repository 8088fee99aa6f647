/* pybpf._mapcall: `m[k]`, `m[k] = v` and `del m[k]` of an integer map as one CPython call
 * each (pybpf.kernel.maps.base, Map._fast_uint).
 *
 * The same element calls as src_c/mapops.c (which stays: the cffi module is the fallback
 * where this one is missing), without cffi's per-call wrapper (argument converters and the
 * errno save and restore take ~250 ns of a ~2 us update here). The GIL is released around
 * the bpf() call, as cffi does: a call may wait on a bucket lock.
 *
 * get(fd, key, shape) -> value (>= 0), or -errno (ERANGE: the key does not fit)
 * set(fd, key, value, shape, flags) -> 0 or errno (ERANGE: the key or value does not fit)
 * delete(fd, key, shape) -> 0 or errno
 * shape = key_size << 8 | value_size, sizes 1, 2, 4 or 8 (little-endian unsigned).
 * A key or value that is not a non-negative int raises TypeError or OverflowError (the
 * caller then takes its Python path, which names the problem).
 *
 * tests/kernel/test_map_fast_paths.py holds it to the Python path. */
#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x030A0000
#include <Python.h>
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

/* 0 or errno; the GIL is released around the call */
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
	int err = 0;

	Py_BEGIN_ALLOW_THREADS
	for (;;) {
		if (syscall(__NR_bpf, cmd, &a, size) >= 0) {
			err = 0;
			break;
		}
		err = errno;
		if (err != EINTR)
			break;
	}
	Py_END_ALLOW_THREADS
	return err;
}

/* an int argument as unsigned long long; -1 with an exception set on a non-int or overflow */
static int arg_u64(PyObject *o, unsigned long long *out)
{
	if (!PyLong_Check(o)) {
		PyErr_SetString(PyExc_TypeError, "an int is required");
		return -1;
	}
	*out = PyLong_AsUnsignedLongLong(o);
	return (*out == (unsigned long long)-1 && PyErr_Occurred()) ? -1 : 0;
}

static int arg_common(PyObject *const *args, int *fd, unsigned long long *key, unsigned int *shape,
		      Py_ssize_t shape_at)
{
	long f = PyLong_AsLong(args[0]);
	if (f == -1 && PyErr_Occurred())
		return -1;
	unsigned long s = PyLong_AsUnsignedLong(args[shape_at]);
	if (s == (unsigned long)-1 && PyErr_Occurred())
		return -1;
	*fd = (int)f;
	*shape = (unsigned int)s;
	return arg_u64(args[1], key);
}

static PyObject *get(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	int fd;
	unsigned long long key;
	unsigned int shape;
	unsigned char k[8], v[8];
	(void)self;
	if (nargs != 3) {
		PyErr_SetString(PyExc_TypeError, "get(fd, key, shape)");
		return NULL;
	}
	if (arg_common(args, &fd, &key, &shape, 2))
		return NULL;
	if (!put_le(k, key, (shape >> 8) & 0xff))
		return PyLong_FromLong(-ERANGE);
	int err = elem(LOOKUP_ELEM, fd, k, v, 0);
	if (err)
		return PyLong_FromLong(-err);
	return PyLong_FromUnsignedLongLong(get_le(v, shape & 0xff));
}

static PyObject *set(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	int fd;
	unsigned long long key, value, flags;
	unsigned int shape;
	unsigned char k[8], v[8];
	(void)self;
	if (nargs != 5) {
		PyErr_SetString(PyExc_TypeError, "set(fd, key, value, shape, flags)");
		return NULL;
	}
	if (arg_common(args, &fd, &key, &shape, 3) || arg_u64(args[2], &value) ||
	    arg_u64(args[4], &flags))
		return NULL;
	if (!put_le(k, key, (shape >> 8) & 0xff) || !put_le(v, value, shape & 0xff))
		return PyLong_FromLong(ERANGE);
	return PyLong_FromLong(elem(UPDATE_ELEM, fd, k, v, flags));
}

static PyObject *delete(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	int fd;
	unsigned long long key;
	unsigned int shape;
	unsigned char k[8];
	(void)self;
	if (nargs != 3) {
		PyErr_SetString(PyExc_TypeError, "delete(fd, key, shape)");
		return NULL;
	}
	if (arg_common(args, &fd, &key, &shape, 2))
		return NULL;
	if (!put_le(k, key, (shape >> 8) & 0xff))
		return PyLong_FromLong(ERANGE);
	return PyLong_FromLong(elem(DELETE_ELEM, fd, k, 0, 0));
}

static PyMethodDef methods[] = {
	{"get", (PyCFunction)(void (*)(void))get, METH_FASTCALL,
	 "get(fd, key, shape) -> value, or -errno"},
	{"set", (PyCFunction)(void (*)(void))set, METH_FASTCALL,
	 "set(fd, key, value, shape, flags) -> 0 or errno"},
	{"delete", (PyCFunction)(void (*)(void))delete, METH_FASTCALL,
	 "delete(fd, key, shape) -> 0 or errno"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "pybpf._mapcall",
	"Single-element calls of integer maps (m[k], m[k] = v, del m[k]).", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__mapcall(void)
{
	return PyModule_Create(&module);
}
