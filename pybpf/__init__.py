"""pybpf: a pure-Python eBPF toolchain.

Assemble, disassemble, verify, run (VM) and load eBPF programs from Python.

>>> import pybpf
>>> prog = pybpf.assemble("r0 = 42\\nexit")
>>> print(pybpf.disassemble(prog))
       0:	b7 00 00 00 2a 00 00 00	r0 = 0x2a
       1:	95 00 00 00 00 00 00 00	exit
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import errors, isa
from .errors import (
    AsmError,
    BtfError,
    DslError,
    ElfError,
    IsaError,
    KernelError,
    MountError,
    ProgLoadError,
    PybpfError,
    VerifierReject,
    VMFault,
)
from .isa import Insn, MapDecl, Program, Ref


def __getattr__(name: str) -> object:
    # Lazily import the heavier layers so `import pybpf` stays cheap.
    if name in ("assemble", "disassemble"):
        from . import asm

        return getattr(asm, name)
    raise AttributeError(f"module 'pybpf' has no attribute {name!r}")


__all__ = [
    "AsmError", "BtfError", "DslError", "ElfError", "Insn", "IsaError", "KernelError",
    "MapDecl", "MountError", "ProgLoadError", "Program", "PybpfError", "Ref", "VMFault",
    "VerifierReject", "__version__", "assemble", "disassemble", "errors", "isa",
]
