"""Build programs from Python, one instruction per call, in the style of cilium/ebpf ``asm``.

Each builder hangs off its operation and returns an `Op` (an `Insn` plus its
symbolic operand and the caller's file and line, recorded like PeachPy does so
that errors, the verifier and BTF line info can name the user's line)::

    Mov.imm(R0, 1)            r0 = 1           Mov.reg32(R1, R2)     w1 = w2
    Add.imm(R1, 8)            r1 += 8          SDiv.reg(R1, R2)      r1 s/= r2
    Mov.sx(R1, R2, 8)         r1 = (s8)r2      Neg.reg(R3)           r3 = -r3
    Swap.be(R1, 16)           r1 = be16 r1     Swap.bswap(R1, 64)    r1 = bswap64 r1
    Ldx.w(R0, R1, 8)          r0 = *(u32 *)(r1 + 8)      Ldsx.b(R0, R1, 3)
    St.dw(R10, -8, 5)         *(u64 *)(r10 - 8) = 5      Stx.w(R10, -4, R1)
    Atomic.add(R10, -8, R1)   lock *(u64 *)(r10 - 8) += r1   (fetch=True, size="w")
    Atomic.xchg / cmpxchg / load_acquire / store_release
    JEq.imm(R1, 0, "out")     if r1 == 0 goto out        JGT.reg32(R1, R2, +3)
    Ja("loop")  GotoL("far")  MayGoto("out")
    Call.helper("map_lookup_elem")  Call.local("sub")  Call.kfunc("bpf_task_acquire")
    Call.reg(R2)  Exit()
    LoadImm64(R1, 0x1122334455667788)  LoadMapPtr(R1, "counts")  LoadMapValue(R1, "cfg", 8)
    LoadFunc(R1, "cb")  LoadKsym(R1, "bpf_prog_active")  LdAbs.h(12)  LdInd.w(R3, 0)

`ProgramBuilder` collects them with labels and map declarations and `build`
returns a `ProgramSpec` whose label references are resolved (and kept in
``ProgramSpec.refs``) and whose ``lines`` name the Python line of each instruction.

>>> b = ProgramBuilder(prog_type="socket_filter")
>>> _ = b.emit(Mov.imm(R0, 0), JEq.imm(R1, 0, "out"), Mov.imm(R0, 1))
>>> _ = b.label("out").emit(Exit())
>>> prog = b.build()
>>> prog.insns[1].off, prog.labels
(1, {'out': 3})
>>> prog.lines[0].line > 0
True
"""

from __future__ import annotations

import sys

from ..errors import AsmError
from ..isa import MapSpec, ProgramSpec, Ref, RefKind, SourceLine, helper_id, target_field
from ..isa.checks import problem
from ..isa.insn import Insn
from ..isa.opcodes import (
    LDDW,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from enum import IntEnum
    from types import FrameType
    from typing import Any
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import IntEnum

__all__ = [
    "R0", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "RFP",
    "Add", "And", "ArSh", "Atomic", "Call", "Div", "Exit", "GotoL", "JEq", "JGE", "JGT", "JLE",
    "JLT", "JNE", "JSGE", "JSGT", "JSLE", "JSLT", "JSet", "Ja", "LSh", "LdAbs", "LdInd", "Ldsx",
    "Ldx", "LoadFunc", "LoadImm64", "LoadKsym", "LoadMapPtr", "LoadMapValue", "MayGoto", "Mod",
    "Mov", "Mul", "Neg", "Op", "Or", "ProgramBuilder", "Reg", "RSh", "SDiv", "SMod", "St", "Stx",
    "Sub", "Swap", "Xor",
]


class Reg(IntEnum):
    """A register, r0-r10 (``RFP`` is r10, the read-only frame pointer)."""

    R0 = 0
    R1 = 1
    R2 = 2
    R3 = 3
    R4 = 4
    R5 = 5
    R6 = 6
    R7 = 7
    R8 = 8
    R9 = 9
    R10 = 10


R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 = tuple(Reg)
RFP = Reg.R10

Target = str | int  # a label name or a relative offset in slots


def _here() -> tuple[str | None, int]:
    """(file, line) of the first frame outside this module: where the user wrote the
    instruction."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    if frame is None:
        return None, 0
    return frame.f_code.co_filename, frame.f_lineno


def _at(filename: str | None, line: int) -> SourceLine:
    """The `SourceLine` of ``line`` of ``filename``, its text read from the file."""
    if filename is None:
        return SourceLine(None, 0)
    return SourceLine(filename, line, 1, _source_line(filename, line))


def _caller() -> SourceLine:
    """The first frame outside this module: where the user wrote the instruction."""
    return _at(*_here())


#: source file -> its lines, read once per file
_SOURCES: dict[str, list[str]] = {}


def _source_line(filename: str, line: int) -> str:
    """Line ``line`` of ``filename`` stripped ("" when unknown). A UTF-8 file is read here;
    anything else (``<stdin>``, a zip import, another encoding) through `linecache`, whose
    import (tokenize, re) would otherwise be most of a small probe's start-up."""
    lines = _SOURCES.get(filename)
    if lines is None:
        try:
            if filename.startswith("<"):
                raise OSError(filename)
            with open(filename, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError):
            import linecache

            return linecache.getline(filename, line).strip()
        _SOURCES[filename] = lines
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _error(message: str, where: SourceLine) -> AsmError:
    return AsmError(message, line=where.line or None, filename=where.filename,
                    source=where.text or None)


class Op:
    """One built instruction: the `Insn`, its symbolic operand, where it was written
    (``where``, a `SourceLine` whose text is read from the file at its first use: the DSL
    emits the builder's instructions with lines of its own). Immutable; compares by value.
    """

    __slots__ = ("_file", "_line", "_where", "insn", "ref")
    __match_args__ = ("insn", "ref", "where")

    insn: Insn
    ref: Ref | None
    _where: SourceLine | None
    _file: str | None
    _line: int

    def __init__(self, insn: Insn, ref: Ref | None = None, where: SourceLine | None = None) -> None:
        _set(self, "insn", insn)
        _set(self, "ref", ref)
        _set(self, "_where", where)

    @classmethod
    def _written(cls, insn: Insn, ref: Ref | None, filename: str | None, line: int) -> Op:
        """An `Op` written at ``line`` of ``filename`` (its `SourceLine` made when read)."""
        op = cls.__new__(cls)
        _set(op, "insn", insn)
        _set(op, "ref", ref)
        _set(op, "_where", _UNREAD)
        _set(op, "_file", filename)
        _set(op, "_line", line)
        return op

    @property
    def where(self) -> SourceLine | None:
        """Where the instruction was written, or None."""
        where = self._where
        if where is _UNREAD:  # made by _written: read the line now
            where = _at(self._file, self._line)
            _set(self, "_where", where)
        return where

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen Op")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen Op")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Op:
            return NotImplemented
        assert isinstance(other, Op)
        return (self.insn, self.ref, self.where) == (other.insn, other.ref, other.where)

    def __hash__(self) -> int:
        return hash((self.insn, self.ref, self.where))

    def __reduce__(self) -> tuple[type[Op], tuple[Insn, Ref | None, SourceLine | None]]:
        return Op, (self.insn, self.ref, self.where)

    def __repr__(self) -> str:
        from .llvm.printer import format_insn  # lazy: building a program prints nothing

        return f"Op({format_insn(self.insn, self.ref)!r})"


_set = object.__setattr__
#: the ``where`` of an `Op` whose line is not read yet
_UNREAD: Any = object()


def _op(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0,
        ref: Ref | None = None) -> Op:
    filename, line = _here()
    for name, value in (("dst", dst), ("src", src)):
        if not isinstance(value, int) or not 0 <= value <= 15:
            raise _error(f"{name} must be a register R0-R10, got {value!r}", _at(filename, line))
    try:
        insn = Insn(int(opcode), int(dst), int(src), int(off), int(imm))
    except (ValueError, TypeError) as e:
        raise _error(str(e), _at(filename, line)) from None
    reason = problem(insn)
    if reason is not None:
        raise _error(reason, _at(filename, line))
    return Op._written(insn, ref, filename, line)


def _target(opcode: int, dst: int, src: int, imm: int, target: Target, field: str) -> Op:
    if isinstance(target, str):
        return _op(opcode, dst, src, 0, imm, Ref.label(target))
    if field == "off":
        return _op(opcode, dst, src, target, imm)
    return _op(opcode, dst, src, 0, target)


class _Alu:
    """An arithmetic operation: ``.imm``/``.reg`` (64-bit), ``.imm32``/``.reg32``."""

    def __init__(self, op: AluOp, off: int = 0) -> None:
        self.op = int(op)
        self.off = off

    def imm(self, dst: int, imm: int) -> Op:
        return _op(Class.ALU64 | self.op | Source.K, dst, 0, self.off, imm)

    def reg(self, dst: int, src: int) -> Op:
        return _op(Class.ALU64 | self.op | Source.X, dst, src, self.off)

    def imm32(self, dst: int, imm: int) -> Op:
        return _op(Class.ALU | self.op | Source.K, dst, 0, self.off, imm)

    def reg32(self, dst: int, src: int) -> Op:
        return _op(Class.ALU | self.op | Source.X, dst, src, self.off)


class _Mov(_Alu):
    def sx(self, dst: int, src: int, width: int) -> Op:
        """``dst = (s8|s16|s32)src`` (sign-extending move)."""
        return _op(Class.ALU64 | AluOp.MOV | Source.X, dst, src, width)

    def sx32(self, dst: int, src: int, width: int) -> Op:
        return _op(Class.ALU | AluOp.MOV | Source.X, dst, src, width)


Add, Sub, Mul = _Alu(AluOp.ADD), _Alu(AluOp.SUB), _Alu(AluOp.MUL)
Div, SDiv, Mod, SMod = _Alu(AluOp.DIV), _Alu(AluOp.DIV, 1), _Alu(AluOp.MOD), _Alu(AluOp.MOD, 1)
Or, And, Xor = _Alu(AluOp.OR), _Alu(AluOp.AND), _Alu(AluOp.XOR)
LSh, RSh, ArSh = _Alu(AluOp.LSH), _Alu(AluOp.RSH), _Alu(AluOp.ARSH)
Mov = _Mov(AluOp.MOV)


class Neg:
    """``dst = -dst``."""

    @staticmethod
    def reg(dst: int) -> Op:
        return _op(Class.ALU64 | AluOp.NEG, dst)

    @staticmethod
    def reg32(dst: int) -> Op:
        return _op(Class.ALU | AluOp.NEG, dst)


class Swap:
    """Byte swaps: ``le``/``be`` (to an endianness, ALU) and ``bswap`` (ALU64)."""

    @staticmethod
    def le(dst: int, width: int) -> Op:
        return _op(Class.ALU | AluOp.END | Source.K, dst, imm=width)

    @staticmethod
    def be(dst: int, width: int) -> Op:
        return _op(Class.ALU | AluOp.END | Source.X, dst, imm=width)

    @staticmethod
    def bswap(dst: int, width: int) -> Op:
        return _op(Class.ALU64 | AluOp.END, dst, imm=width)


class _Jmp:
    """A conditional jump: ``.imm(dst, imm, target)``, ``.reg(dst, src, target)`` and 32-bit forms."""

    def __init__(self, op: JmpOp) -> None:
        self.op = int(op)

    def imm(self, dst: int, imm: int, target: Target) -> Op:
        return _target(Class.JMP | self.op | Source.K, dst, 0, imm, target, "off")

    def reg(self, dst: int, src: int, target: Target) -> Op:
        return _target(Class.JMP | self.op | Source.X, dst, src, 0, target, "off")

    def imm32(self, dst: int, imm: int, target: Target) -> Op:
        return _target(Class.JMP32 | self.op | Source.K, dst, 0, imm, target, "off")

    def reg32(self, dst: int, src: int, target: Target) -> Op:
        return _target(Class.JMP32 | self.op | Source.X, dst, src, 0, target, "off")


JEq, JNE, JSet = _Jmp(JmpOp.JEQ), _Jmp(JmpOp.JNE), _Jmp(JmpOp.JSET)
JGT, JGE, JLT, JLE = _Jmp(JmpOp.JGT), _Jmp(JmpOp.JGE), _Jmp(JmpOp.JLT), _Jmp(JmpOp.JLE)
JSGT, JSGE, JSLT, JSLE = _Jmp(JmpOp.JSGT), _Jmp(JmpOp.JSGE), _Jmp(JmpOp.JSLT), _Jmp(JmpOp.JSLE)


def Ja(target: Target) -> Op:  # noqa: N802 (cilium-style constructor names)
    """``goto target`` (16-bit offset)."""
    return _target(Class.JMP | JmpOp.JA, 0, 0, 0, target, "off")


def GotoL(target: Target) -> Op:  # noqa: N802
    """``gotol target`` (32-bit offset in imm)."""
    return _target(Class.JMP32 | JmpOp.JA, 0, 0, 0, target, "imm")


def MayGoto(target: Target) -> Op:  # noqa: N802
    """``may_goto target``."""
    return _target(Class.JMP | JmpOp.JCOND, 0, 0, 0, target, "off")


def Exit() -> Op:  # noqa: N802
    """``exit``."""
    return _op(Class.JMP | JmpOp.EXIT)


class Call:
    """Calls: a helper (by name or id), a local subprogram, a kfunc, or ``callx``."""

    @staticmethod
    def helper(fn: str | int) -> Op:
        if isinstance(fn, str):
            num = helper_id(fn)
            if num is None:
                raise _error(f"unknown helper {fn!r} (not in this kernel's helper list); for a "
                             "kernel function use Call.kfunc", _caller())
            fn = num
        return _op(Class.JMP | JmpOp.CALL, 0, CallSrc.HELPER, 0, fn)

    @staticmethod
    def local(target: Target) -> Op:
        return _target(Class.JMP | JmpOp.CALL, 0, CallSrc.LOCAL, 0, target, "imm")

    @staticmethod
    def kfunc(fn: str | int, module: int = 0) -> Op:
        if isinstance(fn, str):
            return _op(Class.JMP | JmpOp.CALL, 0, CallSrc.KFUNC, module, 0, Ref.kfunc(fn))
        return _op(Class.JMP | JmpOp.CALL, 0, CallSrc.KFUNC, module, fn)

    @staticmethod
    def reg(dst: int) -> Op:
        return _op(Class.JMP | JmpOp.CALL | Source.X, dst)


class _Sized:
    """``.b``/``.h``/``.w``/``.dw`` variants of a load or store."""

    def __init__(self, cls: Class, mode: Mode, order: str) -> None:
        self.base = int(cls | mode)
        self.order = order  # how the arguments map to (dst, src, off, imm)

    def _make(self, size: Size, a: int, b: int, c: int) -> Op:
        op = self.base | size
        if self.order == "ldx":  # (dst, src, off)
            return _op(op, a, b, c)
        if self.order == "st":  # (dst, off, imm)
            return _op(op, a, 0, b, c)
        return _op(op, a, c, b)  # stx: (dst, off, src)

    def b(self, a: int, b: int, c: int) -> Op:
        return self._make(Size.B, a, b, c)

    def h(self, a: int, b: int, c: int) -> Op:
        return self._make(Size.H, a, b, c)

    def w(self, a: int, b: int, c: int) -> Op:
        return self._make(Size.W, a, b, c)

    def dw(self, a: int, b: int, c: int) -> Op:
        return self._make(Size.DW, a, b, c)


Ldx = _Sized(Class.LDX, Mode.MEM, "ldx")  # Ldx.w(dst, src, off)
Ldsx = _Sized(Class.LDX, Mode.MEMSX, "ldx")  # Ldsx.b(dst, src, off)
St = _Sized(Class.ST, Mode.MEM, "st")  # St.dw(dst, off, imm)
Stx = _Sized(Class.STX, Mode.MEM, "stx")  # Stx.dw(dst, off, src)

_SIZE_NAMES = {"b": Size.B, "h": Size.H, "w": Size.W, "dw": Size.DW}


def _size(size: str) -> int:
    if size not in _SIZE_NAMES:
        raise _error(f"size must be one of b, h, w, dw, got {size!r}", _caller())
    return int(_SIZE_NAMES[size])


class Atomic:
    """Atomic operations on ``*(size *)(dst + off)`` (``size`` "w" or "dw", default "dw")."""

    @staticmethod
    def _rmw(op: AtomicOp, dst: int, off: int, src: int, size: str, fetch: bool) -> Op:
        imm = int(op) | (1 if fetch else 0)
        return _op(Class.STX | Mode.ATOMIC | _size(size), dst, src, off, imm)

    @staticmethod
    def add(dst: int, off: int, src: int, *, size: str = "dw", fetch: bool = False) -> Op:
        return Atomic._rmw(AtomicOp.ADD, dst, off, src, size, fetch)

    @staticmethod
    def or_(dst: int, off: int, src: int, *, size: str = "dw", fetch: bool = False) -> Op:
        return Atomic._rmw(AtomicOp.OR, dst, off, src, size, fetch)

    @staticmethod
    def and_(dst: int, off: int, src: int, *, size: str = "dw", fetch: bool = False) -> Op:
        return Atomic._rmw(AtomicOp.AND, dst, off, src, size, fetch)

    @staticmethod
    def xor(dst: int, off: int, src: int, *, size: str = "dw", fetch: bool = False) -> Op:
        return Atomic._rmw(AtomicOp.XOR, dst, off, src, size, fetch)

    @staticmethod
    def xchg(dst: int, off: int, src: int, *, size: str = "dw") -> Op:
        return _op(Class.STX | Mode.ATOMIC | _size(size), dst, src, off, AtomicOp.XCHG)

    @staticmethod
    def cmpxchg(dst: int, off: int, src: int, *, size: str = "dw") -> Op:
        """``r0 = cmpxchg(dst + off, r0, src)``."""
        return _op(Class.STX | Mode.ATOMIC | _size(size), dst, src, off, AtomicOp.CMPXCHG)

    @staticmethod
    def load_acquire(dst: int, src: int, off: int, *, size: str = "dw") -> Op:
        """``dst = load_acquire((size *)(src + off))``."""
        return _op(Class.STX | Mode.ATOMIC | _size(size), dst, src, off, AtomicOp.LOAD_ACQ)

    @staticmethod
    def store_release(dst: int, off: int, src: int, *, size: str = "dw") -> Op:
        """``store_release((size *)(dst + off), src)``."""
        return _op(Class.STX | Mode.ATOMIC | _size(size), dst, src, off, AtomicOp.STORE_REL)


def LoadImm64(dst: int, value: int) -> Op:  # noqa: N802
    """``dst = value ll`` (16-byte lddw)."""
    return _op(LDDW, dst, PseudoSrc.IMM, 0, value)


def LoadMapPtr(dst: int, name: str) -> Op:  # noqa: N802
    """``dst = name ll``: a map by name (bound to its fd at load)."""
    return _op(LDDW, dst, PseudoSrc.MAP_FD, 0, 0, Ref.map(name))


def LoadMapValue(dst: int, name: str, offset: int = 0) -> Op:  # noqa: N802
    """``dst = map_value(name) + offset ll``: the address of a map's value."""
    return _op(LDDW, dst, PseudoSrc.MAP_VALUE, 0, (offset & 0xFFFFFFFF) << 32,
               Ref.map(name, offset))


def LoadFunc(dst: int, target: Target) -> Op:  # noqa: N802
    """``dst = label ll``: the address of a subprogram (callbacks)."""
    if isinstance(target, str):
        return _op(LDDW, dst, PseudoSrc.FUNC, 0, 0, Ref.label(target))
    return _op(LDDW, dst, PseudoSrc.FUNC, 0, target)


def LoadKsym(dst: int, name: str) -> Op:  # noqa: N802
    """``dst = btf_id(name) ll``: a kernel variable by name (BTF id bound at load)."""
    return _op(LDDW, dst, PseudoSrc.BTF_ID, 0, 0, Ref(RefKind.KSYM, name))


class _Packet:
    def __init__(self, mode: Mode) -> None:
        self.mode = mode

    def _make(self, size: Size, args: tuple[int, ...]) -> Op:
        if self.mode == Mode.ABS:
            (imm,) = args
            return _op(Class.LD | Mode.ABS | size, 0, 0, 0, imm)
        src, imm = args
        return _op(Class.LD | Mode.IND | size, 0, src, 0, imm)

    def b(self, *args: int) -> Op:
        return self._make(Size.B, args)

    def h(self, *args: int) -> Op:
        return self._make(Size.H, args)

    def w(self, *args: int) -> Op:
        return self._make(Size.W, args)


LdAbs = _Packet(Mode.ABS)  # LdAbs.h(12): r0 = *(u16 *)skb[12]
LdInd = _Packet(Mode.IND)  # LdInd.w(R3, 0): r0 = *(u32 *)skb[r3 + 0]


class ProgramBuilder:
    """Collects `Op`s, labels and map declarations into a `ProgramSpec`.

    ``emit`` (also spelt calling the builder) takes `Op`s or iterables of them;
    ``label`` names the next instruction; ``build`` resolves labels and raises
    `AsmError` naming the Python line of a bad reference.
    """

    def __init__(self, name: str = "", prog_type: str | None = None, license: str = "GPL") -> None:
        self.name = name
        self.prog_type = prog_type
        self.license = license
        self.ops: list[Op] = []
        self.labels: dict[str, int] = {}
        self.maps: dict[str, MapSpec] = {}
        self._label_where: dict[str, SourceLine] = {}

    def emit(self, *ops: Op | Iterable[Op]) -> ProgramBuilder:
        for item in ops:
            if isinstance(item, Op):
                self.ops.append(item)
            else:
                for op in item:
                    if not isinstance(op, Op):
                        raise _error(f"emit takes instructions (Op), got {op!r}", _caller())
                    self.ops.append(op)
        return self

    __call__ = emit

    def label(self, name: str) -> ProgramBuilder:
        """Put label ``name`` on the next instruction emitted."""
        if name in self.labels:
            first = self._label_where[name]
            raise _error(f"label {name!r} defined twice (first at {first.filename}:{first.line})",
                         _caller())
        self.labels[name] = len(self.ops)
        self._label_where[name] = _caller()
        return self

    def map(self, name: str, type: str, key_size: int, value_size: int, max_entries: int,
            flags: int = 0) -> ProgramBuilder:
        """Declare a map that `LoadMapPtr`/`LoadMapValue` name."""
        self.maps[name] = MapSpec(name, type, key_size, value_size, max_entries, flags)
        return self

    def build(self) -> ProgramSpec:
        """The `ProgramSpec`, labels resolved into offsets (and kept as ``refs``)."""
        prog = ProgramSpec(name=self.name, prog_type=self.prog_type, license=self.license,
                       labels=dict(self.labels), maps=dict(self.maps))
        for op in self.ops:
            prog.append(op.insn, op.ref, op.where)
        n = len(prog.insns)
        for idx, ref in prog.refs.items():
            if ref.kind is not RefKind.LABEL:
                continue
            where = prog.lines.get(idx) or SourceLine(None, 0)
            if ref.name not in self.labels:
                raise _error(f"unknown label {ref.name!r}", where)
            if self.labels[ref.name] >= n:
                raise _error(f"label {ref.name!r} is past the last instruction", where)
        offsets = prog.slot_offsets()
        total = offsets[-1]
        for idx, insn in enumerate(prog.insns):
            field = target_field(insn)
            if field is None or idx in prog.refs:
                continue
            rel = insn.imm if field == "imm" else insn.off
            if not 0 <= offsets[idx] + 1 + rel < total:
                raise _error(f"jump out of the program ({rel:+d} from slot {offsets[idx]})",
                             prog.lines.get(idx) or SourceLine(None, 0))
        try:
            prog.insns = prog.resolve()
        except Exception as e:  # IsaError: a label too far for a 16-bit offset
            bad = getattr(e, "index", None)
            at = prog.lines.get(bad) if bad is not None else None
            raise _error(str(getattr(e, "message", e)), at or SourceLine(None, 0)) from None
        return prog
