"""bpf_conformance test vectors: read them, run them on the VM or the kernel, compare.

- `pybpf.conformance.vectors`: parse ``.data`` files into `Vector` values (no assembler,
  VM or kernel needed to read them);
- `pybpf.conformance.runner`: run vectors on the VM (`run_vector_vm`) or on the kernel
  (`run_vector_kernel`, through `pybpf.kernel.oracle`), judge them against ``-- result``,
  and print the side-by-side table of docs/conformance.md. `pybpf conformance` is its CLI.

The runner is not imported here: reading vectors stays cheap.

>>> v = parse_vector("-- asm\\nmov %r0, 2\\nexit\\n-- result\\n0x2\\n")
>>> from pybpf.conformance.runner import run_vector_vm
>>> run_vector_vm(v).status
'pass'
"""
from .vectors import ConformanceError, Vector, load_vector, load_vectors, parse_vector

__all__ = ["ConformanceError", "Vector", "load_vector", "load_vectors", "parse_vector"]
