/* pybpf._mapcall: `m[k]`, `m[k] = v` and `del m[k]` of an integer map as one CPython call
 * each (pybpf.kernel.maps.base, Map._fast_uint).
 *
 * The same element calls as src_c/mapops.c (both use src_c/inline/bpf_elem.h; the cffi
 * module stays as the fallback where this one is missing), without cffi's per-call
 * wrapper (argument converters and the errno save and restore take ~250 ns of a ~2 us
 * update here). The GIL is released around
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
#include "../inline/bpf_elem.h"

/* `elem` with the GIL released around it, as cffi does: a call may wait on a bucket lock */
static int elem_nogil(int cmd, int fd, const void *key, void *value, unsigned long long flags)
{
	int err;

	Py_BEGIN_ALLOW_THREADS
	err = elem(cmd, fd, key, value, flags);
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
	int err = elem_nogil(LOOKUP_ELEM, fd, k, v, 0);
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
	return PyLong_FromLong(elem_nogil(UPDATE_ELEM, fd, k, v, flags));
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
	return PyLong_FromLong(elem_nogil(DELETE_ELEM, fd, k, 0, 0));
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
