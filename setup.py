"""Build hook: compiles the cffi extension ``pybpf._native`` from ``src_c/``.

The extension uses only the stable ABI (``_native.abi3.so``), so the wheel is tagged
``cp310-abi3``: one wheel serves every CPython >= 3.10 on the platform, and a user
without a C compiler installs it as is. Everything else lives in pyproject.toml.
"""
from setuptools import Extension, setup

# pybpf._batchdict: the one piece that builds Python objects in C (cffi cannot), also abi3
BATCHDICT = Extension("pybpf._batchdict", ["src_c/pyext/batchdict.c"], py_limited_api=True,
                      extra_compile_args=["-O2", "-Wall"])

# pybpf._mapcall: m[k], m[k] = v, del m[k] of integer maps as one CPython call each (abi3)
MAPCALL = Extension("pybpf._mapcall", ["src_c/pyext/mapcall.c"], py_limited_api=True,
                    depends=["src_c/inline/bpf_elem.h"],
                    extra_compile_args=["-O2", "-Wall"])

setup(cffi_modules=["src_c/build_native.py:ffibuilder"], ext_modules=[BATCHDICT, MAPCALL],
      options={"bdist_wheel": {"py_limited_api": "cp310"}})
