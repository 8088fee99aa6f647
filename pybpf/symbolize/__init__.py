"""Addresses to names: kernel addresses through /proc/kallsyms, user addresses through the
process's mappings and the ELF symbols of the mapped file, or a build id and file offset.

- `KernelSymbols`: ``/proc/kallsyms`` sorted once; ``lookup(addr)`` gives the symbol that
  contains it and the offset (``do_syscall_64+113``).
- `ElfSymbols`: the function symbols of one ELF file (``.symtab``, else ``.dynsym``) and its
  GNU build id; ``lookup(file_offset)``.
- `Symbolizer`: both, with the mappings of each process read once (``/proc/PID/maps``, kept
  after the process exits) and a table of files by build id, so a stack captured with
  ``BPF_F_USER_BUILD_ID`` (build id + offset) resolves without the process.

>>> ks = KernelSymbols.parse("ffffffff81000000 T _stext\\nffffffff81000100 t do_thing\\n")
>>> ks.lookup(0xffffffff81000104), ks.address("do_thing") == 0xffffffff81000100
(('do_thing', 4), True)
>>> Symbolizer().kernel_name(0x10, offset=True) in ("0x10", "_stext+0")  # below every symbol
True
"""

from __future__ import annotations

import bisect
import os
import struct
from dataclasses import dataclass, field

__all__ = ["ElfSymbols", "KernelSymbols", "Mapping", "Symbolizer", "elf_symbols", "kernel_symbols"]


_STT_FUNC, _STT_GNU_IFUNC = 2, 10


def _read_symbols(data: bytes, strtab: bytes, syms: dict[int, tuple[int, str]],
                  aliases: dict[str, int]) -> None:
    """Function symbols of one Elf64_Sym table: address -> (size, name); a global name
    wins over a local alias at the same address."""
    for name_off, info, _other, shndx, value, size in struct.iter_unpack("<IBBHQQ", data):
        if info & 0xF not in (_STT_FUNC, _STT_GNU_IFUNC) or not value or shndx == 0:
            continue
        end = strtab.find(b"\0", name_off)
        name = strtab[name_off:end].decode(errors="replace").split("@", 1)[0]
        aliases.setdefault(name, value)
        prev = syms.get(value)
        if prev is None or (prev[1].startswith("_") and not name.startswith("_")):
            syms[value] = (size, name)


class KernelSymbols:
    """The kernel's symbols (``/proc/kallsyms``), sorted by address."""

    def __init__(self, pairs: list[tuple[int, str]]) -> None:
        pairs.sort()
        self.addrs = [a for a, _ in pairs]
        self.names = [n for _, n in pairs]
        self._by_name: dict[str, int] | None = None

    @classmethod
    def parse(cls, text: str) -> KernelSymbols:
        pairs = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] not in ("a", "A", "U", "w"):
                pairs.append((int(parts[0], 16), parts[2]))
        return cls(pairs)

    @classmethod
    def load(cls, path: str = "/proc/kallsyms") -> KernelSymbols:
        with open(path) as f:
            return cls.parse(f.read())

    def lookup(self, addr: int) -> tuple[str, int] | None:
        """``(name, offset)`` of the symbol at or below ``addr``, or None."""
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0 or self.addrs[i] == 0:
            return None
        return self.names[i], addr - self.addrs[i]

    def address(self, name: str) -> int:
        """The address of symbol ``name`` (0 when absent)."""
        if self._by_name is None:
            self._by_name = {}
            for a, n in zip(self.addrs, self.names, strict=True):
                self._by_name.setdefault(n, a)
        return self._by_name.get(name, 0)


_KSYMS: KernelSymbols | None = None


def kernel_symbols() -> KernelSymbols:
    """/proc/kallsyms, read once per process."""
    global _KSYMS
    if _KSYMS is None:
        _KSYMS = KernelSymbols.load()
    return _KSYMS


@dataclass
class ElfSymbols:
    """Function symbols of one ELF file by virtual address, its loadable segments (to turn
    file offsets into addresses) and its GNU build id."""

    path: str
    addrs: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    segments: list[tuple[int, int, int]] = field(default_factory=list)  # (offset, vaddr, filesz)
    build_id: str = ""
    aliases: dict[str, int] = field(default_factory=dict)  # every function name, first address

    @classmethod
    def load(cls, path: str) -> ElfSymbols:
        """Read ``path``'s function symbols (``.symtab`` and ``.dynsym``, parsed in bulk: a
        library such as libLLVM has ~100k of them), segments and build id."""
        from elftools.common.exceptions import ELFError
        from elftools.elf.elffile import ELFFile

        out = cls(path)
        try:
            with open(path, "rb") as f:
                elf = ELFFile(f)
                if elf.elfclass != 64 or not elf.little_endian:
                    return out
                out.segments = [(s["p_offset"], s["p_vaddr"], s["p_filesz"])
                                for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
                syms: dict[int, tuple[int, str]] = {}
                for table in (".symtab", ".dynsym"):
                    sec = elf.get_section_by_name(table)
                    if sec is None or sec["sh_type"] == "SHT_NOBITS":
                        continue
                    strtab = elf.get_section(sec["sh_link"]).data()
                    _read_symbols(sec.data(), strtab, syms, out.aliases)
                for a in sorted(syms):
                    out.addrs.append(a)
                    out.ends.append(a + max(syms[a][0], 1))
                    out.names.append(syms[a][1])
                note = elf.get_section_by_name(".note.gnu.build-id")
                if note is not None and hasattr(note, "iter_notes"):
                    for n in note.iter_notes():
                        if n["n_type"] == "NT_GNU_BUILD_ID":
                            out.build_id = n["n_desc"]
        except (OSError, ELFError, ValueError, struct.error):
            pass
        return out

    def address(self, name: str) -> int:
        """The address of function ``name`` (0 when the file has none)."""
        if not hasattr(self, "_by_name"):
            self._by_name = {n: a for a, n in zip(self.addrs, self.names, strict=True)}
            self._by_name.update(self.aliases)
        return self._by_name.get(name, 0)

    def file_offset(self, vaddr: int) -> int | None:
        """The file offset of address ``vaddr`` (None outside every loadable segment)."""
        for off, va, size in self.segments:
            if va <= vaddr < va + max(size, 1):
                return vaddr - va + off
        return None

    def vaddr(self, file_offset: int) -> int:
        """The link-time address of ``file_offset`` (through the PT_LOAD segments)."""
        for off, va, size in self.segments:
            if off <= file_offset < off + max(size, 1):
                return file_offset - off + va
        return file_offset

    def lookup(self, vaddr: int) -> tuple[str, int] | None:
        """``(name, offset)`` of the function containing ``vaddr``, or None."""
        i = bisect.bisect_right(self.addrs, vaddr) - 1
        if i < 0:
            return None
        if vaddr >= self.ends[i] and (i + 1 >= len(self.addrs) or vaddr - self.addrs[i] > 1 << 20):
            return None
        return self.names[i], vaddr - self.addrs[i]


_ELF_CACHE: dict[tuple[str, int, int], ElfSymbols] = {}


def elf_symbols(path: str) -> ElfSymbols:
    """`ElfSymbols` of ``path``, cached by (path, inode, mtime)."""
    try:
        st = os.stat(path)
        key = (path, st.st_ino, int(st.st_mtime))
    except OSError:
        key = (path, 0, 0)
    if key not in _ELF_CACHE:
        _ELF_CACHE[key] = ElfSymbols.load(path)
    return _ELF_CACHE[key]


@dataclass(frozen=True)
class Mapping:
    """One executable mapping of a process: ``[start, end)`` maps ``path`` from ``offset``."""

    start: int
    end: int
    offset: int
    path: str


def read_maps(pid: int) -> list[Mapping]:
    """The file-backed executable mappings of ``pid`` (empty when it is gone). A process in
    another mount namespace (a container) has its files read through ``/proc/PID/root``."""
    out = []
    try:
        with open(f"/proc/{pid}/maps") as f:
            lines = f.read().splitlines()
        own_root = os.readlink(f"/proc/{pid}/root") == "/"
    except OSError:
        return []
    for line in lines:
        parts = line.split(None, 5)
        if len(parts) < 6 or "x" not in parts[1] or not parts[5].startswith("/"):
            continue
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        path = parts[5].strip()
        out.append(Mapping(lo, hi, int(parts[2], 16), path if own_root else f"/proc/{pid}/root{path}"))
    return out


class Symbolizer:
    """Kernel and user addresses to ``name+offset``, with per-process mappings cached (a
    process that exits after its maps were read still resolves)."""

    def __init__(self) -> None:
        self._maps: dict[int, list[Mapping]] = {}
        self.by_build_id: dict[str, str] = {}

    # -- kernel --------------------------------------------------------------------------------
    def kernel(self, addr: int) -> tuple[str, int] | None:
        return kernel_symbols().lookup(addr)

    def kernel_name(self, addr: int, *, offset: bool = False) -> str:
        found = self.kernel(addr)
        if found is None:
            return hex(addr)
        return f"{found[0]}+{found[1]}" if offset else found[0]

    # -- user ------------------------------------------------------------------------------------
    def remember(self, pid: int) -> None:
        """Read ``pid``'s mappings now (while it runs), for addresses resolved later."""
        if pid and pid not in self._maps:
            maps = read_maps(pid)
            if maps:
                self._maps[pid] = maps

    def user(self, pid: int, addr: int) -> tuple[str, int, str] | None:
        """``(name, offset, file)`` of user address ``addr`` in process ``pid``, or None."""
        self.remember(pid)
        for m in self._maps.get(pid, []):
            if m.start <= addr < m.end:
                syms = elf_symbols(m.path)
                found = syms.lookup(syms.vaddr(addr - m.start + m.offset))
                if found is not None:
                    return found[0], found[1], m.path
                return None
        return None

    def user_name(self, pid: int, addr: int, *, offset: bool = False) -> str:
        found = self.user(pid, addr)
        if found is None:
            return hex(addr)
        return f"{found[0]}+{found[1]}" if offset else found[0]

    def build_id(self, build_id: str, file_offset: int) -> tuple[str, int, str] | None:
        """``(name, offset, file)`` of a frame given as build id + file offset (files known
        from the processes seen so far, or the system's debug directory)."""
        path = self.by_build_id.get(build_id)
        if path is None:
            for maps in self._maps.values():
                for m in maps:
                    if m.path not in self.by_build_id.values():
                        bid = elf_symbols(m.path).build_id
                        if bid:
                            self.by_build_id.setdefault(bid, m.path)
            path = self.by_build_id.get(build_id)
        if path is None:
            debug = f"/usr/lib/debug/.build-id/{build_id[:2]}/{build_id[2:]}.debug"
            if not os.path.exists(debug):
                return None
            path = self.by_build_id[build_id] = debug
        syms = elf_symbols(path)
        found = syms.lookup(syms.vaddr(file_offset))
        return (found[0], found[1], path) if found is not None else None

    def add_file(self, path: str) -> str:
        """Register ``path`` under its build id (returned; "" when it has none)."""
        bid = elf_symbols(path).build_id
        if bid:
            self.by_build_id[bid] = path
        return bid
