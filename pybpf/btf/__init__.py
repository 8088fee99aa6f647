"""BTF: parse kernel, module and object BTF; look types up; print C; read .BTF.ext; write BTF.

- `Btf` (a lazily decoded blob: ``Btf(data, base=None)``, ``Btf.from_file(path)``),
  `vmlinux()` (the running kernel's, cached), `Btf.find(name, kind)` -> type id,
  ``btf[type_id]`` -> a typed record (`pybpf.btf.types`), `Btf.resolve`, `Btf.size_of`,
  `Btf.member`;
- `to_c` / `CPrinter`: ``vmlinux.h`` as ``bpftool btf dump ... format c`` prints it;
- `BtfExt`: an object's ``.BTF.ext`` (func info, line info, CO-RE relocations);
  `from_object` reads both sections of a ``.bpf.o``;
- `BtfBuilder`, `sanitize`, `Features`: write BTF (and downgrade kinds an old kernel lacks);
- `pybpf.btf.load.load_btf` (BPF_BTF_LOAD), `pybpf.btf.modules` (module BTF).

>>> from pybpf.btf import vmlinux
>>> btf = vmlinux()                          # doctest: +SKIP
>>> btf.find("task_struct", "struct")        # doctest: +SKIP
114
"""
from __future__ import annotations

from .cprint import CPrinter, to_c
from .ext import BtfExt, CoreRelo, CoreReloKind, FuncInfo, LineInfo
from .format import IntEncoding, Kind, Linkage
from .objfile import from_object
from .parse import VMLINUX_PATH, Btf, vmlinux
from .writer import BtfBuilder, Features, sanitize

__all__ = ["VMLINUX_PATH", "Btf", "BtfBuilder", "BtfExt", "CPrinter", "CoreRelo", "CoreReloKind",
           "Features", "FuncInfo", "IntEncoding", "Kind", "LineInfo", "Linkage", "from_object",
           "sanitize", "to_c", "vmlinux"]
