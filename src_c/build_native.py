"""cffi (API mode) build script for ``pybpf._native``, the thin C side of pybpf.

Every ``src_c/*.h`` is a cdef (what Python sees) and every ``src_c/*.c`` is
compiled into the one extension, so each concern (syscalls, ring buffers, perf
events) keeps its own small pair of files. Attribute layouts are pybpf's own
(see pybpf/kernel), so nothing here includes the system's <linux/bpf.h>.
"""
import glob
import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
HEADERS = sorted(glob.glob(os.path.join(HERE, "*.h")))
SOURCES = sorted(glob.glob(os.path.join(HERE, "*.c")))

ffibuilder = FFI()
for header in HEADERS:
    with open(header) as f:
        ffibuilder.cdef(f.read())
ffibuilder.set_source(
    "pybpf._native",
    "".join(f'#include "{os.path.basename(h)}"\n' for h in HEADERS),
    sources=[os.path.join("src_c", os.path.basename(s)) for s in SOURCES],  # relative to setup.py
    include_dirs=[HERE],
    extra_compile_args=["-O2", "-Wall"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
