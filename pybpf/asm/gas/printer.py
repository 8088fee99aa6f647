"""The gas-syntax printer (the syntax is described in `pybpf.asm.gas`).

`format_insn` prints one instruction so that `pybpf.asm.gas.parser.parse`
reads it back to the same instruction; `format_program` prints a whole
program with its labels.

>>> from pybpf.isa import Insn
>>> format_insn(Insn(0xc3, dst=10, src=1, off=-8, imm=0xe1))
'lock xchg32 [%r10-8], %r1'
"""

from __future__ import annotations

from ...errors import IsaError
from ...isa.insn import Insn
from ...isa.opcodes import LDDW, AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, PseudoSrc, Size, Source
from ...isa.program import ProgramSpec, Ref, RefKind

__all__ = ["format_insn", "format_program"]

_SIZE_NAME = {int(s): s.name.lower() for s in Size}  # b, h, w, dw
_ATOMIC_NAME = {int(op): op.name.lower().replace("_", " ") for op in AtomicOp
                if op not in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)}
_PSEUDO_NAME = {int(p): p.name.lower() for p in PseudoSrc if p is not PseudoSrc.IMM}
_REG_NAME = [f"%r{i}" for i in range(16)]
_U32 = 1 << 32
_U64 = 1 << 64


def _sdec(value: int) -> str:
    return f"+{value}" if value >= 0 else str(value)


def _imm_text(value: int) -> str:
    """Small numbers in decimal, others (masks, addresses) in hex."""
    if -0x1000 < value < 0x1000:
        return str(value)
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def _mem_text(reg: int, off: int) -> str:
    return f"[{_REG_NAME[reg]}{_sdec(off)}]" if off else f"[{_REG_NAME[reg]}]"


def _target(value: int, ref: Ref | None) -> str:
    if ref is not None and ref.kind is RefKind.LABEL:
        return ref.name
    return _sdec(value)


def format_insn(insn: Insn, ref: Ref | None = None) -> str:
    """One instruction in gas syntax; ``ref`` (a label, map or kfunc) replaces its number.

    >>> format_insn(Insn(0x7b, dst=10, src=1, off=-8))
    'stxdw [%r10-8], %r1'
    >>> format_insn(Insn(0x15, dst=0, off=3, imm=15), Ref.label("out"))
    'jeq %r0, 15, out'

    Raises `IsaError` for an opcode the ISA does not define.
    """
    op = insn.opcode
    cls = op & 0x07
    R = _REG_NAME
    if cls == Class.ALU64 or cls == Class.ALU:
        aop = op & 0xF0
        is32 = cls == Class.ALU
        suffix = "32" if is32 else ""
        if aop == AluOp.END:
            if is32:
                return f"{'be' if op & Source.X else 'le'}{insn.imm} {R[insn.dst]}"
            return f"bswap{insn.imm} {R[insn.dst]}"
        if aop == AluOp.NEG:
            return f"neg{suffix} {R[insn.dst]}"
        try:
            name = AluOp(aop).name.lower()
        except ValueError:
            raise IsaError(f"unknown arithmetic operation {aop:#x} (opcode {op:#04x})") from None
        if op & Source.X:
            if aop == AluOp.MOV and insn.off:
                return f"movsx{insn.off}{'32' if is32 else '64'} {R[insn.dst]}, {R[insn.src]}"
            if insn.off == 1 and aop in (AluOp.DIV, AluOp.MOD):
                name = "s" + name
            return f"{name}{suffix} {R[insn.dst]}, {R[insn.src]}"
        if insn.off == 1 and aop in (AluOp.DIV, AluOp.MOD):
            name = "s" + name
        imm = insn.imm & 0xFFFFFFFF if is32 else insn.imm
        return f"{name}{suffix} {R[insn.dst]}, {_imm_text(imm)}"
    if cls == Class.JMP or cls == Class.JMP32:
        jop = op & 0xF0
        if jop == JmpOp.JA:
            if cls == Class.JMP32:
                return f"ja32 {_target(insn.imm, ref)}"
            return f"ja {_target(insn.off, ref)}"
        if jop == JmpOp.EXIT:
            return "exit"
        if jop == JmpOp.CALL:
            if op & Source.X:
                return f"call {R[insn.dst]}"
            if insn.src == CallSrc.LOCAL:
                return f"call local {_target(insn.imm, ref)}"
            if insn.src == CallSrc.KFUNC:
                what = ref.name if ref is not None and ref.kind is RefKind.KFUNC else str(insn.imm)
                return f"call kfunc {what}" + (f", {insn.off}" if insn.off else "")
            return f"call {insn.imm}"
        if jop == JmpOp.JCOND:
            return f"may_goto {_target(insn.off, ref)}"
        try:
            name = JmpOp(jop).name.lower()
        except ValueError:
            raise IsaError(f"unknown jump operation {jop:#x} (opcode {op:#04x})") from None
        suffix = "32" if cls == Class.JMP32 else ""
        if op & Source.X:
            src = R[insn.src]
        else:
            src = _imm_text(insn.imm & 0xFFFFFFFF if suffix else insn.imm)
        return f"{name}{suffix} {R[insn.dst]}, {src}, {_target(insn.off, ref)}"
    size = _SIZE_NAME[op & 0x18]
    mode = op & 0xE0
    if cls == Class.LDX:
        if mode == Mode.MEMSX:
            return f"ldxs{size} {R[insn.dst]}, {_mem_text(insn.src, insn.off)}"
        return f"ldx{size} {R[insn.dst]}, {_mem_text(insn.src, insn.off)}"
    if cls == Class.ST:
        return f"st{size} {_mem_text(insn.dst, insn.off)}, {_imm_text(insn.imm)}"
    if cls == Class.STX:
        if mode == Mode.ATOMIC:
            imm = insn.imm & 0xFFFFFFFF
            if imm == AtomicOp.LOAD_ACQ:
                return f"ldacq{size} {R[insn.dst]}, {_mem_text(insn.src, insn.off)}"
            if imm == AtomicOp.STORE_REL:
                return f"strel{size} {_mem_text(insn.dst, insn.off)}, {R[insn.src]}"
            aname = _ATOMIC_NAME.get(imm)
            if aname is None:
                raise IsaError(f"unknown atomic operation imm={imm:#x} (opcode {op:#04x})")
            return (f"lock {aname}{'32' if size == 'w' else ''} "
                    f"{_mem_text(insn.dst, insn.off)}, {R[insn.src]}")
        return f"stx{size} {_mem_text(insn.dst, insn.off)}, {R[insn.src]}"
    # Class.LD
    if op == LDDW:
        if insn.src == PseudoSrc.IMM:
            value = insn.imm & (_U64 - 1)
            return f"lddw {R[insn.dst]}, {_imm_text(value)}"
        kind = _PSEUDO_NAME.get(insn.src)
        if kind is None:
            raise IsaError(f"lddw pseudo source must be 0-6 (got {insn.src})")
        low = insn.imm & 0xFFFFFFFF
        high = insn.imm >> 32  # signed: the offset into a map value
        if ref is not None and ref.kind is RefKind.GLOBAL:
            kind = "global"
        if insn.src == PseudoSrc.FUNC:
            low_s = low - _U32 if low & 0x80000000 else low
            text = _target(low_s, ref)
        elif ref is not None and ref.kind in (RefKind.MAP, RefKind.GLOBAL, RefKind.KSYM):
            text = ref.name
        else:
            text = str(low)
        return f"lddw {R[insn.dst]}, {kind} {text}" + (f", {_imm_text(high)}" if high else "")
    if mode == Mode.ABS:
        return f"ldabs{size} {_imm_text(insn.imm)}"
    if mode == Mode.IND:
        return f"ldind{size} {R[insn.src]}, {_imm_text(insn.imm)}"
    raise IsaError(f"unknown LD mode {mode:#x} (opcode {op:#04x})")


def format_program(program: ProgramSpec) -> str:
    """A whole program in gas syntax, labels on their own lines, one instruction a line.

    >>> from pybpf.asm.gas.parser import parse
    >>> print(format_program(parse("ja out\\nout: exit")), end="")
    ja out
    out:
    exit
    """
    at = program.labels_by_index()
    out: list[str] = []
    refs = program.refs
    for idx, insn in enumerate(program.insns):
        for name in at.get(idx, ()):
            out.append(f"{name}:")
        out.append(format_insn(insn, refs.get(idx)))
    for name in at.get(len(program.insns), ()):
        out.append(f"{name}:")
    return "\n".join(out) + ("\n" if out else "")
