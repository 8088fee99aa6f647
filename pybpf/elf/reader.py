"""The ELF level of a BPF object: sections, symbols and relocations (pyelftools).

`ElfReader` wraps pyelftools so that every malformed input becomes an
`ElfError` naming the file, the section and the offset, and so that the rest of
pybpf.elf sees plain records (`Symbol`, `Reloc`) instead of pyelftools objects.

>>> r = ElfReader.from_path("trace.bpf.o")            # doctest: +SKIP
>>> [s.name for s in r.code_sections()]               # doctest: +SKIP
['.text', 'tp/syscalls/sys_enter_openat']
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from .._record import record
from ..errors import ElfError

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


@record(frozen=True)
class Symbol:
    """One symbol-table entry, reduced to what a BPF loader needs."""

    index: int
    name: str
    value: int
    size: int
    type: str  # STT_FUNC, STT_OBJECT, STT_SECTION, STT_NOTYPE...
    bind: str  # STB_GLOBAL, STB_LOCAL, STB_WEAK
    visibility: str
    shndx: int | str  # section index, or SHN_UNDEF/SHN_ABS/SHN_COMMON

    @property
    def is_extern(self) -> bool:
        return self.shndx == "SHN_UNDEF" and bool(self.name)


@record(frozen=True)
class Reloc:
    """One relocation applied to a section: at byte ``offset``, of ``type``, to ``symbol``."""

    offset: int
    type: int
    symbol: Symbol


@record(frozen=True)
class Section:
    """A section header, with its data loaded on demand by `ElfReader.data`."""

    index: int
    name: str
    type: str
    flags: int
    size: int
    offset: int

    @property
    def is_code(self) -> bool:
        return self.type == SHT_PROGBITS and bool(self.flags & SHF_EXECINSTR)


_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # Elf64_Ehdr, little-endian


def header_problem(data: bytes) -> str | None:
    """What is wrong with the ELF header of ``data`` in words, or None; checked before
    pyelftools reads it, whose errors on a short or damaged file name struct fields.

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
        from elftools.common.exceptions import ELFError as _PyElfError
        from elftools.elf.elffile import ELFFile

        self.path = path
        self._raw = data
        if data[:4] != b"\x7fELF":
            raise ElfError("not an ELF file (bad magic)", path=path, offset=0)
        problem = header_problem(data)
        if problem is not None:
            raise ElfError(problem, path=path)
        try:
            self._elf = ELFFile(io.BytesIO(data))
            machine = self._elf.header["e_machine"]
            elfclass = self._elf.elfclass
            little = self._elf.little_endian
            etype = self._elf.header["e_type"]
        except (_PyElfError, ValueError, KeyError) as exc:
            raise ElfError(f"malformed ELF header: {exc}", path=path, offset=0) from None
        if machine not in ("EM_BPF", EM_BPF):
            raise ElfError(f"not a BPF object (machine {machine}); compile with clang -target bpf",
                           path=path)
        if elfclass != 64 or not little:
            raise ElfError("only 64-bit little-endian BPF objects are supported "
                           "(use -target bpf or bpfel)", path=path)
        if etype != "ET_REL":
            raise ElfError(f"expected a relocatable object (ET_REL), got {etype}", path=path)
        self._sections: list[Section] | None = None
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
    def sections(self) -> list[Section]:
        if self._sections is None:
            out = []
            try:
                for i, sec in enumerate(self._elf.iter_sections()):
                    out.append(Section(i, sec.name, sec["sh_type"], sec["sh_flags"],
                                       sec["sh_size"], sec["sh_offset"]))
            except Exception as exc:  # pyelftools raises many kinds on corrupt tables
                raise ElfError(f"malformed section table: {exc}", path=self.path) from None
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
            from elftools.elf.sections import SymbolTableSection

            out: list[Symbol] = []
            try:
                for sec in self._elf.iter_sections():
                    if not isinstance(sec, SymbolTableSection):
                        continue
                    for i, sym in enumerate(sec.iter_symbols()):
                        out.append(Symbol(i, sym.name, sym["st_value"], sym["st_size"],
                                          sym["st_info"]["type"], sym["st_info"]["bind"],
                                          sym["st_other"]["visibility"], sym["st_shndx"]))
                    break
            except Exception as exc:
                raise ElfError(f"malformed symbol table: {exc}", path=self.path,
                               section=".symtab") from None
            self._symbols = out
        return self._symbols

    def symbols_in(self, sec: Section) -> Iterator[Symbol]:
        for sym in self.symbols():
            if sym.shndx == sec.index:
                yield sym

    # -- relocations ---------------------------------------------------------------
    def relocations(self, sec: Section) -> list[Reloc]:
        """Relocations that apply to ``sec`` (from its ``.rel<name>`` section)."""
        from elftools.elf.relocation import RelocationSection

        symbols = self.symbols()
        out: list[Reloc] = []
        try:
            for rsec in self._elf.iter_sections():
                if not isinstance(rsec, RelocationSection) or rsec["sh_info"] != sec.index:
                    continue
                if rsec.is_RELA():
                    raise ElfError("RELA relocations are not used by BPF objects",
                                   path=self.path, section=rsec.name)
                for rel in rsec.iter_relocations():
                    symidx = rel["r_info_sym"]
                    if not 0 <= symidx < len(symbols):
                        raise ElfError(f"relocation refers to symbol {symidx}, which does not "
                                       "exist", path=self.path, section=rsec.name,
                                       offset=rel["r_offset"])
                    out.append(Reloc(rel["r_offset"], rel["r_info_type"], symbols[symidx]))
        except ElfError:
            raise
        except Exception as exc:
            raise ElfError(f"malformed relocation section: {exc}", path=self.path,
                           section=".rel" + sec.name) from None
        return out
