"""Resolve a function symbol of an ELF binary to the file offset a uprobe needs.

The kernel places a uprobe at a *file offset* of the binary: the symbol's
``st_value`` (a virtual address) minus the ``p_vaddr`` of the PT_LOAD segment
that contains it plus that segment's ``p_offset``. ``.symtab`` is searched
first (it has static functions), then ``.dynsym``.

>>> symbol_offset("/bin/true", "main")     # doctest: +SKIP
4896
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from ...errors import ElfError

__all__ = ["ResolvedSymbol", "resolve_binary", "symbol_offset", "resolve_symbol"]

_FUNC_TYPES = ("STT_FUNC", "STT_GNU_IFUNC", "STT_LOOS")


@dataclass(frozen=True)
class ResolvedSymbol:
    """Where a symbol lives: its address, size, file offset and the table it came from."""

    path: str
    name: str
    address: int
    size: int
    offset: int
    table: str


def _find_library(name: str) -> str | None:
    """A shared library by file name: as mapped in this process, else from ``ldconfig -p``."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.rstrip("\n").partition("/")[2]
                if path and os.path.basename("/" + path) == name:
                    return "/" + path
    except OSError:
        pass
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    bits64 = sys.maxsize > 2**32
    for line in out.splitlines():
        head, _, path = line.strip().partition(" => ")
        if head.split(" ", 1)[0] == name and (("64" in head) == bits64) and os.path.isfile(path):
            return path
    return None


def resolve_binary(binary: str) -> str:
    """An absolute path for ``binary``: as given when it exists, else a program in PATH or
    a shared library by name (``"libc.so.6"``: as loaded in this process, else via ldconfig)."""
    if os.sep not in binary and not os.path.exists(binary):
        found = _find_library(binary) if ".so" in binary else shutil.which(binary)
        if found:
            return os.path.realpath(found)
    if not os.path.isfile(binary):
        raise ElfError("no such file (uprobe target binary)", path=binary)
    return os.path.realpath(binary)


def _strip_version(name: str) -> str:
    return name.split("@", 1)[0]


def resolve_symbol(binary: str, symbol: str) -> ResolvedSymbol:
    """Find function ``symbol`` in ``binary`` and compute its file offset.

    Raises `ElfError` naming the symbol and the file when it is absent, undefined
    (imported from another object) or not inside any loadable segment.
    """
    from elftools.common.exceptions import ELFError as _PyElfError  # lazy: start-up cost
    from elftools.elf.elffile import ELFFile

    path = resolve_binary(binary)
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            found = None
            for table in (".symtab", ".dynsym"):
                section = elf.get_section_by_name(table)
                if section is None or not hasattr(section, "iter_symbols"):
                    continue
                for sym in section.iter_symbols():
                    if _strip_version(sym.name) != symbol:
                        continue
                    if sym["st_shndx"] == "SHN_UNDEF" or sym["st_value"] == 0:
                        continue
                    found = (sym, table)
                    if sym["st_info"]["type"] in _FUNC_TYPES:
                        break
                if found:
                    break
            if found is None:
                raise ElfError(f"no defined function symbol {symbol!r} in .symtab or .dynsym "
                               "(cannot place a uprobe)", path=path)
            sym, table = found
            address = sym["st_value"]
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD":
                    continue
                if seg["p_vaddr"] <= address < seg["p_vaddr"] + seg["p_memsz"]:
                    offset = address - seg["p_vaddr"] + seg["p_offset"]
                    return ResolvedSymbol(path, symbol, address, sym["st_size"], offset, table)
            raise ElfError(f"symbol {symbol!r} at {address:#x} is outside every PT_LOAD segment",
                           path=path)
    except _PyElfError as e:
        raise ElfError(f"not a readable ELF file ({e}) while looking up {symbol!r}", path=path) from e
    except OSError as e:
        raise ElfError(f"cannot read ({e.strerror}) while looking up {symbol!r}", path=path) from e


def symbol_offset(binary: str, symbol: str) -> int:
    """The file offset of function ``symbol`` in ``binary`` (see `resolve_symbol`)."""
    return resolve_symbol(binary, symbol).offset
