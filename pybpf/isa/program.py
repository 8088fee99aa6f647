"""`ProgramSpec`: the pivot type every front end produces and every back end reads.

A program is a list of `Insn` plus side metadata that keeps the instructions
themselves plain values:

- ``labels``: name -> instruction index (not slot);
- ``refs``: instruction index -> `Ref`, a symbolic operand resolved later:
  a jump/call target label (resolved when encoding), a map by name (bound to an
  fd at load), a kfunc by name (bound to a BTF id at load);
- ``maps``: map descriptions by name (`MapSpec`, from the ``.map`` directive,
  an ELF ``.maps`` section or the DSL);
- ``lines``: instruction index -> `SourceLine` (for errors and BTF line info).

Jump offsets are counted in 8-byte slots, so ``lddw`` counts twice; `ProgramSpec`
does that arithmetic in one place (`slot_of`, `index_of_slot`, `resolve`).

>>> from pybpf.isa import Insn, ProgramSpec, Ref
>>> p = ProgramSpec([Insn(0x05), Insn(0xb7, imm=1), Insn(0x95)],
...             labels={"out": 2}, refs={0: Ref.label("out")})
>>> p.resolve()[0].off
1
>>> len(p.encode())
24
"""

from __future__ import annotations

from .._tuple import FieldTuple
from ..errors import IsaError
from .insn import Insn, decode_all
from .mapspec import MapSpec
from .opcodes import LDDW, CallSrc, Class, JmpOp, PseudoSrc

TYPE_CHECKING = False  # (not typing's: pybpf.isa is on every command's start-up path)
if TYPE_CHECKING:
    from enum import Enum

    class StrEnum(str, Enum):  # what pybpf._enum.StrEnum is, for type checkers
        pass
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import StrEnum
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, NamedTuple


class RefKind(StrEnum):
    """What a symbolic operand names."""

    LABEL = "label"  # a jump, local call or lddw-of-function target
    MAP = "map"  # lddw of a map fd (src=1) or map value address (src=2)
    KFUNC = "kfunc"  # call of a kernel function by name (src=2)
    GLOBAL = "global"  # lddw of a global variable in a data section (map value)
    KSYM = "ksym"  # lddw of a kernel variable by name (src=3, BTF id bound at load)


class Ref:
    """A symbolic operand of one instruction.

    ``name`` is a label, map, kfunc or global name; ``offset`` is the byte
    offset into a map value (``map_value`` references and globals). Immutable and
    hashable; compares by value.

    >>> Ref.map("counts", 8)
    Ref(kind=<RefKind.MAP: 'map'>, name='counts', offset=8)
    """

    __slots__ = ("kind", "name", "offset")
    __match_args__ = ("kind", "name", "offset")

    kind: RefKind
    name: str
    offset: int

    def __init__(self, kind: RefKind, name: str, offset: int = 0) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "offset", offset)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a Ref (it is immutable)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a Ref (it is immutable)")

    def __repr__(self) -> str:
        return f"Ref(kind={self.kind!r}, name={self.name!r}, offset={self.offset!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Ref:
            return NotImplemented
        assert isinstance(other, Ref)
        return (self.kind, self.name, self.offset) == (other.kind, other.name, other.offset)

    def __hash__(self) -> int:
        return hash((self.kind, self.name, self.offset))

    def __reduce__(self) -> tuple[type[Ref], tuple[RefKind, str, int]]:
        return Ref, (self.kind, self.name, self.offset)

    @classmethod
    def label(cls, name: str) -> Ref:
        return cls(RefKind.LABEL, name)

    @classmethod
    def map(cls, name: str, offset: int = 0) -> Ref:
        return cls(RefKind.MAP, name, offset)

    @classmethod
    def kfunc(cls, name: str) -> Ref:
        return cls(RefKind.KFUNC, name)


if TYPE_CHECKING:
    class SourceLine(NamedTuple):
        filename: str | None
        line: int
        column: int = 1
        text: str = ""
else:  # the same tuple, without importing typing or collections
    class SourceLine(FieldTuple):
        __slots__ = ()
        _fields = ("filename", "line", "column", "text")
        _field_defaults = {"column": 1, "text": ""}

        def __new__(cls, filename: str | None, line: int, column: int = 1, text: str = ""
                    ) -> SourceLine:
            return tuple.__new__(cls, (filename, line, column, text))
SourceLine.__doc__ = """Where an instruction came from: file, 1-based line and column, and the text.

A tuple: parsers make one per line, so construction cost matters.
"""


def target_field(insn: Insn) -> str | None:
    """Which field holds a relative target: ``"off"``, ``"imm"`` or None.

    >>> target_field(Insn(0x05))
    'off'
    >>> target_field(Insn(0x85, src=1))
    'imm'
    """
    op = insn.opcode
    cls = op & 7
    if cls == Class.JMP:
        jop = op & 0xF0
        if jop == JmpOp.CALL:
            return "imm" if insn.src == CallSrc.LOCAL and not op & 0x08 else None
        if jop == JmpOp.EXIT:
            return None
        return "off"
    if cls == Class.JMP32:
        return "imm" if op & 0xF0 == JmpOp.JA else "off"
    if op == LDDW and insn.src == PseudoSrc.FUNC:
        return "imm"
    return None


class ProgramSpec:
    """Instructions with labels, symbolic references and declarations.

    ``prog_type`` is the kernel program type name (``"socket_filter"``,
    ``"xdp"``...) or None when not known yet. A plain record (what a dataclass would
    generate, written out: importing `dataclasses` costs more than a probe's whole
    start-up): compares by value and `replace` returns a changed copy.
    """

    insns: list[Insn]
    labels: dict[str, int]
    refs: dict[int, Ref]
    maps: dict[str, MapSpec]
    name: str
    prog_type: str | None
    license: str
    section: str | None

    __match_args__ = _PROGRAM_FIELDS = ("insns", "labels", "refs", "maps", "lines", "name",
                                        "prog_type", "license", "section")

    def __init__(self, insns: list[Insn] | None = None, labels: dict[str, int] | None = None,
                 refs: dict[int, Ref] | None = None, maps: dict[str, MapSpec] | None = None,
                 lines: dict[int, SourceLine] | None = None, name: str = "",
                 prog_type: str | None = None, license: str = "GPL",
                 section: str | None = None) -> None:
        self.insns = [] if insns is None else insns
        self.labels = {} if labels is None else labels
        self.refs = {} if refs is None else refs
        self.maps = {} if maps is None else maps
        self._lines: dict[int, SourceLine] | None = {} if lines is None else lines
        self._lines_later: Callable[[], dict[int, SourceLine]] | None = None
        self.name = name
        self.prog_type = prog_type
        self.license = license
        self.section = section

    @property
    def lines(self) -> dict[int, SourceLine]:
        """Instruction index -> `SourceLine` (where it was written), for errors, the
        verifier's messages and BTF line info; a parser may leave it to be built on first
        use (`lines_later`)."""
        lines = self._lines
        if lines is None:
            build = self._lines_later
            assert build is not None
            lines = self._lines = build()
            self._lines_later = None
        return lines

    @lines.setter
    def lines(self, value: dict[int, SourceLine]) -> None:
        self._lines = value
        self._lines_later = None

    def lines_later(self, build: Callable[[], dict[int, SourceLine]]) -> None:
        """Let `lines` be made by ``build()`` when first read: an assembler's 100k
        instructions need 100k `SourceLine` tuples only when something asks where an
        instruction came from (``pybpf asm -o`` never does)."""
        self._lines = None
        self._lines_later = build

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)  # (the lines built: a builder is a closure)
        state["_lines"], state["_lines_later"] = self.lines, None
        return state

    def __repr__(self) -> str:
        return "ProgramSpec(" + ", ".join(f"{f}={getattr(self, f)!r}"
                                          for f in self._PROGRAM_FIELDS) + ")"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._PROGRAM_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def replace(self, **changes: Any) -> ProgramSpec:
        """A copy with ``changes`` applied (as ``dataclasses.replace``: containers are
        shared, not copied).

        >>> ProgramSpec([Insn(0x95)], name="a").replace(name="b").name
        'b'
        """
        unknown = set(changes) - set(self._PROGRAM_FIELDS)
        if unknown:
            raise TypeError(f"ProgramSpec has no field {sorted(unknown)[0]!r}")
        values = {f: getattr(self, f) for f in self._PROGRAM_FIELDS}
        values.update(changes)
        return type(self)(**values)

    __replace__ = replace  # copy.replace (Python 3.13)

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, **kw: Any) -> ProgramSpec:
        """A program decoded from raw little-endian bytecode (no labels)."""
        return cls(decode_all(data), **kw)

    def __len__(self) -> int:
        return len(self.insns)

    def _repr_html_(self) -> str | None:
        """The listing in a notebook, drawn by `pybpf.viewer` (see `pybpf.isa.display`)."""
        from .display import html_of

        return html_of(self)

    def __iter__(self) -> Iterator[Insn]:
        return iter(self.insns)

    def __getitem__(self, index: int) -> Insn:
        return self.insns[index]

    def append(self, insn: Insn, ref: Ref | None = None, line: SourceLine | None = None) -> int:
        """Add an instruction (and its symbolic operand); returns its index."""
        idx = len(self.insns)
        self.insns.append(insn)
        if ref is not None:
            self.refs[idx] = ref
        if line is not None:
            self.lines[idx] = line
        return idx

    def label(self, name: str) -> None:
        """Put label ``name`` on the next instruction appended."""
        if name in self.labels:
            raise IsaError(f"label {name!r} defined twice")
        self.labels[name] = len(self.insns)

    # -- slot arithmetic ---------------------------------------------------------
    def slot_offsets(self) -> list[int]:
        """Slot number of each instruction, plus the total slot count at the end."""
        out = [0] * (len(self.insns) + 1)
        pos = 0
        for i, insn in enumerate(self.insns):
            out[i] = pos
            pos += 2 if insn.opcode == LDDW else 1
        out[-1] = pos
        return out

    def slot_of(self, index: int) -> int:
        """The slot number of instruction ``index``."""
        return self.slot_offsets()[index]

    def index_of_slot(self, slot: int) -> int:
        """The instruction index at ``slot``; IsaError if it is the middle of an lddw."""
        offsets = self.slot_offsets()
        lo, hi = 0, len(offsets) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if offsets[mid] < slot:
                lo = mid + 1
            else:
                hi = mid
        if offsets[lo] != slot:
            raise IsaError(f"slot {slot} is the second half of an lddw")
        return lo

    def labels_by_index(self) -> dict[int, list[str]]:
        """Instruction index -> label names placed there."""
        out: dict[int, list[str]] = {}
        for name, idx in self.labels.items():
            out.setdefault(idx, []).append(name)
        return out

    # -- resolution --------------------------------------------------------------
    def resolve(self, *, strict: bool = False) -> list[Insn]:
        """Instructions with every label reference turned into a relative offset.

        Map and kfunc references keep their immediate (0 until a loader binds
        them); with ``strict=True`` an unbound map or kfunc is an error.
        """
        if not self.refs:
            return list(self.insns)
        offsets = None  # made at the first label (an object's program has map refs only)
        out = list(self.insns)
        for idx, ref in self.refs.items():
            insn = out[idx]
            if ref.kind is RefKind.LABEL:
                if offsets is None:
                    offsets = self.slot_offsets()
                if ref.name not in self.labels:
                    raise IsaError(f"unknown label {ref.name!r}", index=idx)
                where = target_field(insn)
                if where is None:
                    raise IsaError(f"instruction cannot take a label target ({ref.name!r})",
                                   index=idx)
                rel = offsets[self.labels[ref.name]] - offsets[idx] - 1
                limit = 0x7FFF if where == "off" else 0x7FFFFFFF
                if not -limit - 1 <= rel <= limit:
                    raise IsaError(f"jump to {ref.name!r} is {rel} slots away, out of range of "
                                   f"its 16-bit offset; use gotol", index=idx)
                if getattr(insn, where) != rel:
                    out[idx] = insn.replace(**{where: rel})
            elif strict:
                raise IsaError(f"{ref.kind.value} {ref.name!r} is not bound to the kernel",
                               index=idx)
        return out

    def encode(self) -> bytes:
        """Raw little-endian bytecode with labels resolved."""
        return b"".join(i.encode() for i in self.resolve())

    def splice(self, index: int, insns: list[Insn]) -> None:
        """Replace instruction ``index`` by ``insns``, moving labels, refs and lines after it.

        The reference and line of the replaced instruction are dropped/kept on the first
        new instruction respectively. Numeric jump offsets are not changed: keep the
        slot count equal (``sum(i.slots for i in insns) == self[index].slots``) when
        the program has numeric jumps across ``index``.
        """
        shift = len(insns) - 1
        self.insns[index:index + 1] = insns
        self.refs.pop(index, None)
        if shift:
            self.labels = {k: (v + shift if v > index else v) for k, v in self.labels.items()}
            self.refs = {(i + shift if i > index else i): r for i, r in self.refs.items()}
            self.lines = {(i + shift if i > index else i): ln for i, ln in self.lines.items()}

    def with_insns(self, insns: Iterable[Insn]) -> ProgramSpec:
        """A copy with other instructions and the same metadata."""
        return ProgramSpec(list(insns), dict(self.labels), dict(self.refs), dict(self.maps),
                       dict(self.lines), self.name, self.prog_type, self.license, self.section)
