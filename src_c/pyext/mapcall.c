/* pybpf._mapcall: `m[k]`, `m[k] = v` and `del m[k]` of an integer map as one CPython call
 * each (pybpf.kernel.maps.base).
 *
 * The same element calls as src_c/mapops.c (both use src_c/inline/bpf_elem.h; the cffi
 * module stays as the fallback where this one is missing), without cffi's per-call
 * wrapper (argument converters and the errno save and restore take ~250 ns of a ~2 us
 * update here).
 *
 * The GIL is held across the bpf() call (releasing and taking it back cost ~180 ns of a
 * ~2 us lookup). That is sound because these calls serve only plain maps whose keys and
 * values are integers: pybpf.kernel.maps.base gives a map a shape (and so this path) only
 * for the kinds in its _PLAIN_KINDS (hash, lru_hash, array, lpm_trie), never per-CPU, and
 * only when the kind encodes its values as plain ints (no kind that takes fds, sockets,
 * programs or inner maps: map-in-map updates wait in synchronize_rcu, cpumap starts a
 * kthread, sockmap and storage maps resolve fds; all of those keep cffi's call, which
 * releases the GIL). The element ops of the plain kinds never sleep: bucket spinlocks held
 * for a bounded walk (a contended bucket answers EBUSY, it does not wait), preallocated or
 * non-sleeping allocations, and copies to and from 8-byte buffers on this C stack. The
 * syscall's own small key/value copies allocate like any malloc may, so the call is as
 * short as many C calls that keep the GIL (a dict resize, a memcpy of a large bytes).
 *
 * Functions:
 * get(fd, key, shape) -> value (>= 0), or -errno (ERANGE: the key does not fit)
 * set(fd, key, value, shape, flags) -> 0 or errno (ERANGE: the key or value does not fit)
 * delete(fd, key, shape) -> 0 or errno
 * shape = key_size << 8 | value_size, sizes 1, 2, 4 or 8 (little-endian unsigned).
 * A key or value that is not a non-negative int raises TypeError or OverflowError (the
 * caller then takes its Python path, which names the problem).
 *
 * ElemBase: a base class of pybpf's Map with two C fields, `_fd` (the map fd, -1 once
 * closed) and `_fast` (the shape while the fast path is on, else 0). Its m[k] and m[k] = v
 * slots make the call above for an int key (and value) and answer the value, KeyError(k)
 * or nothing; anything else (another key type, a key or value that does not fit, an error
 * other than ENOENT, a closed map, the syscall seam replaced) calls the Python method
 * (self.lookup(k), self.update(k, v)), which decides; del m[k] is self.delete(k).
 * seam(namespace, native): the slots take their path only while namespace["_sys_bpf"] is
 * native (pybpf.kernel.syscall's seam, which tests replace).
 *
 * tests/kernel/test_map_fast_paths.py holds them to the Python path. */
#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x030A0000
#include <Python.h>
#include <structmember.h>
#include "../inline/bpf_elem.h"

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

static PyObject *uint_obj(unsigned long long x)
{
	return x <= (unsigned long long)LONG_MAX ? PyLong_FromLong((long)x)
						  : PyLong_FromUnsignedLongLong(x);
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
	return uint_obj(get_le(v, shape & 0xff));
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

/* -- ElemBase ------------------------------------------------------------------------------ */

typedef struct {
	PyObject_HEAD
	int fd;
	unsigned int fast;
} ElemBase;

static PyObject *seam_ns;      /* pybpf.kernel.syscall's namespace (a dict) */
static PyObject *seam_native;  /* its _sys_bpf while not replaced */
static PyObject *s_sys_bpf, *s_lookup, *s_update, *s_delete;

/* 1 when the seam is the native call, 0 when replaced (or unset), -1 on an error */
static int seam_native_now(void)
{
	if (!seam_ns)
		return 0;
	PyObject *cur = PyDict_GetItemWithError(seam_ns, s_sys_bpf);
	if (!cur)
		return PyErr_Occurred() ? -1 : 0;
	return cur == seam_native;
}

/* o as an unsigned integer of `size` bytes at out: 1, or 0 (no exception) when it is not
 * such an int (the Python method then decides), or -1 on another error */
static int le_arg(PyObject *o, unsigned char *out, unsigned int size)
{
	if (!PyLong_Check(o))
		return 0;
	unsigned long long x = PyLong_AsUnsignedLongLong(o);
	if (x == (unsigned long long)-1 && PyErr_Occurred()) {
		if (!PyErr_ExceptionMatches(PyExc_OverflowError))
			return -1;
		PyErr_Clear();  /* negative or wider than 64 bits */
		return 0;
	}
	return put_le(out, x, size);
}

static PyObject *eb_subscript(PyObject *self, PyObject *key)
{
	ElemBase *m = (ElemBase *)self;
	unsigned int shape = m->fast;
	if (shape && m->fd >= 0) {
		unsigned char k[8], v[8];
		int ok = le_arg(key, k, shape >> 8);
		if (ok > 0)
			ok = seam_native_now();
		if (ok < 0)
			return NULL;
		if (ok) {
			int err = elem(LOOKUP_ELEM, m->fd, k, v, 0);
			if (!err)
				return uint_obj(get_le(v, shape & 0xff));
			if (err == ENOENT) {
				PyErr_SetObject(PyExc_KeyError, key);
				return NULL;
			}
		}
	}
	return PyObject_CallMethodObjArgs(self, s_lookup, key, NULL);
}

static int eb_ass_subscript(PyObject *self, PyObject *key, PyObject *value)
{
	ElemBase *m = (ElemBase *)self;
	PyObject *r;
	if (!value) {
		r = PyObject_CallMethodObjArgs(self, s_delete, key, NULL);
	} else {
		unsigned int shape = m->fast;
		if (shape && m->fd >= 0) {
			unsigned char k[8], v[8];
			int ok = le_arg(key, k, shape >> 8);
			if (ok > 0)
				ok = le_arg(value, v, shape & 0xff);
			if (ok > 0)
				ok = seam_native_now();
			if (ok < 0)
				return -1;
			if (ok && !elem(UPDATE_ELEM, m->fd, k, v, 0))
				return 0;
		}
		r = PyObject_CallMethodObjArgs(self, s_update, key, value, NULL);
	}
	if (!r)
		return -1;
	Py_DECREF(r);
	return 0;
}

static void eb_dealloc(PyObject *self)
{
	PyTypeObject *tp = Py_TYPE(self);
	freefunc free_fn = (freefunc)PyType_GetSlot(tp, Py_tp_free);
	free_fn(self);
	Py_DECREF(tp);
}

static PyMemberDef eb_members[] = {
	{"_fd", T_INT, offsetof(ElemBase, fd), 0, "the map fd (-1 once closed)"},
	{"_fast", T_UINT, offsetof(ElemBase, fast), 0,
	 "key_size << 8 | value_size while m[k] and m[k] = v take the C path, else 0"},
	{NULL, 0, 0, 0, NULL},
};

static PyType_Slot eb_slots[] = {
	{Py_tp_doc, "Base of pybpf's Map: m[k] and m[k] = v of an integer map in C."},
	{Py_tp_members, eb_members},
	{Py_mp_subscript, eb_subscript},
	{Py_mp_ass_subscript, eb_ass_subscript},
	{Py_tp_dealloc, eb_dealloc},
	{0, NULL},
};

static PyType_Spec eb_spec = {
	"pybpf._mapcall.ElemBase", sizeof(ElemBase), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	eb_slots,
};

static PyObject *seam(PyObject *self, PyObject *args)
{
	PyObject *ns, *native;
	(void)self;
	if (!PyArg_ParseTuple(args, "O!O:seam", &PyDict_Type, &ns, &native))
		return NULL;
	PyObject *old_ns = seam_ns, *old_native = seam_native;
	Py_INCREF(ns);
	Py_INCREF(native);
	seam_ns = ns;
	seam_native = native;
	Py_XDECREF(old_ns);
	Py_XDECREF(old_native);
	Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
	{"get", (PyCFunction)(void (*)(void))get, METH_FASTCALL,
	 "get(fd, key, shape) -> value, or -errno"},
	{"set", (PyCFunction)(void (*)(void))set, METH_FASTCALL,
	 "set(fd, key, value, shape, flags) -> 0 or errno"},
	{"delete", (PyCFunction)(void (*)(void))delete, METH_FASTCALL,
	 "delete(fd, key, shape) -> 0 or errno"},
	{"seam", seam, METH_VARARGS,
	 "seam(namespace, native): ElemBase's slots call bpf() only while "
	 "namespace['_sys_bpf'] is native"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "pybpf._mapcall",
	"Single-element calls of integer maps (m[k], m[k] = v, del m[k]).", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__mapcall(void)
{
	if (!s_sys_bpf) {
		s_sys_bpf = PyUnicode_InternFromString("_sys_bpf");
		s_lookup = PyUnicode_InternFromString("lookup");
		s_update = PyUnicode_InternFromString("update");
		s_delete = PyUnicode_InternFromString("delete");
		if (!s_sys_bpf || !s_lookup || !s_update || !s_delete)
			return NULL;
	}
	PyObject *mod = PyModule_Create(&module);
	if (!mod)
		return NULL;
	PyObject *tp = PyType_FromSpec(&eb_spec);
	if (!tp || PyModule_AddObject(mod, "ElemBase", tp)) {
		Py_XDECREF(tp);
		Py_DECREF(mod);
		return NULL;
	}
	return mod;
}
