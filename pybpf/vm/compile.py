"""Decode a program once into a table of bound handler functions.

`compile_program` turns each instruction into a closure ``h() -> next_pc``
that already holds its decoded operands (register numbers, the widened
immediate, the jump target), so the dispatch loop in `machine` is just
``pc = table[pc]()``: no decoding, no dictionaries and no objects per
executed instruction beyond Python ints. Arithmetic and comparisons are the
expression texts of `pybpf.vm.alu`, inlined into one specialised handler
factory per expression (generated once, cached). The table is indexed by
*slot*, so jump offsets are used as encoded; the second slot of an ``lddw``
holds a handler that faults if a jump lands there.

Everything that needs run-time state (memory, frames, helpers, maps) goes
through the `Machine` passed in; see `pybpf.vm.machine`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import VMFault
from ..isa import (
    END_WIDTHS,
    LDDW,
    SIZE_BYTES,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    Endian,
    Insn,
    JmpOp,
    Mode,
    ProgramSpec,
    PseudoSrc,
    RefKind,
    Size,
    Source,
)
from ..isa.opcodes import CLASS_MASK, MODE_MASK, OP_MASK, SIZE_MASK, SOURCE_MASK
from . import alu

if TYPE_CHECKING:
    from .machine import Machine

Handler = Callable[[], int]
M64 = alu.M64
M32 = alu.M32


class Exit(Exception):
    """Raised by ``exit`` in the outermost frame of a run (or of a callback)."""


class Switch(Exception):
    """Raised when execution moves to another compiled program (tail call, return)."""


class Abort(Exception):
    """The program ends at once with r0 already set (LD_ABS out of bounds)."""


class Reenter(Exception):
    """A helper that runs BPF callbacks (``bpf_loop``) is about to be called: the dispatch
    loop counts the instructions so far first, so the callbacks see the exact count."""


@dataclass(eq=False)
class Compiled:
    """A program decoded for the VM: handlers and texts by slot."""

    program: ProgramSpec
    insns: list[Insn]
    handlers: list[Handler] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    slot_insn: list[int] = field(default_factory=list)
    nslots: int = 0
    fast: list[Handler] | None = None
    heat: int = 0
    #: the most instructions one call of a fused block runs (a loop: one round)
    block_max: int = 1

    def target_ok(self, target: int) -> bool:
        """Whether ``target`` is a slot of this program."""
        return 0 <= target < self.nslots


def insn_text(insn: Insn, ref: Any = None) -> str:
    """The instruction in the LLVM syntax with helper calls by name (`pybpf.asm.readable`),
    or its raw fields."""
    from ..asm import readable  # lazy: only a fault's message prints an insn
    if readable is not None:
        try:
            return str(readable(insn, ref))
        except Exception:  # noqa: BLE001 - a printer bug must not hide the VM's answer
            pass
    return (f"opcode {insn.opcode:#04x} dst r{insn.dst} src r{insn.src} off {insn.off} "
            f"imm {insn.imm}")


# -- generated handler factories ----------------------------------------------------------
_FACTORIES: dict[tuple[str, str], Callable[..., Handler]] = {}

_TEMPLATES = {
    "alu_x": ("R, d, s, nx", "    a = R[d]; b = R[s]\n    R[d] = {expr}\n    return nx"),
    "alu_k": ("R, d, b, nx", "    a = R[d]\n    R[d] = {expr}\n    return nx"),
    "jmp_x": ("R, d, s, t, nx", "    a = R[d]; b = R[s]\n    return t if {expr} else nx"),
    "jmp_k": ("R, d, b, t, nx", "    a = R[d]\n    return t if {expr} else nx"),
    "jmp32_x": ("R, d, s, t, nx",
                "    a = R[d] & M32; b = R[s] & M32\n    return t if {expr} else nx"),
    "jmp32_k": ("R, d, b, t, nx", "    a = R[d] & M32\n    return t if {expr} else nx"),
}


def _factory(kind: str, expr: str) -> Callable[..., Handler]:
    key = (kind, expr)
    fac = _FACTORIES.get(key)
    if fac is None:
        params, body = _TEMPLATES[kind]
        src = f"def make({params}):\n  def h():\n  {body.format(expr=expr).replace(chr(10), chr(10) + '  ')}\n  return h\n"
        ns: dict[str, Any] = dict(alu.NAMESPACE)
        exec(compile(src, f"<pybpf.vm {kind}: {expr}>", "exec"), ns)  # noqa: S102 - own tables
        fac = ns["make"]
        _FACTORIES[key] = fac
    return fac


# -- per-class compilers ------------------------------------------------------------------
def _alu(m: Machine, insn: Insn, slot: int) -> Handler:
    R = m.R
    op = insn.opcode & OP_MASK
    is64 = insn.opcode & CLASS_MASK == Class.ALU64
    x = insn.opcode & SOURCE_MASK == Source.X
    d, s, nx = insn.dst, insn.src, slot + 1
    if op == AluOp.END:
        if insn.imm not in END_WIDTHS:
            return _bad(m, slot, f"byte swap width must be 16, 32 or 64, not {insn.imm}")
        swap = bool(is64 or x == bool(Endian.TO_BE))
        return _factory("alu_k", alu.END_EXPR[(swap, insn.imm)])(R, d, 0, nx)
    try:
        movsx = insn.off if op == AluOp.MOV and x and insn.off else 0
        signed = op in (AluOp.DIV, AluOp.MOD) and insn.off == 1
        if op in (AluOp.DIV, AluOp.MOD) and insn.off not in (0, 1):
            raise KeyError(insn.off)
        expr = alu.alu_expression(op, is64=is64, signed=signed, movsx=movsx)
    except (KeyError, ValueError):
        return _bad(m, slot, "unknown or malformed arithmetic instruction")
    if op == AluOp.NEG:
        return _factory("alu_k", expr)(R, d, 0, nx)
    if x:
        return _factory("alu_x", expr)(R, d, s, nx)
    return _factory("alu_k", expr)(R, d, alu.widen_imm(insn.imm, is64=is64), nx)


def _jmp(m: Machine, insn: Insn, slot: int, cp: Compiled) -> Handler:
    R = m.R
    op = insn.opcode & OP_MASK
    is64 = insn.opcode & CLASS_MASK == Class.JMP
    x = insn.opcode & SOURCE_MASK == Source.X
    nx = slot + 1
    if op == JmpOp.JA:
        t = slot + 1 + (insn.off if is64 else insn.imm)
        if not cp.target_ok(t):
            return _bad(m, slot, f"jump target {t} is outside the program (0..{cp.nslots - 1})")
        return lambda: t
    if op == JmpOp.EXIT and is64:
        return m.make_exit()
    if op == JmpOp.CALL and is64:
        if x:
            return m.make_callx(insn.dst, nx, cp)
        if insn.src == CallSrc.LOCAL:
            if not cp.target_ok(slot + 1 + insn.imm):
                return _bad(m, slot, f"call target {slot + 1 + insn.imm} is outside the program")
            return m.make_local_call(slot + 1 + insn.imm, nx)
        if insn.src == CallSrc.HELPER:
            return m.make_helper_call(insn.imm, nx)
        return _bad(m, slot, "kfunc calls cannot run in the VM (no kernel functions here)")
    t = slot + 1 + insn.off
    if not cp.target_ok(t):
        return _bad(m, slot, f"jump target {t} is outside the program (0..{cp.nslots - 1})")
    if op == JmpOp.JCOND and is64:
        return m.make_may_goto(t, nx)
    table = alu.JMP64_COND if is64 else alu.JMP32_COND
    if op not in table:
        return _bad(m, slot, "unknown jump operation")
    kind = ("jmp" if is64 else "jmp32") + ("_x" if x else "_k")
    b = insn.src if x else alu.widen_imm(insn.imm, is64=is64)
    return _factory(kind, table[op])(R, insn.dst, b, t, nx)


def _ldx(m: Machine, insn: Insn, slot: int) -> Handler:
    R, load = m.R, m.mem.load
    d, s, off, nx = insn.dst, insn.src, insn.off, slot + 1
    n = SIZE_BYTES[Size(insn.opcode & SIZE_MASK)]
    mode = insn.opcode & MODE_MASK
    if mode == Mode.MEM:
        def h() -> int:
            R[d] = load((R[s] + off) & M64, n)
            return nx
        return h
    if mode == Mode.MEMSX and n < 8:
        sb = 1 << (8 * n - 1)

        def hsx() -> int:
            R[d] = ((load((R[s] + off) & M64, n) ^ sb) - sb) & M64
            return nx
        return hsx
    return _bad(m, slot, "unknown LDX mode")


def _st(m: Machine, insn: Insn, slot: int) -> Handler:
    R, store = m.R, m.mem.store
    d, off, nx = insn.dst, insn.off, slot + 1
    n = SIZE_BYTES[Size(insn.opcode & SIZE_MASK)]
    if insn.opcode & MODE_MASK != Mode.MEM:
        return _bad(m, slot, "unknown ST mode")
    v = insn.imm & M64

    def h() -> int:
        store((R[d] + off) & M64, n, v)
        return nx
    return h


def _stx(m: Machine, insn: Insn, slot: int) -> Handler:
    R, store = m.R, m.mem.store
    d, s, off, nx = insn.dst, insn.src, insn.off, slot + 1
    n = SIZE_BYTES[Size(insn.opcode & SIZE_MASK)]
    mode = insn.opcode & MODE_MASK
    if mode == Mode.MEM:
        def h() -> int:
            store((R[d] + off) & M64, n, R[s])
            return nx
        return h
    if mode == Mode.ATOMIC:
        return _atomic(m, insn, slot, n)
    return _bad(m, slot, "unknown STX mode")


#: read-modify-write atomics: the new value over the old (``a``) and the source (``b``)
ATOMIC_EXPR = {AtomicOp.ADD: "a + b", AtomicOp.OR: "a | b", AtomicOp.AND: "a & b",
                AtomicOp.XOR: "a ^ b"}


def _atomic(m: Machine, insn: Insn, slot: int, n: int) -> Handler:
    R, load, store = m.R, m.mem.load, m.mem.store
    d, s, off, nx = insn.dst, insn.src, insn.off, slot + 1
    try:
        aop = AtomicOp(insn.imm & 0xFFFFFFFF)
    except ValueError:
        return _bad(m, slot, f"unknown atomic operation imm={insn.imm & 0xFFFFFFFF:#x}")
    mask = (1 << (8 * n)) - 1
    if aop == AtomicOp.LOAD_ACQ:
        def acq() -> int:
            R[d] = load((R[s] + off) & M64, n)
            return nx
        return acq
    if aop == AtomicOp.STORE_REL:
        def rel() -> int:
            store((R[d] + off) & M64, n, R[s])
            return nx
        return rel
    if n not in (4, 8):
        return _bad(m, slot, "atomic read-modify-write needs size W or DW")
    if aop == AtomicOp.XCHG:
        def xchg() -> int:
            a = (R[d] + off) & M64
            old = load(a, n)
            store(a, n, R[s])
            R[s] = old
            return nx
        return xchg
    if aop == AtomicOp.CMPXCHG:
        def cmpxchg() -> int:
            a = (R[d] + off) & M64
            old = load(a, n)
            if old == R[0] & mask:
                store(a, n, R[s])
            R[0] = old
            return nx
        return cmpxchg
    fn = alu.compile_expression(ATOMIC_EXPR[AtomicOp(aop & ~1)])
    fetch = aop.fetches

    def rmw() -> int:
        a = (R[d] + off) & M64
        old = load(a, n)
        store(a, n, fn(old, R[s]) & mask)
        if fetch:
            R[s] = old
        return nx
    return rmw


def _ld(m: Machine, insn: Insn, slot: int, cp: Compiled) -> Handler:
    R, nx = m.R, slot + 2
    d = insn.dst
    mode = insn.opcode & MODE_MASK
    if insn.opcode == LDDW:
        ref = cp.program.refs.get(cp.slot_insn[slot])
        src = insn.src
        if src == PseudoSrc.IMM and (ref is None or ref.kind is RefKind.LABEL):
            v = insn.imm & M64

            def lddw() -> int:
                R[d] = v
                return nx
            return lddw
        if src == PseudoSrc.FUNC:
            if not cp.target_ok(slot + 1 + insn.imm):
                return _bad(m, slot, "function address outside the program")
            return m.make_func_address(d, slot + 1 + insn.imm, cp, nx)
        if src in (PseudoSrc.MAP_FD, PseudoSrc.MAP_IDX, PseudoSrc.MAP_VALUE,
                   PseudoSrc.MAP_IDX_VALUE) or (ref is not None and ref.kind in
                                                (RefKind.MAP, RefKind.GLOBAL)):
            value = src in (PseudoSrc.MAP_VALUE, PseudoSrc.MAP_IDX_VALUE) or (
                ref is not None and ref.kind is RefKind.GLOBAL)
            key: object = ref.name if ref is not None else insn.imm & M32
            extra = ref.offset if ref is not None and value else (insn.imm >> 32) & M32
            return m.make_map_address(d, key, value, extra, nx, slot)
        return _bad(m, slot, f"lddw with pseudo source {src} (BTF ids) cannot run in the VM")
    if mode in (Mode.ABS, Mode.IND):
        n = SIZE_BYTES[Size(insn.opcode & SIZE_MASK)]
        return m.make_ld_packet(n, insn.imm, insn.src if mode == Mode.IND else None, slot + 1)
    return _bad(m, slot, "unknown LD mode")


def _bad(m: Machine, slot: int, why: str) -> Handler:
    def h() -> int:
        raise VMFault(why)
    return h


def compile_program(m: Machine, program: ProgramSpec) -> Compiled:
    """Decode ``program`` into handlers bound to machine ``m``.

    >>> from pybpf.vm import VM
    >>> from pybpf.isa import Insn, ProgramSpec
    >>> VM().run(ProgramSpec([Insn(0xb7, imm=7), Insn(0x95)])).r0
    7
    """
    insns = program.resolve()
    cp = Compiled(program, insns)
    for i, insn in enumerate(insns):
        cp.slot_insn.append(i)
        if insn.opcode == LDDW:
            cp.slot_insn.append(i)
    cp.nslots = len(cp.slot_insn)
    for insn in insns:
        slot = len(cp.handlers)
        cls = insn.opcode & CLASS_MASK
        if cls in (Class.ALU, Class.ALU64):
            h = _alu(m, insn, slot)
        elif cls in (Class.JMP, Class.JMP32):
            h = _jmp(m, insn, slot, cp)
        elif cls == Class.LDX:
            h = _ldx(m, insn, slot)
        elif cls == Class.ST:
            h = _st(m, insn, slot)
        elif cls == Class.STX:
            h = _stx(m, insn, slot)
        else:
            h = _ld(m, insn, slot, cp)
        ref = cp.program.refs.get(cp.slot_insn[slot])
        text = insn_text(insn, ref if ref is not None and ref.kind is not RefKind.LABEL else None)
        cp.handlers.append(h)
        cp.texts.append(text)
        if insn.opcode == LDDW:
            cp.handlers.append(_bad(m, slot + 1, "jump into the middle of an lddw"))
            cp.texts.append(f"(second half of {text})")
    # falling off the end is a fault, not an IndexError
    end = len(cp.handlers)
    cp.handlers.append(_bad(m, end, "execution fell off the end of the program (no exit)"))
    cp.texts.append("(end of program)")
    return cp
