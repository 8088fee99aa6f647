"""The ELF level of a BPF object: sections, symbols and relocations.

`ElfReader` reads the ELF64 tables with `struct` (importing pyelftools cost a BPF
object's loader ~40 ms at start-up, more than the rest of its parsing), so that every
malformed input becomes an `ElfError` naming the file, the section and the offset, and
the rest of pybpf.elf sees plain records (`Section`, `Symbol`, `Reloc`). Type, binding
and visibility numbers are named as the ELF specification names them (``STT_FUNC``).

>>> r = ElfReader.from_path("trace.bpf.o")            # doctest: +SKIP
>>> [s.name for s in r.code_sections()]               # doctest: +SKIP
['.text', 'tp/syscalls/sys_enter_openat']
"""

from __future__ import annotations

import struct

from .._record import Frozen

_set = object.__setattr__  # past the frozen __setattr__, as dataclasses' __init__ does
from ..errors import ElfError

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EM_BPF = 247
R_BPF_NONE = 0
R_BPF_64_64 = 1  # lddw: map, global variable, function address
R_BPF_64_ABS64 = 2  # data: 64-bit absolute (e.g. in .maps for map-in-map values)
R_BPF_64_ABS32 = 3  # data/debug: 32-bit absolute
R_BPF_64_NODYLD32 = 4  # .BTF/.BTF.ext: nothing to do at load
R_BPF_64_32 = 10  # call: bpf-to-bpf or kfunc

SHT_PROGBITS = "SHT_PROGBITS"
SHT_NOBITS = "SHT_NOBITS"
SHF_EXECINSTR = 0x4
#: The largest .bss-like section pybpf materialises (a map value cannot be larger).
_MAX_NOBITS = 1 << 30


class Symbol(Frozen):
    """One symbol-table entry, reduced to what a BPF loader needs."""

    __slots__ = __match_args__ = ("index", "name", "value", "size", "type", "bind",
                                  "visibility", "shndx")
    index: int
    name: str
    value: int
    size: int
    type: str  # STT_FUNC, STT_OBJECT, STT_SECTION, STT_NOTYPE...
    bind: str  # STB_GLOBAL, STB_LOCAL, STB_WEAK
    visibility: str
    shndx: int | str  # section index, or SHN_UNDEF/SHN_ABS/SHN_COMMON

    def __init__(self, index: int, name: str, value: int, size: int, type: str,  # noqa: A002
                 bind: str, visibility: str, shndx: int | str) -> None:
        _set(self, "index", index)
        _set(self, "name", name)
        _set(self, "value", value)
        _set(self, "size", size)
        _set(self, "type", type)
        _set(self, "bind", bind)
        _set(self, "visibility", visibility)
        _set(self, "shndx", shndx)

    @property
    def is_extern(self) -> bool:
        return self.shndx == "SHN_UNDEF" and bool(self.name)


class Reloc(Frozen):
    """One relocation applied to a section: at byte ``offset``, of ``type``, to ``symbol``."""

    __slots__ = __match_args__ = ("offset", "type", "symbol")
    offset: int
    type: int
    symbol: Symbol

    def __init__(self, offset: int, type: int, symbol: Symbol) -> None:  # noqa: A002
        _set(self, "offset", offset)
        _set(self, "type", type)
        _set(self, "symbol", symbol)


class Section(Frozen):
    """A section header, with its data loaded on demand by `ElfReader.data`."""

    __slots__ = __match_args__ = ("index", "name", "type", "flags", "size", "offset")
    index: int
    name: str
    type: str
    flags: int
    size: int
    offset: int

    def __init__(self, index: int, name: str, type: str, flags: int, size: int,  # noqa: A002
                 offset: int) -> None:
        _set(self, "index", index)
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "flags", flags)
        _set(self, "size", size)
        _set(self, "offset", offset)

    @property
    def is_code(self) -> bool:
        return self.type == SHT_PROGBITS and bool(self.flags & SHF_EXECINSTR)


_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # Elf64_Ehdr, little-endian
_SHDR = struct.Struct("<IIQQQQIIQQ")  # Elf64_Shdr: name, type, flags, addr, offset, size, link, info, ...
_SYM = struct.Struct("<IBBHQQ")  # Elf64_Sym: name, info, other, shndx, value, size
_REL = struct.Struct("<QQ")  # Elf64_Rel: offset, info (symbol << 32 | type)
ET_REL = 1
_SHN_XINDEX = 0xFFFF
# the names the ELF specification gives these numbers (and pyelftools spells the same)
_ETYPES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_MACHINES = {3: "EM_386", 40: "EM_ARM", 62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV"}
_SECTION_TYPES = {
    0: "SHT_NULL", 1: "SHT_PROGBITS", 2: "SHT_SYMTAB", 3: "SHT_STRTAB", 4: "SHT_RELA",
    5: "SHT_HASH", 6: "SHT_DYNAMIC", 7: "SHT_NOTE", 8: "SHT_NOBITS", 9: "SHT_REL",
    10: "SHT_SHLIB", 11: "SHT_DYNSYM", 14: "SHT_INIT_ARRAY", 15: "SHT_FINI_ARRAY",
    16: "SHT_PREINIT_ARRAY", 17: "SHT_GROUP", 18: "SHT_SYMTAB_SHNDX",
    0x6FFF4C03: "SHT_LLVM_ADDRSIG", 0x6FFFFFF6: "SHT_GNU_HASH", 0x6FFFFFFD: "SHT_GNU_verdef",
    0x6FFFFFFE: "SHT_GNU_verneed", 0x6FFFFFFF: "SHT_GNU_versym"}
_SYMBOL_TYPES = {0: "STT_NOTYPE", 1: "STT_OBJECT", 2: "STT_FUNC", 3: "STT_SECTION",
                 4: "STT_FILE", 5: "STT_COMMON", 6: "STT_TLS", 10: "STT_LOOS", 12: "STT_HIOS",
                 13: "STT_LOPROC", 15: "STT_HIPROC"}
_SYMBOL_BINDS = {0: "STB_LOCAL", 1: "STB_GLOBAL", 2: "STB_WEAK", 10: "STB_LOOS",
                 12: "STB_HIOS", 13: "STB_LOPROC", 15: "STB_HIPROC"}
_VISIBILITIES = ("STV_DEFAULT", "STV_INTERNAL", "STV_HIDDEN", "STV_PROTECTED")
_SPECIAL_INDEXES = {0: "SHN_UNDEF", 0xFFF1: "SHN_ABS", 0xFFF2: "SHN_COMMON",
                    _SHN_XINDEX: "SHN_XINDEX"}


def header_problem(data: bytes) -> str | None:
    """What is wrong with the ELF header of ``data`` in words, or None; checked before
    the section table is read.

    >>> header_problem(b"\\x7fELF" + bytes(6))
    'the file is 10 bytes: too short for an ELF object (the ELF identification alone is 16 bytes)'
    """
    n = len(data)
    if n < 16:
        return (f"the file is {n} bytes: too short for an ELF object (the ELF identification "
                "alone is 16 bytes)")
    ei_class, ei_data = data[4], data[5]
    if ei_class != 2:
        kind = {1: "a 32-bit ELF object"}.get(ei_class, f"an ELF class byte of {ei_class}")
        return f"{kind}: BPF objects are 64-bit (clang -target bpf)"
    if ei_data != 1:
        kind = {2: "a big-endian ELF object"}.get(ei_data, f"an ELF data byte of {ei_data}")
        return f"{kind}: pybpf reads little-endian BPF objects (-target bpf or bpfel)"
    if n < _EHDR.size:
        return (f"the file is {n} bytes: cut short inside the ELF header, which is "
                f"{_EHDR.size} bytes")
    (_ident, _type, _machine, _version, _entry, _phoff, shoff, _flags, _ehsize, _phentsize,
     _phnum, shentsize, shnum, shstrndx) = _EHDR.unpack_from(data)
    if shnum and shentsize != 64:
        return f"section header entries of {shentsize} bytes: ELF64 ones are 64"
    end = shoff + shnum * shentsize
    if shnum and end > n:
        return (f"the section header table ({shnum} entries at byte {shoff}) ends at byte "
                f"{end}, past the end of the file ({n} bytes): the file is cut short")
    if shnum and shstrndx >= shnum:
        return (f"the section name table is section {shstrndx}, but there are only "
                f"{shnum} sections")
    return None


class ElfReader:
    """Read-only access to a 64-bit little-endian BPF relocatable object."""

    def __init__(self, data: bytes, path: str | None = None) -> None:
        self.path = path
        self._raw = data
        if data[:4] != b"\x7fELF":
            raise ElfError("not an ELF file (bad magic)", path=path, offset=0)
        problem = header_problem(data)
        if problem is not None:
            raise ElfError(problem, path=path)
        (_ident, etype, machine, _version, _entry, _phoff, shoff, _flags, _ehsize, _phentsize,
         _phnum, _shentsize, shnum, shstrndx) = _EHDR.unpack_from(data)
        if machine != EM_BPF:
            raise ElfError(f"not a BPF object (machine {_MACHINES.get(machine, machine)}); "
                           "compile with clang -target bpf", path=path)
        if etype != ET_REL:
            raise ElfError(f"expected a relocatable object (ET_REL), got "
                           f"{_ETYPES.get(etype, etype)}", path=path)
        self._shoff = shoff
        self._shnum = shnum
        self._shstrndx = shstrndx
        self._sections: list[Section] | None = None
        self._headers: list[tuple[int, ...]] | None = None
        self._symbols: list[Symbol] | None = None

    @classmethod
    def from_path(cls, path: str) -> ElfReader:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise ElfError(f"cannot read: {exc.strerror}", path=path) from None
        return cls(data, path)

    # -- sections ------------------------------------------------------------------
    def _section_headers(self) -> list[tuple[int, ...]]:
        """The raw ``Elf64_Shdr`` fields of every section (extended numbering resolved)."""
        if self._headers is None:
            data, shoff, shnum = self._raw, self._shoff, self._shnum
            if shoff and not shnum:  # more sections than the header counts: in section 0
                if shoff + _SHDR.size > len(data):
                    raise ElfError("malformed section table: section 0 lies outside the file",
                                   path=self.path)
                shnum = _SHDR.unpack_from(data, shoff)[5]
                if shoff + shnum * _SHDR.size > len(data):
                    raise ElfError(f"malformed section table: {shnum} sections at byte {shoff} "
                                   f"end past the file ({len(data)} bytes)", path=self.path)
            self._headers = [_SHDR.unpack_from(data, shoff + i * _SHDR.size)
                             for i in range(shnum)] if shoff else []
        return self._headers

    def _string(self, table: int, offset: int, what: str) -> str:
        """The NUL-terminated name at ``offset`` of the string table in section ``table``."""
        headers = self._section_headers()
        if not 0 <= table < len(headers):
            raise ElfError(f"malformed {what}: its string table is section {table}, which "
                           "does not exist", path=self.path)
        start = headers[table][4] + offset
        end = headers[table][4] + headers[table][5]
        if offset >= headers[table][5] or end > len(self._raw):
            raise ElfError(f"malformed {what}: name at offset {offset} lies outside its string "
                           f"table (section {table}, {headers[table][5]} bytes)", path=self.path)
        stop = self._raw.find(b"\0", start, end)
        return self._raw[start:end if stop < 0 else stop].decode("utf-8", "replace")

    def _names(self, table: int, what: str) -> Callable[[int], str]:
        """`_string` of one table as a function of the offset, the table's bounds read once
        (a table that does not exist, or a name outside it: `_string` itself, which raises)."""
        headers = self._section_headers()
        raw = self._raw
        if not 0 <= table < len(headers) or headers[table][4] + headers[table][5] > len(raw):
            return lambda offset: self._string(table, offset, what)  # (raises)
        base, size = headers[table][4], headers[table][5]
        end = base + size

        def name(offset: int) -> str:
            if offset >= size:
                return self._string(table, offset, what)  # raises
            start = base + offset
            stop = raw.find(b"\0", start, end)
            return raw[start:end if stop < 0 else stop].decode("utf-8", "replace")

        return name

    def sections(self) -> list[Section]:
        if self._sections is None:
            headers = self._section_headers()
            names = self._shstrndx
            if names == _SHN_XINDEX and headers:
                names = headers[0][6]
            out = []
            label_at = self._names(names, "section table") if names else None
            for i, (name, stype, flags, _addr, offset, size, *_rest) in enumerate(headers):
                label = label_at(name) if label_at is not None else ""
                out.append(Section(i, label, _SECTION_TYPES.get(stype, f"{stype:#x}"), flags, size,
                                   offset))
            self._sections = out
        return self._sections

    def section(self, name: str) -> Section | None:
        for sec in self.sections():
            if sec.name == name:
                return sec
        return None

    def section_at(self, index: int) -> Section:
        secs = self.sections()
        if not 0 <= index < len(secs):
            raise ElfError(f"section index {index} out of range", path=self.path)
        return secs[index]

    def code_sections(self) -> list[Section]:
        return [s for s in self.sections() if s.is_code and s.size]

    def data(self, sec: Section) -> bytes:
        """The bytes of a section (zeros for NOBITS such as .bss)."""
        if sec.type == SHT_NOBITS:
            if not 0 <= sec.size <= _MAX_NOBITS:
                raise ElfError(f"NOBITS size {sec.size} is not plausible for a BPF map value",
                               path=self.path, section=sec.name)
            return bytes(sec.size)
        end = sec.offset + sec.size
        if sec.offset < 0 or end > len(self._raw):
            raise ElfError(f"section data [{sec.offset:#x}, {end:#x}) lies outside the file "
                           f"({len(self._raw)} bytes)", path=self.path, section=sec.name,
                           offset=sec.offset)
        return self._raw[sec.offset:end]

    # -- symbols -------------------------------------------------------------------
    def symbols(self) -> list[Symbol]:
        if self._symbols is None:
            out: list[Symbol] = []
            for sec in self.sections():
                if sec.type not in ("SHT_SYMTAB", "SHT_DYNSYM"):
                    continue
                link, entsize = (self._section_headers()[sec.index][i] for i in (6, 9))
                if entsize != _SYM.size or sec.size % _SYM.size:
                    raise ElfError(f"malformed symbol table: {sec.size} bytes of {entsize}-byte "
                                   f"entries (ELF64 symbols are {_SYM.size} bytes)",
                                   path=self.path, section=sec.name)
                data = self.data(sec)
                count = len(data) // _SYM.size
                name_at = self._names(link, "symbol table")
                for i in range(count):
                    name, info, other, shndx, value, size = _SYM.unpack_from(data, i * _SYM.size)
                    out.append(Symbol(i, name_at(name) if name else "",
                                      value, size, _SYMBOL_TYPES.get(info & 0xF, f"STT_{info & 0xF}"),
                                      _SYMBOL_BINDS.get(info >> 4, f"STB_{info >> 4}"),
                                      _VISIBILITIES[other & 3], _SPECIAL_INDEXES.get(shndx, shndx)))
                break
            self._symbols = out
        return self._symbols

    def symbols_in(self, sec: Section) -> Iterator[Symbol]:
        for sym in self.symbols():
            if sym.shndx == sec.index:
                yield sym

    # -- relocations ---------------------------------------------------------------
    def relocations(self, sec: Section) -> list[Reloc]:
        """Relocations that apply to ``sec`` (from its ``.rel<name>`` section)."""
        symbols = self.symbols()
        headers = self._section_headers()
        out: list[Reloc] = []
        for rsec in self.sections():
            if rsec.type not in ("SHT_REL", "SHT_RELA") or headers[rsec.index][7] != sec.index:
                continue
            if rsec.type == "SHT_RELA":
                raise ElfError("RELA relocations are not used by BPF objects",
                               path=self.path, section=rsec.name)
            entsize = headers[rsec.index][9]
            if entsize != _REL.size or rsec.size % _REL.size:
                raise ElfError(f"malformed relocation section: {rsec.size} bytes of "
                               f"{entsize}-byte entries (ELF64 relocations are {_REL.size} "
                               "bytes)", path=self.path, section=rsec.name)
            data = self.data(rsec)
            for i in range(len(data) // _REL.size):
                offset, info = _REL.unpack_from(data, i * _REL.size)
                symidx = info >> 32
                if not 0 <= symidx < len(symbols):
                    raise ElfError(f"relocation refers to symbol {symidx}, which does not "
                                   "exist", path=self.path, section=rsec.name, offset=offset)
                out.append(Reloc(offset, info & 0xFFFFFFFF, symbols[symidx]))
        return out
