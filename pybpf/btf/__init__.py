"""BTF: parse kernel, module and object BTF; look types up; print C; read .BTF.ext; write BTF.

- `Btf` (a lazily decoded blob: ``Btf(data, base=None)``, ``Btf.from_file(path)``),
  `vmlinux()` (the running kernel's, cached), `Btf.find(name, kind)` -> type id,
  ``btf[type_id]`` -> a typed record (`pybpf.btf.types`), `Btf.resolve`, `Btf.size_of`,
  `Btf.member`;
- `to_c` / `CPrinter`: ``vmlinux.h`` as ``bpftool btf dump ... format c`` prints it;
- `BtfExt`: an object's ``.BTF.ext`` (func info, line info, CO-RE relocations);
  `from_object` reads both sections of a ``.bpf.o``;
- `BtfBuilder`, `sanitize`, `Features`: write BTF (and downgrade kinds an old kernel lacks);
- `pybpf.btf.modules` (module BTF); loading BTF into the kernel is `pybpf.kernel.btf.load_btf`.

>>> from pybpf.btf import vmlinux
>>> btf = vmlinux()                          # doctest: +SKIP
>>> btf.find("task_struct", "struct")        # doctest: +SKIP
114
"""
from __future__ import annotations

import sys as _sys

# Public names -> submodule. Imported on first use, so that `import pybpf.btf` (and the
# CLI's vmlinux.h path) stays cheap: the typed records and writer load only when needed.
_EXPORTS = {
    "CPrinter": "cprint", "to_c": "cprint", "write_c": "cprint",
    "BtfExt": "ext", "CoreRelo": "ext", "CoreReloKind": "ext", "FuncInfo": "ext", "LineInfo": "ext",
    "IntEncoding": "fields", "Kind": "format", "Linkage": "fields",
    "from_object": "objfile",
    "VMLINUX_PATH": "parse", "Btf": "parse", "vmlinux": "parse",
    "BtfBuilder": "writer", "Features": "writer", "sanitize": "writer",
}

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .cprint import CPrinter, to_c, write_c
    from .ext import BtfExt, CoreRelo, CoreReloKind, FuncInfo, LineInfo
    from .fields import IntEncoding, Linkage
    from .format import Kind
    from .objfile import from_object
    from .parse import VMLINUX_PATH, Btf, vmlinux
    from .writer import BtfBuilder, Features, sanitize


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pybpf.btf' has no attribute {name!r}")
    __import__(f"{__name__}.{module}")  # (not importlib's import_module: importlib imports warnings)
    value = getattr(_sys.modules[f"{__name__}.{module}"], name)
    globals()[name] = value
    return value


__all__ = ["VMLINUX_PATH", "Btf", "BtfBuilder", "BtfExt", "CPrinter", "CoreRelo", "CoreReloKind",
           "Features", "FuncInfo", "IntEncoding", "Kind", "LineInfo", "Linkage", "from_object",
           "sanitize", "to_c", "vmlinux", "write_c"]
