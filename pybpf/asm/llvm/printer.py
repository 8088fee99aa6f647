"""Print instructions in the LLVM syntax, exactly as ``llvm-objdump-19 -d --mcpu=v4``.

Immediates and offsets are hex (``r0 = 0x2a``, ``*(u64 *)(r10 - 0x8) = 0x5``,
``goto +0x2``), 32-bit sub-register forms use ``w`` names, and ``lddw`` prints on
one line (``r1 = 0x1122334455667788 ll``). The formatter works on the five raw
fields, so the disassembler formats bytes without building `Insn` objects.

Where objdump's text cannot be read back to the same bytes, pybpf prints a form
of its own (its assembler reads both); these are the only differences from
``llvm-objdump-19``, besides the symbolic ``<.text+0x..>`` suffix of jumps that
objdump adds and pybpf prints only as ``<label>`` in listings:

- local call (``src=1``): objdump ``call 0x3`` (reads back as helper 3);
  pybpf ``call pc+0x3``, or ``call name`` with a label reference;
- kfunc call (``src=2``): objdump ``call 0x4d2``; pybpf ``call kfunc(0x4d2)``
  (``call kfunc(0x4d2, 0x1)`` with a module BTF index in ``off``), or
  ``call name`` with a kfunc reference;
- symbolic lddw operands: ``r1 = name ll`` (map fd, or a label: function
  pointer), ``r1 = map_value(name) + 0x8 ll``, ``r1 = name + 0x8 ll`` (global),
  ``r1 = btf_id(name) ll`` (kernel variable, ``src=3``);
- ``ld_pseudo``: objdump drops the upper 32 bits of the immediate; pybpf prints
  the whole 64-bit value when they are not zero;
- ``LD_IND`` with a non-zero immediate: objdump drops it (``skb[r1]``); pybpf
  prints ``skb[r1 + 0x5]``;
- load-acquire / store-release (unknown to LLVM 19): the syntax of newer LLVM,
  ``r1 = load_acquire((u64 *)(r2 + 0x0))``, ``store_release((u8 *)(r1 + 0x0), w2)``.

Encodings that are not valid eBPF print as ``<unknown>`` like objdump.

>>> from pybpf.isa import Insn
>>> format_insn(Insn(0x7a, dst=10, off=-8, imm=5))
'*(u64 *)(r10 - 0x8) = 0x5'
>>> format_insn(Insn(0x25, dst=1, off=2, imm=5))
'if r1 > 0x5 goto +0x2'
"""

from __future__ import annotations

from collections.abc import Callable

from ...isa.insn import Insn
from ...isa.opcodes import (
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
from ...isa.program import Ref, RefKind

#: A formatter of the raw fields (dst, src, off, imm) of one opcode.
Fmt = Callable[[int, int, int, int], str]

UNKNOWN = "<unknown>"

ALU_OPS: dict[int, str] = {
    AluOp.ADD: "+=", AluOp.SUB: "-=", AluOp.MUL: "*=", AluOp.DIV: "/=", AluOp.OR: "|=",
    AluOp.AND: "&=", AluOp.LSH: "<<=", AluOp.RSH: ">>=", AluOp.MOD: "%=", AluOp.XOR: "^=",
    AluOp.MOV: "=", AluOp.ARSH: "s>>=",
}
#: Signed variants selected by off=1.
SIGNED_ALU_OPS: dict[int, str] = {AluOp.DIV: "s/=", AluOp.MOD: "s%="}
JMP_OPS: dict[int, str] = {
    JmpOp.JEQ: "==", JmpOp.JGT: ">", JmpOp.JGE: ">=", JmpOp.JSET: "&", JmpOp.JNE: "!=",
    JmpOp.JSGT: "s>", JmpOp.JSGE: "s>=", JmpOp.JLT: "<", JmpOp.JLE: "<=", JmpOp.JSLT: "s<",
    JmpOp.JSLE: "s<=",
}
SIZE_NAMES: dict[int, str] = {Size.B: "u8", Size.H: "u16", Size.W: "u32", Size.DW: "u64"}
SX_NAMES: dict[int, str] = {Size.B: "s8", Size.H: "s16", Size.W: "s32"}
ATOMIC_ALU: dict[int, tuple[str, str]] = {
    AtomicOp.ADD: ("+=", "add"), AtomicOp.OR: ("|=", "or"), AtomicOp.AND: ("&=", "and"),
    AtomicOp.XOR: ("^=", "xor"),
}


def mem(reg: int, off: int) -> str:
    """``r10 - 0x8`` / ``r1 + 0x0``: a base register and a signed offset."""
    return f"r{reg} + {off:#x}" if off >= 0 else f"r{reg} - {-off:#x}"


# -- formatter builders, one per opcode -----------------------------------------------
def _alu(opcode: int) -> Fmt:
    p = "r" if opcode & 7 == Class.ALU64 else "w"
    op = opcode & 0xF0
    x = opcode & Source.X
    if op == AluOp.NEG:
        return lambda d, s, o, i: f"{p}{d} = -{p}{d}"
    if op == AluOp.END:
        if p == "r":
            if x:
                return lambda d, s, o, i: UNKNOWN
            return lambda d, s, o, i: f"r{d} = bswap{i} r{d}"
        kind = "be" if x else "le"
        return lambda d, s, o, i: f"r{d} = {kind}{i} r{d}"
    sym = ALU_OPS.get(op)
    if sym is None:
        return lambda d, s, o, i: UNKNOWN
    if op in SIGNED_ALU_OPS:
        ssym = SIGNED_ALU_OPS[op]
        if x:
            return lambda d, s, o, i: f"{p}{d} {ssym if o == 1 else sym} {p}{s}"
        return lambda d, s, o, i: f"{p}{d} {ssym if o == 1 else sym} {i:#x}"
    if op == AluOp.MOV and x:
        return lambda d, s, o, i: (f"{p}{d} = (s{o}){p}{s}" if o in (8, 16, 32)
                                   else f"{p}{d} = {p}{s}")
    if x:
        return lambda d, s, o, i: f"{p}{d} {sym} {p}{s}"
    return lambda d, s, o, i: f"{p}{d} {sym} {i:#x}"


def _jmp(opcode: int) -> Fmt:
    op = opcode & 0xF0
    is32 = opcode & 7 == Class.JMP32
    x = opcode & Source.X
    if op == JmpOp.JA:
        if x:
            return lambda d, s, o, i: UNKNOWN
        if is32:
            return lambda d, s, o, i: f"gotol {i:+#x}"
        return lambda d, s, o, i: f"goto {o:+#x}"
    if op in JMP_OPS:
        p = "w" if is32 else "r"
        sym = JMP_OPS[op]
        if x:
            return lambda d, s, o, i: f"if {p}{d} {sym} {p}{s} goto {o:+#x}"
        return lambda d, s, o, i: f"if {p}{d} {sym} {i:#x} goto {o:+#x}"
    if is32:
        return lambda d, s, o, i: UNKNOWN
    if op == JmpOp.CALL:
        if x:
            return lambda d, s, o, i: f"callx r{d}"
        return _call
    if op == JmpOp.EXIT:
        return lambda d, s, o, i: "exit"
    if op == JmpOp.JCOND:
        return lambda d, s, o, i: f"may_goto {o:+#x}"
    return lambda d, s, o, i: UNKNOWN


def _call(d: int, s: int, o: int, i: int) -> str:
    if s == CallSrc.LOCAL:
        return f"call pc{i:+#x}"
    if s == CallSrc.KFUNC:
        return f"call kfunc({i:#x}, {o:#x})" if o else f"call kfunc({i:#x})"
    return f"call {i:#x}"


def _ld(opcode: int) -> Fmt:
    mode = opcode & 0xE0
    size = opcode & 0x18
    if opcode == LDDW:
        return _lddw
    sz = SIZE_NAMES[size]
    if size == Size.DW:
        return lambda d, s, o, i: UNKNOWN
    if mode == Mode.ABS:
        return lambda d, s, o, i: f"r0 = *({sz} *)skb[{i:#x}]"
    if mode == Mode.IND:
        return lambda d, s, o, i: (f"r0 = *({sz} *)skb[r{s} + {i:#x}]" if i
                                   else f"r0 = *({sz} *)skb[r{s}]")
    return lambda d, s, o, i: UNKNOWN


def _lddw(d: int, s: int, o: int, i: int) -> str:
    if s == PseudoSrc.IMM:
        return f"r{d} = {i:#x} ll"
    u = i & 0xFFFFFFFFFFFFFFFF
    return f"ld_pseudo\tr{d}, {s:#x}, {u:#x}"


def _ldx(opcode: int) -> Fmt:
    mode = opcode & 0xE0
    size = opcode & 0x18
    if mode == Mode.MEM:
        sz = SIZE_NAMES[size]
        p = "r" if size == Size.DW else "w"
        return lambda d, s, o, i: f"{p}{d} = *({sz} *)({mem(s, o)})"
    if mode == Mode.MEMSX and size != Size.DW:
        sz = SX_NAMES[size]
        return lambda d, s, o, i: f"r{d} = *({sz} *)({mem(s, o)})"
    return lambda d, s, o, i: UNKNOWN


def _st(opcode: int) -> Fmt:
    if opcode & 0xE0 != Mode.MEM:
        return lambda d, s, o, i: UNKNOWN
    sz = SIZE_NAMES[opcode & 0x18]
    return lambda d, s, o, i: f"*({sz} *)({mem(d, o)}) = {i:#x}"


def _stx(opcode: int) -> Fmt:
    mode = opcode & 0xE0
    size = opcode & 0x18
    sz = SIZE_NAMES[size]
    p = "r" if size == Size.DW else "w"
    if mode == Mode.MEM:
        return lambda d, s, o, i: f"*({sz} *)({mem(d, o)}) = {p}{s}"
    if mode != Mode.ATOMIC:
        return lambda d, s, o, i: UNKNOWN

    def atomic(d: int, s: int, o: int, i: int) -> str:
        i &= 0xFFFFFFFF
        if i == AtomicOp.LOAD_ACQ:
            return f"{p}{d} = load_acquire(({sz} *)({mem(s, o)}))"
        if i == AtomicOp.STORE_REL:
            return f"store_release(({sz} *)({mem(d, o)}), {p}{s})"
        if size not in (Size.W, Size.DW):
            return UNKNOWN
        if i in ATOMIC_ALU:
            return f"lock *({sz} *)({mem(d, o)}) {ATOMIC_ALU[i][0]} {p}{s}"
        if i & 1 and (i & ~1) in ATOMIC_ALU:
            return f"{p}{s} = atomic_fetch_{ATOMIC_ALU[i & ~1][1]}(({sz} *)({mem(d, o)}), {p}{s})"
        suffix = "_64" if p == "r" else "32_32"
        if i == AtomicOp.XCHG:
            return f"{p}{s} = xchg{suffix}({mem(d, o)}, {p}{s})"
        if i == AtomicOp.CMPXCHG:
            return f"{p}0 = cmpxchg{suffix}({mem(d, o)}, {p}0, {p}{s})"
        return UNKNOWN

    return atomic


_BUILDERS: dict[int, Callable[[int], Fmt]] = {
    Class.ALU: _alu, Class.ALU64: _alu, Class.JMP: _jmp, Class.JMP32: _jmp,
    Class.LD: _ld, Class.LDX: _ldx, Class.ST: _st, Class.STX: _stx,
}

#: opcode -> formatter of (dst, src, off, imm); built once at import.
FORMATTERS: list[Fmt] = [_BUILDERS[op & 7](op) for op in range(256)]


def format_fields(opcode: int, dst: int, src: int, off: int, imm: int) -> str:
    """The LLVM text of one instruction given as raw (signed) fields.

    >>> format_fields(0xb7, 0, 0, 0, 42)
    'r0 = 0x2a'
    """
    return FORMATTERS[opcode](dst, src, off, imm)


def format_ref(insn: Insn, ref: Ref) -> str:
    """The text of ``insn`` with its symbolic operand ``ref`` spelled by name.

    >>> from pybpf.isa import Insn, Ref
    >>> format_ref(Insn(0x18, dst=1, src=1), Ref.map("counts"))
    'r1 = counts ll'
    >>> format_ref(Insn(0x05), Ref.label("out"))
    'goto out'
    """
    op = insn.opcode
    name = ref.name
    if ref.kind is RefKind.LABEL:
        cls = op & 7
        if op == LDDW:
            return f"r{insn.dst} = {name} ll"
        if cls == Class.JMP32 and op & 0xF0 == JmpOp.JA:
            return f"gotol {name}"
        if cls == Class.JMP and op & 0xF0 == JmpOp.CALL:
            return f"call {name}"
        text = format_fields(op, insn.dst, insn.src, insn.off, insn.imm)
        head, sep, _ = text.rpartition(" ")
        return f"{head} {name}" if sep else text
    if ref.kind is RefKind.KFUNC:
        from ...isa.helpers import helper_id, misspelled_helper

        if helper_id(name) is not None or misspelled_helper(name) is not None:
            return f"call kfunc({name})"  # bare, the name would read as a helper
        return f"call {name}"
    if op == LDDW:
        if ref.kind is RefKind.KSYM:
            return f"r{insn.dst} = btf_id({name}) ll"
        if ref.kind is RefKind.MAP:
            if insn.src == PseudoSrc.MAP_VALUE:
                return (f"r{insn.dst} = map_value({name}) + {ref.offset:#x} ll" if ref.offset
                        else f"r{insn.dst} = map_value({name}) ll")
            return f"r{insn.dst} = {name} ll"
        return f"r{insn.dst} = {name} + {ref.offset:#x} ll"
    return format_fields(op, insn.dst, insn.src, insn.off, insn.imm)


def format_insn(insn: Insn, ref: Ref | None = None) -> str:
    """The LLVM text of ``insn``; with ``ref``, its symbolic operand by name.

    >>> from pybpf.isa import Insn
    >>> format_insn(Insn(0xc3, dst=10, src=1, off=-8, imm=0x41))
    'w1 = atomic_fetch_or((u32 *)(r10 - 0x8), w1)'
    """
    if ref is not None:
        return format_ref(insn, ref)
    return FORMATTERS[insn.opcode](insn.dst, insn.src, insn.off, insn.imm)
