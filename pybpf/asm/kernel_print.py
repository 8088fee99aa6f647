"""Print instructions as the kernel verifier log does (``(b7) r0 = 42``).

Each line carries the opcode in parentheses, decimal immediates, ``%+d``
offsets (``*(u64 *)(r10 -8) = r1``), ``goto pc+2`` targets, helper calls as
``call bpf_map_lookup_elem#1``, conditional jumps with the immediate as an
unsigned hex (``if r1 > 0x5 goto pc+2``), 64-bit loads without ``ll``, and the
register names the log uses (``r`` everywhere but ALU32 and JMP32 operands).
The layout follows the running kernel (6.x); a kfunc prints by name when the
program references it, else as ``kernel-function``. The kernel prints a map
address after loading (a pointer); pybpf prints the map by name (``map[name]``).
``callx r2``, which the kernel does not load (its printer would show
``call bpf_unspec#0``), prints as ``callx r2``.

>>> from pybpf.isa import Insn
>>> format_insn(Insn(0xb7, dst=0, imm=42))
'(b7) r0 = 42'
>>> format_insn(Insn(0x85, imm=1))
'(85) call bpf_map_lookup_elem#1'
>>> format_insn(Insn(0x7b, dst=10, src=1, off=-8))
'(7b) *(u64 *)(r10 -8) = r1'
"""

from __future__ import annotations

from ..isa import helper_name
from ..isa.insn import Insn
from ..isa.opcodes import LDDW, AluOp, AtomicOp, CallSrc, Class, JmpOp, Mode, Size, Source
from ..isa.program import Ref, RefKind
from .llvm.printer import ALU_OPS, JMP_OPS, SIGNED_ALU_OPS, SIZE_NAMES, SX_NAMES

_ATOMIC_OPS: dict[int, str] = {AtomicOp.ADD: "+=", AtomicOp.AND: "&=", AtomicOp.OR: "|=", AtomicOp.XOR: "^="}
_ATOMIC_NAMES: dict[int, str] = {AtomicOp.ADD: "add", AtomicOp.AND: "and", AtomicOp.OR: "or",
                                 AtomicOp.XOR: "xor"}


def _body(insn: Insn, ref: Ref | None) -> str:
    op = insn.opcode
    cls = op & 7
    d, s, o, i = insn.dst, insn.src, insn.off, insn.imm
    if cls in (Class.ALU, Class.ALU64):
        p = "w" if cls == Class.ALU else "r"
        aop = op & 0xF0
        if aop == AluOp.END:
            if cls == Class.ALU64:
                return f"r{d} = bswap{i} r{d}"
            return f"r{d} = {'be' if op & Source.X else 'le'}{i} r{d}"
        if aop == AluOp.NEG:
            return f"{p}{d} = -{p}{d}"
        sym = SIGNED_ALU_OPS[aop] if aop in SIGNED_ALU_OPS and o == 1 else ALU_OPS.get(aop, "?")
        if op & Source.X:
            sx = f"(s{o})" if aop == AluOp.MOV and o in (8, 16, 32) else ""
            return f"{p}{d} {sym} {sx}{p}{s}"
        return f"{p}{d} {sym} {i}"
    if cls == Class.STX:
        mode = op & 0xE0
        sz = SIZE_NAMES[op & 0x18]
        if mode == Mode.MEM:
            return f"*({sz} *)(r{d} {o:+d}) = r{s}"
        if mode != Mode.ATOMIC:
            return f"BUG_{op:02x}"
        u = i & 0xFFFFFFFF
        w64 = "64" if op & 0x18 == Size.DW else ""
        if u in _ATOMIC_OPS:
            return f"lock *({sz} *)(r{d} {o:+d}) {_ATOMIC_OPS[u]} r{s}"
        if u & 1 and (u & ~1) in _ATOMIC_NAMES and u != AtomicOp.XCHG and u != AtomicOp.CMPXCHG:
            return f"r{s} = atomic{w64}_fetch_{_ATOMIC_NAMES[u & ~1]}(({sz} *)(r{d} {o:+d}), r{s})"
        if u == AtomicOp.CMPXCHG:
            return f"r0 = atomic{w64}_cmpxchg(({sz} *)(r{d} {o:+d}), r0, r{s})"
        if u == AtomicOp.XCHG:
            return f"r{s} = atomic{w64}_xchg(({sz} *)(r{d} {o:+d}), r{s})"
        if u == AtomicOp.LOAD_ACQ:
            return f"r{d} = load_acquire(({sz} *)(r{s} {o:+d}))"
        if u == AtomicOp.STORE_REL:
            return f"store_release(({sz} *)(r{d} {o:+d}), r{s})"
        return f"BUG_{op:02x}"
    if cls == Class.ST:
        if op & 0xE0 == Mode.MEM:
            return f"*({SIZE_NAMES[op & 0x18]} *)(r{d} {o:+d}) = {i}"
        return f"BUG_st_{op:02x}"
    if cls == Class.LDX:
        mode = op & 0xE0
        if mode == Mode.MEM:
            return f"r{d} = *({SIZE_NAMES[op & 0x18]} *)(r{s} {o:+d})"
        if mode == Mode.MEMSX and op & 0x18 != Size.DW:
            return f"r{d} = *({SX_NAMES[op & 0x18]} *)(r{s} {o:+d})"
        return f"BUG_ldx_{op:02x}"
    if cls == Class.LD:
        mode = op & 0xE0
        sz = SIZE_NAMES[op & 0x18]
        if mode == Mode.ABS:
            return f"r0 = *({sz} *)skb[{i}]"
        if mode == Mode.IND:
            return f"r0 = *({sz} *)skb[r{s} + {i}]"
        if op == LDDW:
            if ref is not None and ref.kind in (RefKind.MAP, RefKind.GLOBAL):
                return f"r{d} = map[{ref.name}]" + (f"+{ref.offset}" if ref.offset else "")
            return f"r{d} = {i & 0xFFFFFFFFFFFFFFFF:#x}"
        return f"BUG_ld_{op:02x}"
    # JMP / JMP32
    jop = op & 0xF0
    if jop == JmpOp.CALL and cls == Class.JMP:
        if op & Source.X:
            return f"callx r{d}"
        if s == CallSrc.LOCAL:
            return f"call pc{i:+d}"
        if s == CallSrc.KFUNC:
            name = ref.name if ref is not None and ref.kind is RefKind.KFUNC else "kernel-function"
            return f"call {name}#{i}"
        helper = helper_name(i) if s == CallSrc.HELPER else None
        return f"call {helper or 'unknown'}#{i}"
    if op == Class.JMP | JmpOp.JA:
        return f"goto pc{o:+d}"
    if op == Class.JMP | JmpOp.JCOND:
        return f"may_goto pc{o:+d}"
    if op == Class.JMP32 | JmpOp.JA:
        return f"gotol pc{i:+d}"
    if op == Class.JMP | JmpOp.EXIT:
        return "exit"
    if jop in JMP_OPS:
        p = "w" if cls == Class.JMP32 else "r"
        if op & Source.X:
            return f"if {p}{d} {JMP_OPS[jop]} {p}{s} goto pc{o:+d}"
        return f"if {p}{d} {JMP_OPS[jop]} {i & 0xFFFFFFFF:#x} goto pc{o:+d}"
    return f"({op:02x}) {('jmp32' if cls == Class.JMP32 else 'jmp')}"


def format_insn(insn: Insn, ref: Ref | None = None) -> str:
    """The verifier-log text of one instruction, ``(xx)`` opcode prefix included."""
    return f"({insn.opcode:02x}) {_body(insn, ref)}"
