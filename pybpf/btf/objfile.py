"""BTF of a clang-compiled BPF object: its ``.BTF`` and ``.BTF.ext`` sections.

>>> btf, ext = from_object("prog.bpf.o")        # doctest: +SKIP
>>> ext.func_info                               # doctest: +SKIP
{'xdp': [FuncInfo(insn_off=0, type_id=5)]}
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BtfError, ElfError
from .parse import Btf

if TYPE_CHECKING:
    from .ext import BtfExt

ELF_MAGIC = b"\x7fELF"


def is_elf(data: bytes) -> bool:
    return data[:4] == ELF_MAGIC


def from_object(obj: str | Path | bytes, *, name: str | None = None) -> tuple[Btf, BtfExt | None]:
    """``(Btf of .BTF, BtfExt of .BTF.ext or None)`` of an ELF object (path or bytes).

    Raises `BtfError` if the object has no ``.BTF`` section, `ElfError` if it is not ELF.
    """
    from ..elf.reader import ElfReader
    from .ext import BtfExt

    if isinstance(obj, bytes):
        reader = ElfReader(obj, name)
        label = name or "<object>"
    else:
        reader = ElfReader.from_path(str(obj))
        label = str(obj)
    sec = reader.section(".BTF")
    if sec is None:
        raise BtfError(f"{label}: no .BTF section (compile with -g)")
    btf = Btf(reader.data(sec), name=f"{label}:.BTF")
    ext_sec = reader.section(".BTF.ext")
    ext = BtfExt(reader.data(ext_sec), btf) if ext_sec is not None else None
    return btf, ext


def load_any(path: str | Path, *, base: Btf | None = None) -> Btf:
    """A `Btf` from a raw BTF file or from an ELF object's ``.BTF``."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise BtfError(f"cannot read {path}: {e.strerror}") from e
    if is_elf(data):
        try:
            return from_object(data, name=str(path))[0]
        except ElfError:
            raise
    return Btf(data, base=base, name=str(path))
