"""Hypothesis strategies for eBPF instructions and programs.

`insns()` draws valid instructions of every form (each class, operation,
source, size, mode, pseudo source, atomic operation), with edge values
(0, 1, -1, the 16/32/64-bit limits) drawn often. `programs()` draws programs
whose jumps land on instructions, optionally with labels, map, kfunc and
global references and ``.map`` declarations.

>>> from hypothesis import given
>>> from pybpf.isa import problem
>>> @given(insns())
... def test_valid(insn):
...     assert problem(insn) is None
>>> test_valid()
"""

from __future__ import annotations

from hypothesis import strategies as st

from ..isa import MapSpec, ProgramSpec, Ref, RefKind, target_field
from ..isa.insn import Insn
from ..isa.opcodes import (
    END_WIDTHS,
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

__all__ = ["imm32", "imm64", "insns", "off16", "programs", "regs"]

_EDGE16 = [0, 1, -1, 2, 0x7FFF, -0x8000, 8, -8]
_EDGE32 = [0, 1, -1, 0x7FFF, -0x8000, 0x7FFFFFFF, -0x80000000, 16, 32, 64]
_EDGE64 = [0, 1, -1, 0x7FFFFFFF, -0x80000000, 0xFFFFFFFF, 1 << 32, (1 << 63) - 1, -(1 << 63)]


def regs() -> st.SearchStrategy[int]:
    """A register number r0-r10."""
    return st.integers(0, 10)


def off16() -> st.SearchStrategy[int]:
    """A signed 16-bit offset, edge values often."""
    return st.one_of(st.sampled_from(_EDGE16), st.integers(-0x8000, 0x7FFF))


def imm32() -> st.SearchStrategy[int]:
    """A signed 32-bit immediate, edge values often."""
    return st.one_of(st.sampled_from(_EDGE32), st.integers(-(1 << 31), (1 << 31) - 1))


def imm64() -> st.SearchStrategy[int]:
    """A signed 64-bit immediate, edge values often."""
    return st.one_of(st.sampled_from(_EDGE64), st.integers(-(1 << 63), (1 << 63) - 1))


_ALU_BINARY = [op for op in AluOp if op not in (AluOp.NEG, AluOp.END)]
_SIZES = list(Size)
_FETCHING = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.FETCH_ADD,
             AtomicOp.FETCH_OR, AtomicOp.FETCH_AND, AtomicOp.FETCH_XOR, AtomicOp.XCHG,
             AtomicOp.CMPXCHG]


@st.composite
def _alu(draw: st.DrawFn) -> Insn:
    cls = draw(st.sampled_from([Class.ALU, Class.ALU64]))
    op = draw(st.sampled_from(_ALU_BINARY))
    dst = draw(regs())
    signed = op in (AluOp.DIV, AluOp.MOD) and draw(st.booleans())
    if draw(st.booleans()):
        off = 1 if signed else 0
        if op == AluOp.MOV:
            widths = (0, 8, 16, 32) if cls == Class.ALU64 else (0, 8, 16)
            off = draw(st.sampled_from(widths))
        return Insn(cls | op | Source.X, dst, draw(regs()), off, 0)
    return Insn(cls | op | Source.K, dst, 0, 1 if signed else 0, draw(imm32()))


@st.composite
def _alu_unary(draw: st.DrawFn) -> Insn:
    dst = draw(regs())
    kind = draw(st.sampled_from(["neg32", "neg64", "le", "be", "bswap"]))
    if kind == "neg32":
        return Insn(Class.ALU | AluOp.NEG, dst)
    if kind == "neg64":
        return Insn(Class.ALU64 | AluOp.NEG, dst)
    width = draw(st.sampled_from(END_WIDTHS))
    if kind == "bswap":
        return Insn(Class.ALU64 | AluOp.END, dst, imm=width)
    src = Source.X if kind == "be" else Source.K
    return Insn(Class.ALU | AluOp.END | src, dst, imm=width)


_CONDITIONS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE,
               JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE]


@st.composite
def _jmp(draw: st.DrawFn) -> Insn:
    kind = draw(st.sampled_from(["cond", "cond", "cond", "ja", "gotol", "may_goto", "call",
                                 "local", "kfunc", "callx", "exit"]))
    if kind == "cond":
        cls = draw(st.sampled_from([Class.JMP, Class.JMP32]))
        op = draw(st.sampled_from(_CONDITIONS))
        if draw(st.booleans()):
            return Insn(cls | op | Source.X, draw(regs()), draw(regs()), draw(off16()))
        return Insn(cls | op, draw(regs()), 0, draw(off16()), draw(imm32()))
    if kind == "ja":
        return Insn(Class.JMP | JmpOp.JA, off=draw(off16()))
    if kind == "gotol":
        return Insn(Class.JMP32 | JmpOp.JA, imm=draw(imm32()))
    if kind == "may_goto":
        return Insn(Class.JMP | JmpOp.JCOND, off=draw(off16()))
    if kind == "call":
        return Insn(Class.JMP | JmpOp.CALL, imm=draw(imm32()))
    if kind == "local":
        return Insn(Class.JMP | JmpOp.CALL, src=CallSrc.LOCAL, imm=draw(imm32()))
    if kind == "kfunc":
        return Insn(Class.JMP | JmpOp.CALL, src=CallSrc.KFUNC,
                    off=draw(st.sampled_from([0, 0, 1, -1, 0x7FFF])), imm=draw(imm32()))
    if kind == "callx":
        return Insn(Class.JMP | JmpOp.CALL | Source.X, draw(regs()))
    return Insn(Class.JMP | JmpOp.EXIT)


@st.composite
def _mem(draw: st.DrawFn) -> Insn:
    kind = draw(st.sampled_from(["ldx", "ldsx", "st", "stx", "atomic", "acq", "rel", "lddw",
                                 "abs", "ind"]))
    dst, src, off = draw(regs()), draw(regs()), draw(off16())
    if kind == "ldx":
        return Insn(Class.LDX | Mode.MEM | draw(st.sampled_from(_SIZES)), dst, src, off)
    if kind == "ldsx":
        size = draw(st.sampled_from([Size.B, Size.H, Size.W]))
        return Insn(Class.LDX | Mode.MEMSX | size, dst, src, off)
    if kind == "st":
        return Insn(Class.ST | Mode.MEM | draw(st.sampled_from(_SIZES)), dst, 0, off, draw(imm32()))
    if kind == "stx":
        return Insn(Class.STX | Mode.MEM | draw(st.sampled_from(_SIZES)), dst, src, off)
    if kind == "atomic":
        size = draw(st.sampled_from([Size.W, Size.DW]))
        op = draw(st.sampled_from(_FETCHING))
        return Insn(Class.STX | Mode.ATOMIC | size, dst, src, off, int(op))
    if kind in ("acq", "rel"):
        op = AtomicOp.LOAD_ACQ if kind == "acq" else AtomicOp.STORE_REL
        return Insn(Class.STX | Mode.ATOMIC | draw(st.sampled_from(_SIZES)), dst, src, off, int(op))
    if kind == "lddw":
        return Insn(LDDW, dst, draw(st.sampled_from(list(PseudoSrc))), 0, draw(imm64()))
    size = draw(st.sampled_from([Size.B, Size.H, Size.W]))
    if kind == "abs":
        return Insn(Class.LD | Mode.ABS | size, imm=draw(imm32()))
    return Insn(Class.LD | Mode.IND | size, 0, src, 0, draw(imm32()))


def insns() -> st.SearchStrategy[Insn]:
    """A valid eBPF instruction of any form (``pybpf.isa.problem(insn) is None``).

    >>> from hypothesis import find
    >>> find(insns(), lambda insn: insn.opcode == 0xdb).opcode
    219
    """
    return st.one_of(_alu(), _alu_unary(), _jmp(), _mem())


@st.composite
def programs(draw: st.DrawFn, min_size: int = 1, max_size: int = 24, *,
             symbols: bool = True) -> ProgramSpec:
    """A `ProgramSpec` whose jumps, local calls and function loads land on its instructions.

    With ``symbols`` some targets carry labels (``Ref.label``), some lddw load a
    declared map (``Ref.map``, src 1 or 2) or a global (``Ref(GLOBAL)``) and some
    calls name a kfunc (``Ref.kfunc``), spelled the way the assembler produces them.
    """
    body = draw(st.lists(insns(), min_size=min_size, max_size=max_size))
    offsets: list[int] = []
    pos = 0
    for insn in body:
        offsets.append(pos)
        pos += insn.slots
    prog = ProgramSpec()
    n = len(body)
    for idx, insn in enumerate(body):
        where = target_field(insn)
        ref: Ref | None = None
        if where is not None:
            target = draw(st.integers(0, n - 1))
            rel = offsets[target] - offsets[idx] - 1
            insn = insn.replace(**{where: rel})
            if symbols and draw(st.booleans()):
                name = f"L{target}"
                prog.labels[name] = target
                ref = Ref.label(name)
        elif symbols and insn.opcode == LDDW and insn.src in (PseudoSrc.MAP_FD, PseudoSrc.MAP_VALUE) \
                and draw(st.booleans()):
            name = f"m{draw(st.integers(0, 2))}"
            if insn.src == PseudoSrc.MAP_FD:
                insn = insn.replace(imm=0)
                ref = Ref.map(name)
            else:
                off = draw(st.integers(-(1 << 31), (1 << 31) - 1))
                insn = insn.replace(imm=(off & 0xFFFFFFFF) << 32)
                ref = Ref.map(name, off) if draw(st.booleans()) else Ref(RefKind.GLOBAL, "g" + name, off)
            if ref.kind is RefKind.MAP and name not in prog.maps:
                prog.maps[name] = MapSpec(name, "array", 4, draw(st.integers(1, 64)),
                                          draw(st.integers(1, 1024)))
        elif symbols and insn.opcode == Class.JMP | JmpOp.CALL and insn.src == CallSrc.KFUNC \
                and draw(st.booleans()):
            insn = insn.replace(imm=0, off=0)
            ref = Ref.kfunc(f"kf_{draw(st.integers(0, 3))}")
        prog.append(insn, ref)
    return prog
