/* pybpf._batchdict: the dict of one batch read of an integer map, built from the buffers the
 * kernel filled (pybpf.kernel.maps.batch, lookup_batch_dict).
 *
 * A CPython extension of its own (pybpf._native is cffi, which cannot hand back Python
 * objects), on the stable ABI of 3.10 like _native. It only turns little-endian unsigned
 * integers into a dict: the bpf() calls stay in Python, and tests/kernel/test_map_fast_paths.py
 * checks its result against the Python path's (dict(zip(...)) of memoryview casts).
 *
 * Without the stable ABI's buffer protocol (3.11+), buffers come as addresses: the caller
 * (pybpf-internal) holds them alive and guarantees n * size bytes at each. */
#define PY_SSIZE_T_CLEAN
#define Py_LIMITED_API 0x030A0000
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

/* CPython's dict sized for n entries up front (no growth while filling it): a private
 * function of every CPython 3.x, looked up once; PyDict_New where it is missing. */
typedef PyObject *(*presized_fn)(Py_ssize_t);
static presized_fn presized;

static unsigned long long get_le(const unsigned char *p, unsigned int size)
{
	switch (size) {
	case 1: return p[0];
	case 2: { uint16_t x; memcpy(&x, p, 2); return x; }
	case 4: { uint32_t x; memcpy(&x, p, 4); return x; }
	default: { uint64_t x; memcpy(&x, p, 8); return x; }
	}
}

static PyObject *uint_obj(unsigned long long x)
{
	return x <= (unsigned long long)LONG_MAX ? PyLong_FromLong((long)x)
						  : PyLong_FromUnsignedLongLong(x);
}

/* fill(keys_addr, values_addr, n, key_size, value_size, value_stride) -> dict
 * sizes are 1, 2, 4 or 8 (little-endian unsigned); value i is at values_addr + i * stride. */
static PyObject *fill(PyObject *self, PyObject *args)
{
	unsigned long long ka, va;
	Py_ssize_t n;
	unsigned int ks, vs, stride;
	(void)self;
	if (!PyArg_ParseTuple(args, "KKnIII:fill", &ka, &va, &n, &ks, &vs, &stride))
		return NULL;
	if (n < 0 || (ks != 1 && ks != 2 && ks != 4 && ks != 8) ||
	    (vs != 1 && vs != 2 && vs != 4 && vs != 8) || stride < vs || (n && (!ka || !va))) {
		PyErr_SetString(PyExc_ValueError, "batchdict.fill: bad sizes or buffers");
		return NULL;
	}
	PyObject *d = presized ? presized(n) : PyDict_New();
	if (!d)
		return NULL;
	const unsigned char *k = (const unsigned char *)(uintptr_t)ka;
	const unsigned char *v = (const unsigned char *)(uintptr_t)va;
	for (Py_ssize_t i = 0; i < n; i++, k += ks, v += stride) {
		PyObject *ko = uint_obj(get_le(k, ks));
		PyObject *vo = ko ? uint_obj(get_le(v, vs)) : NULL;
		int err = vo ? PyDict_SetItem(d, ko, vo) : -1;
		Py_XDECREF(ko);
		Py_XDECREF(vo);
		if (err) {
			Py_DECREF(d);
			return NULL;
		}
	}
	return d;
}

static PyMethodDef methods[] = {
	{"fill", fill, METH_VARARGS,
	 "fill(keys_addr, values_addr, n, key_size, value_size, value_stride) -> dict"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "pybpf._batchdict",
	"Dicts of integer map entries built from batch-read buffers.", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__batchdict(void)
{
	presized = (presized_fn)dlsym(RTLD_DEFAULT, "_PyDict_NewPresized");
	return PyModule_Create(&module);
}
