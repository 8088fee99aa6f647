"""pybpf: a pure-Python eBPF toolchain.

Assemble, disassemble, verify, run (VM) and load eBPF programs from Python.

>>> import pybpf
>>> prog = pybpf.assemble("r0 = 42\\nexit")
>>> print(pybpf.disassemble(prog))  # doctest: +NORMALIZE_WHITESPACE
       0:	b7 00 00 00 2a 00 00 00	r0 = 0x2a
       1:	95 00 00 00 00 00 00 00	exit
>>> pybpf.verify(prog, "socket_filter").accepted
True
>>> pybpf.VM().run(prog).r0
42

The top level re-exports the entry points of each layer; they are imported on first
use, so ``import pybpf`` stays cheap (the kernel layer needs the compiled cffi module,
the verifier and BTF layers pull in their tables).
"""

from __future__ import annotations

__version__ = "0.1.0"

import sys as _sys

from . import errors
from ._deprecated import module_getattr
from .errors import (
    AsmError,
    BtfError,
    DslError,
    ElfError,
    IsaError,
    KernelError,
    PybpfError,
)

TYPE_CHECKING = False  # (not typing's: `import pybpf` stays cheap)
if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from . import isa  # noqa: F401
    from .errors import MountError, ProgLoadError, VerifierReject, VMFault  # noqa: F401
    from .isa import Insn, MapSpec, ProgramSpec, Ref  # noqa: F401

#: name -> (module, attribute) for the lazily imported entry points (the ISA too: commands
#: such as ``pybpf btf dump`` never need it)
_LAZY = {
    **{name: ("pybpf.errors", name) for name in ("VerifierReject", "VMFault", "MountError",
                                                 "ProgLoadError")},
    "isa": ("pybpf.isa", None),
    "Insn": ("pybpf.isa", "Insn"),
    "MapSpec": ("pybpf.isa", "MapSpec"),
    "ProgramSpec": ("pybpf.isa", "ProgramSpec"),
    "Ref": ("pybpf.isa", "Ref"),
    "assemble": ("pybpf.asm", "assemble"),
    "disassemble": ("pybpf.asm", "disassemble"),
    "format_insn": ("pybpf.asm", "format_insn"),
    "verify": ("pybpf.verifier.engine", "verify"),
    "Report": ("pybpf.verifier.report", "Report"),
    "VM": ("pybpf.vm", "VM"),
    "load": ("pybpf.kernel.prog", "load"),
    "LoadOptions": ("pybpf.kernel.prog", "LoadOptions"),
    "Program": ("pybpf.kernel.prog", "Program"),
    "Map": ("pybpf.kernel.maps", "Map"),
    "MapSpecError": ("pybpf.kernel.maps", "MapSpecError"),
    "RingBufReader": ("pybpf.kernel.ringbuf", "RingBufReader"),
    "PerfBufReader": ("pybpf.kernel.perfbuf", "PerfBufReader"),
    "features": ("pybpf.kernel.features", None),
    "link": ("pybpf.kernel.link", None),
    "read_object": ("pybpf.elf", "read_object"),
    "BpfObject": ("pybpf.elf.loader", "BpfObject"),
    "Btf": ("pybpf.btf", "Btf"),
    "vmlinux": ("pybpf.btf", "vmlinux"),
}


#: old name -> (where it is now, since): kept for one release, with a DeprecationWarning.
#: The map kinds left the top level: ``pybpf.Map.create(pybpf.MapSpec(...))`` returns them,
#: and ``pybpf.dsl.HashMap`` is the DSL's declaration, a different thing.
_DEPRECATED = {
    "Prog": ("pybpf.kernel.prog.Program", "0.2"),
    "MapDecl": ("pybpf.isa.mapspec.MapSpec", "0.2"),
    "HashMap": ("pybpf.kernel.maps.HashMap", "0.2"),
    "ArrayMap": ("pybpf.kernel.maps.ArrayMap", "0.2"),
    "RingBufMap": ("pybpf.kernel.maps.RingBufMap", "0.2"),
    "RingBuffer": ("pybpf.kernel.ringbuf.RingBufReader", "0.2"),
    "PerfBuffer": ("pybpf.kernel.perfbuf.PerfBufReader", "0.2"),
    "load_object": ("pybpf.elf.object.read_object", "0.2"),
}
_deprecated_getattr = module_getattr("pybpf", _DEPRECATED)


def __getattr__(name: str) -> object:
    if name in _DEPRECATED:
        return _deprecated_getattr(name)
    entry = _LAZY.get(name)
    if entry is None:
        raise AttributeError(f"module 'pybpf' has no attribute {name!r}")
    __import__(entry[0])  # (not importlib's import_module: importlib imports warnings)
    module = _sys.modules[entry[0]]
    value = module if entry[1] is None else getattr(module, entry[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AsmError", "BtfError", "DslError", "ElfError", "IsaError", "KernelError",
    "MountError", "ProgLoadError", "PybpfError", "VMFault",
    "VerifierReject", "__version__", "errors", *sorted(_LAZY),
]
