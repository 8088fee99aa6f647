"""A clang-compiled BPF object as specs: programs, maps and globals, no kernel involved.

`read_object(path)` reads a ``.bpf.o`` the way libbpf does and returns an
`ObjectSpec`:

- every global function in a code section other than ``.text`` is a program, its
  type and attach point taken from the section name (`pybpf.elf.sections`);
- functions in ``.text`` are subprograms, appended to each program that calls
  them (transitively) and reached through labels, so `ProgramSpec.resolve` computes
  the call offsets;
- ``lddw`` relocations become symbolic references: a map in ``.maps``/``maps``
  (``src=1``, `Ref.map`), a global variable in ``.data``/``.rodata``/``.bss``
  (``src=2``, `Ref.map` of the section's map with the variable's offset), a
  function address (``src=4``, `Ref.label`), a kernel variable in ``.ksyms``
  (``src=3``, `RefKind.KSYM`); ``call`` relocations become bpf-to-bpf calls
  (``src=1``) or kfunc calls (``src=2``, `Ref.kfunc`);
- global data sections become single-entry array maps with their initial value,
  ``.rodata`` frozen and read-only for programs, like libbpf.

>>> obj = read_object("tests/progs/minimal.bpf.o")     # doctest: +SKIP
>>> obj.programs["handle"].spec.prog_type               # doctest: +SKIP
'tracepoint'
"""

from __future__ import annotations

import os
import struct

from .._record import Frozen
from ..errors import ElfError, IsaError
from ..isa import (
    LDDW,
    CallSrc,
    Class,
    Insn,
    JmpOp,
    MapSpec,
    ProgramSpec,
    PseudoSrc,
    Ref,
    RefKind,
    SourceLine,
)
from ..isa.insn import decode_all
from .reader import R_BPF_64_32, R_BPF_64_64, ElfReader, Reloc, Section, Symbol
from .sections import SectionSpec, parse_section

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from typing import Any

    from ..btf.ext import BtfExt
    from ..btf.parse import Btf

#: Flags libbpf sets on global-data maps.
BPF_F_RDONLY_PROG = 1 << 7
BPF_F_MMAPABLE = 1 << 10

_DATA_PREFIXES = (".data", ".rodata", ".bss")
_DATA_DOTTED = tuple(p + "." for p in _DATA_PREFIXES)
_CALL = Class.JMP | JmpOp.CALL


class MutableRecord(Frozen):
    """Base of hand-written records whose fields may be assigned: `pybpf._record.Frozen`'s
    ``repr``, ``==`` by value, `pybpf._record.replace` and pickling, unhashable (what
    ``record()`` gives, for the price of a plain class: a record class makes its methods
    at its first instance, ~0.3M instructions of an object loader's start-up each). A
    subclass lists its fields in ``__match_args__`` and writes its ``__init__``."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable
    __setattr__ = object.__setattr__  # type: ignore[assignment]  # object's own: assignable
    __delattr__ = object.__delattr__


class ObjectProgramSpec(MutableRecord):
    """One program of an object: its `ProgramSpec`, and what its section name says."""

    __match_args__ = ("name", "section", "spec", "program", "placement")
    name: str
    section: str
    spec: SectionSpec
    program: ProgramSpec
    #: where each linked function came from: (section, byte offset of the function in
    #: its section, byte length, index of its first instruction in ``program``)
    placement: list[tuple[str, int, int, int]]

    def __init__(self, name: str, section: str, spec: SectionSpec, program: ProgramSpec,
                 placement: list[tuple[str, int, int, int]] | None = None) -> None:
        self.name = name
        self.section = section
        self.spec = spec
        self.program = program
        self.placement = [] if placement is None else placement


class ObjectSpec(MutableRecord):
    """Everything in an object file, before anything is loaded into the kernel."""

    __match_args__ = ("path", "name", "programs", "maps", "license", "kern_version", "btf",
                      "btf_ext", "externs", "weak_externs", "section_sizes", "section_symbols")
    path: str | None
    name: str
    programs: dict[str, ObjectProgramSpec]
    maps: dict[str, MapSpec]
    license: str
    kern_version: int
    btf: bytes | None
    btf_ext: bytes | None
    externs: dict[str, str]  # name -> ".kconfig" | ".ksyms"
    weak_externs: set[str]
    #: ELF facts the kernel's copy of the BTF needs (libbpf's DATASEC fix-ups):
    #: section name -> size, and section name -> {symbol: offset}
    section_sizes: dict[str, int]
    section_symbols: dict[str, dict[str, int]]

    def __init__(self, path: str | None, name: str, programs: dict[str, ObjectProgramSpec],
                 maps: dict[str, MapSpec], license: str, kern_version: int,  # noqa: A002
                 btf: bytes | None = None, btf_ext: bytes | None = None,
                 externs: dict[str, str] | None = None, weak_externs: set[str] | None = None,
                 section_sizes: dict[str, int] | None = None,
                 section_symbols: dict[str, dict[str, int]] | None = None) -> None:
        self.path = path
        self.name = name
        self.programs = programs
        self.maps = maps
        self.license = license
        self.kern_version = kern_version
        self.btf = btf
        self.btf_ext = btf_ext
        self.externs = {} if externs is None else externs
        self.weak_externs = set() if weak_externs is None else weak_externs
        self.section_sizes = {} if section_sizes is None else section_sizes
        self.section_symbols = {} if section_symbols is None else section_symbols


class _Func:
    """A function's code inside its section, with its relocations by instruction index
    (a plain class: a parse-time helper, built once per function, never compared)."""

    __slots__ = ("name", "section", "start_slot", "insns", "slots", "relocs")
    name: str
    section: Section
    start_slot: int
    insns: list[Insn]
    slots: list[int]  # slot (within the function) of each insn
    relocs: dict[int, Reloc]

    def __init__(self, name: str, section: Section, start_slot: int, insns: list[Insn],
                 slots: list[int], relocs: dict[int, Reloc]) -> None:
        self.name = name
        self.section = section
        self.start_slot = start_slot
        self.insns = insns
        self.slots = slots
        self.relocs = relocs

    def index_of_slot(self, slot: int) -> int | None:
        try:
            return self.slots.index(slot)
        except ValueError:
            return None


def _is_data_section(name: str) -> bool:
    return name in _DATA_PREFIXES or name.startswith(_DATA_DOTTED)


def _object_name(path: str | None) -> str:
    base = os.path.basename(path or "obj")
    for suffix in (".bpf.o", ".o"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return base.replace("-", "_")


def global_map_name(obj_name: str, section: str) -> str:
    """The kernel name libbpf gives the map of a data section (15 characters at most):
    the standard sections get a prefix of the object name, custom ones keep their name.

    >>> global_map_name("trace_open", ".rodata"), global_map_name("x", ".data.table")
    ('trace_op.rodata', '.data.table')
    >>> global_map_name("kconfig_2", ".kconfig")
    'kconfig.kconfig'
    """
    if section in (".data", ".rodata", ".bss", ".kconfig"):
        # at most 8 characters of the object name, fewer when the suffix needs the room
        return obj_name[:min(8, 15 - len(section))] + section
    return section[:15]


def map_type_name(number: int, *, where: str = "map") -> str:
    """The lower-case kernel name of map type ``number`` (``BPF_MAP_TYPE_HASH`` -> ``hash``)."""
    from ..uapi import MAP_TYPES

    for name, value in MAP_TYPES.items():
        if value == number:
            return name
    raise ElfError(f"{where}: unknown map type {number} (this kernel knows "
                   f"0..{max(MAP_TYPES.values())})")


class _ObjectParser:
    def __init__(self, reader: ElfReader) -> None:
        self.r = reader
        self.path = reader.path
        self.name = _object_name(reader.path)
        self.maps: dict[str, MapSpec] = {}
        self.map_symbols: dict[tuple[int, int], str] = {}  # (section index, offset) -> map name
        self.externs: dict[str, str] = {}
        self.weak: set[str] = set()
        self.kconfig_names: set[str] | None = None  # from the BTF DATASEC, when there is BTF
        #: the .BTF parsed once (by `_read_kconfig_names`) for the maps and line info too
        self.btf: Btf | None = None
        self.ext: BtfExt | None = None  # and the .BTF.ext (by `_line_info`)
        self.funcs: dict[tuple[int, int], _Func] = {}  # (section index, start slot) -> func

    def err(self, message: str, section: str | None = None, offset: int | None = None) -> ElfError:
        return ElfError(message, path=self.path, section=section, offset=offset)

    # -- small sections --------------------------------------------------------------
    def license(self) -> str:
        sec = self.r.section("license")
        if sec is None:
            return "GPL"  # libbpf's default is no license; programs needing GPL then fail clearly
        return self.r.data(sec).split(b"\0", 1)[0].decode("ascii", "replace")

    def version(self) -> int:
        sec = self.r.section("version")
        if sec is None:
            return 0
        data = self.r.data(sec)
        if len(data) != 4:
            raise self.err(f"must be 4 bytes, is {len(data)}", "version")
        return struct.unpack("<I", data)[0]

    # -- maps ------------------------------------------------------------------------
    def legacy_maps(self) -> None:
        sec = self.r.section("maps")
        if sec is None:
            return
        data = self.r.data(sec)
        syms = sorted((s for s in self.r.symbols_in(sec) if s.name), key=lambda s: s.value)
        if not syms:
            return
        size = syms[0].size or len(data) // len(syms)
        if size < 20:
            raise self.err(f"legacy map definitions must be at least 20 bytes, are {size}",
                           "maps")
        for sym in syms:
            if sym.value + 20 > len(data):
                raise self.err(f"map {sym.name!r} runs past the end of the section", "maps",
                               sym.value)
            mtype, ksz, vsz, maxe, flags = struct.unpack_from("<5I", data, sym.value)
            self.maps[sym.name] = MapSpec(sym.name, map_type_name(mtype, where=f"map {sym.name}"),
                                          ksz, vsz, maxe, flags)
            self.map_symbols[(sec.index, sym.value)] = sym.name

    def btf_maps(self, btf: bytes | None) -> None:
        sec = self.r.section(".maps")
        if sec is None:
            return
        if btf is None:
            raise self.err("BTF-defined maps need the object's .BTF section: compile with -g",
                           ".maps")
        from .btf_maps import parse_btf_maps

        # Offsets come from the symbol table, as in libbpf: the BTF DATASEC of an
        # object may leave them to the loader.
        offsets = {s.name: (s.value, s.size) for s in self.r.symbols_in(sec) if s.name}
        relocs = self.r.relocations(sec)
        parsed = btf if self.btf is None else self.btf
        for decl, _btf_offset in parse_btf_maps(parsed, self.r.data(sec), relocs, path=self.path,
                                                offsets=offsets):
            if decl.name not in offsets:
                raise self.err(f"map {decl.name!r} is in BTF but has no symbol", ".maps")
            self.maps[decl.name] = decl
            self.map_symbols[(sec.index, offsets[decl.name][0])] = decl.name

    def data_maps(self) -> None:
        for sec in self.r.sections():
            if not _is_data_section(sec.name) or sec.size == 0:
                continue
            if sec.type not in ("SHT_PROGBITS", "SHT_NOBITS"):
                continue
            rodata = sec.name.startswith(".rodata")
            flags = BPF_F_MMAPABLE | (BPF_F_RDONLY_PROG if rodata else 0)
            self.maps[sec.name] = MapSpec(
                sec.name, "array", key_size=4, value_size=sec.size, max_entries=1, flags=flags,
                initial=self.r.data(sec), frozen=rodata,
                extra={"kernel_name": global_map_name(self.name, sec.name), "global_data": True},
            )

    # -- code --------------------------------------------------------------------------
    def collect_functions(self) -> None:
        for sec in self.r.code_sections():
            raw = self.r.data(sec)
            if len(raw) % 8:
                raise self.err(f"code size {len(raw)} is not a multiple of 8", sec.name)
            relocs_by_off = {rel.offset: rel for rel in self.r.relocations(sec)}
            syms = sorted({s.value: s for s in self.r.symbols_in(sec)
                           if s.type == "STT_FUNC"}.values(), key=lambda s: s.value)
            if not syms:  # hand-written assembly: the whole section is one program
                syms = [Symbol(-1, sec.name, 0, sec.size, "STT_FUNC", "STB_GLOBAL", "STV_DEFAULT",
                               sec.index)]
            for sym in syms:
                size = sym.size or sec.size - sym.value
                if sym.value % 8 or size % 8 or sym.value + size > sec.size:
                    raise self.err(f"function {sym.name!r} has a bad extent "
                                   f"[{sym.value}, {sym.value + size})", sec.name, sym.value)
                try:
                    insns = decode_all(raw[sym.value:sym.value + size])
                except IsaError as exc:
                    raise self.err(f"in function {sym.name!r}: {exc}", sec.name, sym.value) from None
                slots, pos, relocs = [], 0, {}
                for i, insn in enumerate(insns):
                    slots.append(pos)
                    rel = relocs_by_off.get(sym.value + pos * 8)
                    if rel is not None:
                        relocs[i] = rel
                    pos += insn.slots
                self.funcs[(sec.index, sym.value // 8)] = _Func(
                    sym.name, sec, sym.value // 8, insns, slots, relocs)

    def _func_at(self, sec_index: int, slot: int, where: str) -> _Func:
        func = self.funcs.get((sec_index, slot))
        if func is None:
            raise self.err(f"{where}: call target slot {slot} is not the start of a function",
                           self.r.section_at(sec_index).name, slot * 8)
        return func

    def link(self, main: _Func, spec: SectionSpec,
             placement: list[tuple[str, int, int, int]]) -> ProgramSpec:
        """The program of ``main`` with its subprograms appended and references symbolic.

        Appends ``(section, byte start, byte length, first index)`` per placed function
        to ``placement``.
        """
        prog = ProgramSpec(name=main.name, prog_type=spec.prog_type, section=main.section.name)
        placed: set[str] = set()

        def place(func: _Func) -> None:
            # libbpf's order: the whole body first, then each callee not yet placed,
            # depth first, in the order of the calls
            placed.add(func.name)
            placement.append((func.section.name, func.start_slot * 8,
                              (func.slots[-1] + func.insns[-1].slots) * 8 if func.insns else 0,
                              len(prog.insns)))
            if func is not main:
                prog.labels[func.name] = len(prog.insns)
            callees: list[_Func] = []
            for i, insn in enumerate(func.insns):
                insn, ref, callee = self._relocate(func, i, insn)
                prog.append(insn, ref)
                if callee is not None:
                    callees.append(callee)
            for callee in callees:
                if callee.name not in placed:
                    place(callee)

        place(main)
        used = {ref.name for ref in prog.refs.values() if ref.kind is RefKind.MAP}
        prog.maps = {name: self.maps[name] for name in used if name in self.maps}
        return prog

    def _relocate(self, func: _Func, i: int, insn: Insn) -> tuple[Insn, Ref | None, _Func | None]:
        rel = func.relocs.get(i)
        where = f"{func.name}+{i}"
        byte_off = (func.start_slot + func.slots[i]) * 8
        if rel is None:
            if insn.opcode == _CALL and insn.src == CallSrc.LOCAL:
                target = func.start_slot + func.slots[i] + 1 + insn.imm
                callee = self._func_at(func.section.index, target, where)
                return insn.replace(imm=0), Ref.label(callee.name), callee
            return insn, None, None
        sym = rel.symbol
        if rel.type == R_BPF_64_64:
            if insn.opcode != LDDW:
                raise self.err(f"{where}: R_BPF_64_64 relocation on a non-lddw instruction",
                               func.section.name, byte_off)
            return self._relocate_lddw(func, insn, sym, where, byte_off)
        if rel.type == R_BPF_64_32:
            if insn.opcode != _CALL:
                raise self.err(f"{where}: R_BPF_64_32 relocation on a non-call instruction",
                               func.section.name, byte_off)
            if sym.is_extern:
                self.externs[sym.name] = ".ksyms"
                return insn.replace(src=CallSrc.KFUNC, imm=0), Ref.kfunc(sym.name), None
            if not isinstance(sym.shndx, int):
                raise self.err(f"{where}: call to symbol {sym.name!r} in {sym.shndx}",
                               func.section.name, byte_off)
            target = sym.value // 8 + insn.imm + 1 if sym.type == "STT_SECTION" \
                else sym.value // 8
            callee = self._func_at(sym.shndx, target, where)
            return insn.replace(src=CallSrc.LOCAL, imm=0), Ref.label(callee.name), callee
        raise self.err(f"{where}: unsupported relocation type {rel.type} against "
                       f"{sym.name!r}", func.section.name, byte_off)

    def _relocate_lddw(self, func: _Func, insn: Insn, sym: Symbol, where: str,
                       byte_off: int) -> tuple[Insn, Ref | None, _Func | None]:
        if sym.is_extern:
            kind = self._extern_section(sym)
            self.externs[sym.name] = kind
            if sym.bind == "STB_WEAK":
                self.weak.add(sym.name)
            if kind == ".kconfig":
                return insn.replace(src=PseudoSrc.MAP_VALUE, imm=0), \
                    Ref(RefKind.GLOBAL, sym.name), None
            return insn.replace(src=PseudoSrc.BTF_ID, imm=0), Ref(RefKind.KSYM, sym.name), None
        if not isinstance(sym.shndx, int):
            raise self.err(f"{where}: lddw of symbol {sym.name!r} in {sym.shndx}",
                           func.section.name, byte_off)
        sec = self.r.section_at(sym.shndx)
        map_name = self.map_symbols.get((sec.index, sym.value))
        if map_name is not None:
            return insn.replace(src=PseudoSrc.MAP_FD, imm=0), Ref.map(map_name), None
        if sec.name in self.maps and self.maps[sec.name].extra.get("global_data"):
            offset = sym.value + insn.imm  # a section symbol has value 0, imm the offset
            return insn.replace(src=PseudoSrc.MAP_VALUE, imm=0), Ref.map(sec.name, offset), None
        if sec.is_code:
            target = (sym.value + insn.imm) // 8
            callee = self._func_at(sec.index, target, where)
            return insn.replace(src=PseudoSrc.FUNC, imm=0), Ref.label(callee.name), callee
        raise self.err(f"{where}: lddw refers to {sym.name!r} in section {sec.name}, which is "
                       "neither a map, global data nor code", func.section.name, byte_off)

    def _extern_section(self, sym: Symbol) -> str:
        # The BTF DATASEC says which section an extern variable belongs to; without BTF,
        # libbpf's naming convention: CONFIG_* and LINUX_* are kconfig, the rest ksyms.
        if self.kconfig_names is not None:
            return ".kconfig" if sym.name in self.kconfig_names else ".ksyms"
        return ".kconfig" if sym.name.startswith(("CONFIG_", "LINUX_")) else ".ksyms"

    def _read_kconfig_names(self, btf: bytes | None) -> None:
        if btf is None:
            return
        from ..btf import Btf
        from ..errors import BtfError

        try:
            b = self.btf = Btf(btf, name=f"{self.path}:.BTF")
            ids = b.find_all(".kconfig", 15)  # BTF_KIND_DATASEC
            names: set[str] = set()
            for tid in ids:
                names.update(b.type_name(vtype) for vtype, _off, _size in b.datasec_vars(tid))
        except BtfError as exc:
            raise self.err(f"bad BTF: {exc}", ".BTF") from None
        self.kconfig_names = names

    # -- source lines ------------------------------------------------------------------
    def _line_info(self, btf: bytes | None, ext: bytes | None) -> dict[str, list[Any]]:
        if btf is None or ext is None:
            return {}
        from ..btf import Btf
        from ..btf.ext import BtfExt
        from ..errors import BtfError

        try:
            local = self.btf if self.btf is not None else Btf(btf, name=f"{self.path}:.BTF")
            self.ext = BtfExt(ext, local)
            return self.ext.line_info
        except BtfError as exc:
            raise self.err(f"bad line info: {exc}", ".BTF.ext") from None

    @staticmethod
    def _attach_lines(prog: ProgramSpec, placement: list[tuple[str, int, int, int]],
                      line_info: dict[str, list[Any]]) -> None:
        slots = prog.slot_offsets()
        index_at = {slot: i for i, slot in enumerate(slots[:-1])}
        for sec, fstart, flen, first in placement:
            for li in line_info.get(sec, ()):
                if fstart <= li.insn_off < fstart + flen:
                    idx = index_at.get(slots[first] + (li.insn_off - fstart) // 8)
                    if idx is not None:
                        prog.lines[idx] = SourceLine(li.file_name, li.line_col >> 10,
                                                     li.line_col & 0x3FF, li.source)

    # -- whole object ------------------------------------------------------------------
    def parse(self) -> ObjectSpec:
        btf_sec = self.r.section(".BTF")
        ext_sec = self.r.section(".BTF.ext")
        btf = self.r.data(btf_sec) if btf_sec else None
        self._read_kconfig_names(btf)
        self.legacy_maps()
        self.btf_maps(btf)
        self.data_maps()
        self.collect_functions()
        programs: dict[str, ObjectProgramSpec] = {}
        lic = self.license()
        line_info = self._line_info(btf, self.r.data(ext_sec) if ext_sec else None)
        for (sec_index, _slot), func in sorted(self.funcs.items()):
            sec = self.r.section_at(sec_index)
            if sec.name == ".text":
                continue
            sym_global = any(s.name == func.name and s.bind != "STB_LOCAL"
                             for s in self.r.symbols_in(sec)) or func.name == sec.name
            if not sym_global:
                continue
            spec = parse_section(sec.name, path=self.path)
            placement: list[tuple[str, int, int, int]] = []
            prog = self.link(func, spec, placement)
            prog.license = lic
            if func.name in programs:
                raise self.err(f"two programs named {func.name!r}", sec.name)
            programs[func.name] = ObjectProgramSpec(func.name, sec.name, spec, prog, placement)
            if line_info:
                self._attach_lines(prog, placement, line_info)
        sizes = {sec.name: sec.size for sec in self.r.sections() if sec.name}
        symbols: dict[str, dict[str, int]] = {}
        for sym in self.r.symbols():
            if isinstance(sym.shndx, int) and sym.name and sym.type == "STT_OBJECT":
                symbols.setdefault(self.r.section_at(sym.shndx).name, {})[sym.name] = sym.value
        return ObjectSpec(self.path, self.name, programs, self.maps, lic, self.version(), btf,
                          self.r.data(ext_sec) if ext_sec else None, dict(self.externs),
                          set(self.weak), sizes, symbols)


def read_object(path_or_bytes: str | bytes, *, name: str | None = None) -> ObjectSpec:
    """Parse a clang-compiled BPF object into an `ObjectSpec` (no kernel needed).

    Raises `ElfError` naming the file, section and offset for anything malformed
    or unsupported.
    """
    if isinstance(path_or_bytes, (bytes, bytearray)):
        reader = ElfReader(bytes(path_or_bytes), name)
    else:
        reader = ElfReader.from_path(path_or_bytes)
    return _ObjectParser(reader).parse()


def open_object(path: str) -> tuple[ObjectSpec, tuple[Btf | None, BtfExt | None] | None]:
    """`read_object` of a file, with the ``(Btf, BtfExt)`` of its ``.BTF`` and ``.BTF.ext``
    parsed on the way (what `pybpf.elf.loader.BpfObject` would parse again), or None for
    an object without ``.BTF``."""
    parser = _ObjectParser(ElfReader.from_path(path))
    spec = parser.parse()
    if parser.btf is None or bool(spec.btf_ext) != (parser.ext is not None):
        return spec, None
    return spec, (parser.btf, parser.ext)
