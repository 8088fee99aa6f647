"""cffi (API mode) build script for ``pybpf._native``, the thin C side of pybpf.

The C source is ``src_c/native.c``; the declarations Python sees are in
``src_c/native.h``. Attribute layouts are pybpf's own (see pybpf/kernel), so
nothing here includes the system's <linux/bpf.h>.
"""
import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))

ffibuilder = FFI()
with open(os.path.join(HERE, "native.h")) as f:
    ffibuilder.cdef(f.read())
with open(os.path.join(HERE, "native.c")) as f:
    ffibuilder.set_source("pybpf._native", f.read(), extra_compile_args=["-O2", "-Wall"])

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
