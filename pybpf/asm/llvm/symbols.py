"""Name binding for the LLVM-syntax assembler, once the whole text is read.

Labels become slot-relative offsets (kept as LABEL refs), ``call NAME`` becomes a
local call, a helper call or a kfunc reference, ``r1 = NAME ll`` a function
pointer or a map reference; numeric jump targets are checked to land on an
instruction of the program.

>>> from pybpf.asm.llvm.parser import parse
>>> parse("call sub\\nexit\\nsub: exit").refs[0].name
'sub'
"""

from __future__ import annotations

try:  # operator's C half (operator.py itself is an import of its own on `pybpf asm`'s path)
    from _operator import itemgetter
except ImportError:  # pragma: no cover - interpreters without it
    from operator import itemgetter

from ...errors import AsmError
from ...isa import helper_id
from ...isa.insn import Insn
from ...isa.opcodes import LDDW, CallSrc, Class, JmpOp, PseudoSrc
from ...isa.program import ProgramSpec, Ref, RefKind, target_field

__all__ = ["Pending", "PendingFields", "check_numeric", "resolve_names", "slot_offsets"]

TYPE_CHECKING = False  # (not typing's: the assembler is on `pybpf asm`'s start-up path)
if TYPE_CHECKING:
    from collections.abc import Sequence

_new = tuple.__new__
_LOCAL = int(CallSrc.LOCAL)
_FUNC = int(PseudoSrc.FUNC)
_GOTOL = int(Class.JMP32 | JmpOp.JA)
_LDDW_BYTE = bytes([LDDW])
_OPCODE = itemgetter(0)


def slot_offsets(insns: Sequence[Sequence[int]]) -> list[int]:
    """Slot number of each instruction (an `Insn`, or the tuple of its fields), plus the
    total at the end (what `pybpf.isa.ProgramSpec.slot_offsets` gives). Jump offsets count
    8-byte slots and ``lddw`` takes two, so an instruction's slot is its index plus the
    ``lddw`` before it; the assemblers (this one and `pybpf.asm.gas`) ask for all of them at
    once (100k instructions: a few ms), from the opcodes' bytes.

    >>> slot_offsets([Insn(0xb7), Insn(0x18), Insn(0x95)])
    [0, 1, 3, 4]
    """
    ops = bytes(map(_OPCODE, insns))
    n = len(ops)
    k = ops.find(_LDDW_BYTE)
    if k < 0:
        return list(range(n + 1))
    # between two lddw the slots count up by one: a range per stretch
    out: list[int] = []
    extend = out.extend
    shift = prev = 0
    while k >= 0:
        extend(range(prev + shift, k + 1 + shift))
        shift += 1
        prev = k + 1
        k = ops.find(_LDDW_BYTE, prev)
    extend(range(prev + shift, n + 1 + shift))
    return out


class Pending:
    """An operand known only by name until the whole text is read (the parser collects
    these six fields as plain tuples, `PendingFields`). A plain slotted class, compared by
    value (a record class would cost the assembler's start-up more than its use).

    >>> Pending(3, "out", "jump", 4, 1)
    Pending(index=3, name='out', kind='jump', line=4, column=1, offset=0)
    """

    __slots__ = __match_args__ = ("index", "name", "kind", "line", "column", "offset")

    def __init__(self, index: int, name: str, kind: str, line: int, column: int,
                 offset: int = 0) -> None:
        self.index = index
        self.name = name
        #: "jump" (label), "call" (label/helper/kfunc), "lddw" (label/map), "value"...
        self.kind = kind
        self.line = line
        self.column = column
        self.offset = offset

    def _fields(self) -> PendingFields:
        return (self.index, self.name, self.kind, self.line, self.column, self.offset)

    def __repr__(self) -> str:
        return "Pending(" + ", ".join(
            f"{n}={v!r}" for n, v in zip(self.__match_args__, self._fields(), strict=True)) + ")"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Pending:
            return NotImplemented
        assert isinstance(other, Pending)
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # (mutable, as a record's)


_off_target: frozenset[int] | None = None


def _off_targets() -> frozenset[int]:
    """The opcodes whose relative target is always their ``off`` (conditional jumps, goto,
    may_goto): made at the first numeric jump checked (512 instructions asked about; a
    program whose jumps are all to labels never needs it)."""
    global _off_target
    if _off_target is None:
        _off_target = frozenset(
            op for op in range(256)
            if op & 7 in (Class.JMP, Class.JMP32) and op & 0xF0 not in (JmpOp.CALL, JmpOp.EXIT)
            and target_field(Insn(op)) == "off" and target_field(Insn(op, src=1)) == "off")
    return _off_target


def _misspelled(name: str) -> str | None:
    """`pybpf.isa.helpers.misspelled_helper`, its module (and the kfunc table) loaded for a
    call of an unknown name only."""
    from ...isa.helpers import misspelled_helper

    return misspelled_helper(name)


def _fail(prog: ProgramSpec, filename: str | None, p: Pending, message: str) -> AsmError:
    sl = prog.lines.get(p.index)
    line, column = p.line, p.column
    if not line and sl is not None:  # a fast-path jump: its line, the label's last place
        line, column = sl.line, sl.text.rfind(p.name) + 1
    return AsmError(message, line=line, column=column, filename=filename,
                    source=sl.text if sl else None)


#: a `Pending`'s six fields as the parser collects them (a plain tuple: one per label jump)
PendingFields = tuple[int, str, str, int, int, int]


def resolve_names(prog: ProgramSpec, pending: list[PendingFields], filename: str | None,
                  offsets: list[int], jumps: tuple[list[int], list[str]] = ([], [])) -> None:
    """Bind every name: labels (offsets + LABEL refs), helpers, kfuncs, maps, globals, ksyms.
    ``pending`` holds the fields of `Pending` records, in order; ``jumps`` the label jumps
    the fast path read (their instruction indexes, their labels), each a ``jump`` Pending
    whose line and column are those of ``prog.lines``."""
    refs = prog.refs
    label_refs: dict[str, Ref] = {}
    if jumps[0]:
        # the common case: a jump to a label within reach; any other goes the long way
        left: list[PendingFields] = []
        for idx, name in zip(*jumps, strict=True):
            if not _bind_near(prog, idx, name, offsets, label_refs):
                left.append((idx, name, "jump", 0, 0, 0))
        if pending:  # in the order of the text: the first error is the first line's
            pending = sorted(pending + left, key=itemgetter(0))
            _bind(prog, pending, filename, offsets, label_refs)
            ordered = dict(sorted(refs.items()))  # refs in the order of the text, too
            refs.clear()
            refs.update(ordered)
            return
        pending = left
    _bind(prog, pending, filename, offsets, label_refs)


def _bind_near(prog: ProgramSpec, idx: int, name: str, offsets: list[int],
               label_refs: dict[str, Ref]) -> bool:
    """Bind instruction ``idx``'s jump to label ``name`` when the label is defined and
    within a 16-bit ``off`` (not a gotol); False leaves it to the checks of `_bind`."""
    target = prog.labels.get(name)
    if target is None or target >= len(prog.insns):
        return False
    rel = offsets[target] - offsets[idx] - 1
    insn = prog.insns[idx]
    if not -0x8000 <= rel <= 0x7FFF or insn[0] == _GOTOL:
        return False
    # (canonical fields: no checks)
    prog.insns[idx] = _new(Insn, (insn[0], insn[1], insn[2], rel, insn[4]))
    ref = label_refs.get(name)
    if ref is None:
        ref = label_refs[name] = Ref.label(name)
    prog.refs[idx] = ref
    return True


def _bind(prog: ProgramSpec, pending: list[PendingFields], filename: str | None,
          offsets: list[int], label_refs: dict[str, Ref]) -> None:
    labels = prog.labels
    insns = prog.insns
    refs = prog.refs
    n = len(insns)
    for fields in pending:
        idx, name, kind, _, _, _ = fields
        if kind == "jump" and _bind_near(prog, idx, name, offsets, label_refs):
            continue  # the common case: a jump to a label within reach
        p = Pending(*fields)
        insn = insns[p.index]
        kind = p.kind
        target = labels.get(p.name) if kind in ("jump", "call", "lddw") else None
        if target is not None:
            if target >= n:
                raise _fail(prog, filename, p, f"label {p.name!r} is past the last instruction: a jump needs "
                            "an instruction to land on")
            rel = offsets[target] - offsets[p.index] - 1
            op, dst, src, _, imm = insn
            if kind == "call":
                insn = Insn(op, 0, _LOCAL, 0, rel)
            elif kind == "lddw":
                insn = Insn(op, dst, _FUNC, 0, rel)
            elif op == _GOTOL:
                insn = Insn(op, 0, 0, 0, rel)
            else:
                if not -0x8000 <= rel <= 0x7FFF:
                    raise _fail(prog, filename, p, f"jump to {p.name!r} is {rel} slots away: out of range of "
                                "the 16-bit offset; use gotol")
                insn = _new(Insn, (op, dst, src, rel, imm))  # (fields canonical: no checks)
            insns[p.index] = insn
            ref = label_refs.get(p.name)
            if ref is None:
                ref = label_refs[p.name] = Ref.label(p.name)
            refs[p.index] = ref
        elif kind == "jump":
            raise _fail(prog, filename, p, f"unknown label {p.name!r}")
        elif kind == "call":
            num = helper_id(p.name)
            if num is not None:
                insns[p.index] = insn.replace(imm=num)
            elif (near := _misspelled(p.name)) is not None:
                raise _fail(prog, filename, p, f"unknown helper {p.name!r}: did you mean {near}? "
                            f"(a kernel function of that name is called as 'call kfunc({p.name})')")
            else:
                insns[p.index] = insn.replace(src=CallSrc.KFUNC)
                refs[p.index] = Ref.kfunc(p.name)
        elif kind == "kfunc":
            refs[p.index] = Ref.kfunc(p.name)
        elif kind == "ksym":
            refs[p.index] = Ref(RefKind.KSYM, p.name)
        elif kind == "lddw":
            refs[p.index] = Ref.map(p.name)
        elif kind == "value":
            refs[p.index] = Ref.map(p.name, p.offset)
        elif kind == "global":
            if p.name in prog.maps:
                refs[p.index] = Ref.map(p.name, p.offset)
            else:
                refs[p.index] = Ref(RefKind.GLOBAL, p.name, p.offset)


def check_numeric(prog: ProgramSpec, numeric: list[tuple[int, int, int]], filename: str | None,
                  offsets: list[int]) -> None:
    """AsmError for a numeric jump that leaves the program or lands inside an lddw."""
    total = offsets[-1]
    starts: set[int] | None = None
    insns = prog.insns
    every_slot = total == len(insns)  # no lddw: every slot starts an instruction
    off_target = _off_targets() if numeric else frozenset()
    for idx, line, col in numeric:
        insn = insns[idx]
        rel = insn[3] if insn[0] in off_target else \
            insn.imm if target_field(insn) == "imm" else insn.off
        target = offsets[idx] + 1 + rel
        problem = None
        if 0 <= target < total and every_slot:
            continue
        if not 0 <= target < total:
            problem = (f"jump out of the program: target slot {target} is outside 0..{total - 1} "
                       f"({rel:+d} from slot {offsets[idx]})")
        else:
            if starts is None:
                starts = set(offsets[:-1])
            if target not in starts:
                problem = f"jump into the middle of an lddw (slot {target})"
        if problem is not None:
            sl = prog.lines.get(idx)
            if not line and sl is not None:  # a fast-path jump: where its line starts
                line, col = sl.line, sl.column
            raise AsmError(problem, line=line, column=col, filename=filename,
                           source=sl.text if sl else None)
