"""Generate random programs that the kernel verifier accepts, for VM-vs-kernel testing.

A generated program follows the VM/oracle convention (r1 = mem, r2 = its
length) and is built from self-contained *blocks* so every jump stays inside
its block: ALU chains in both widths (all operations, register and immediate
forms, sign-extending moves, byte swaps, negation), forward conditional jumps
(JMP and JMP32, some over a ``gotol``), stack stores and loads, packet
(``mem``) loads and stores, atomics on the stack (every read-modify-write,
xchg, cmpxchg, in 32 and 64 bits, load-acquire/store-release), bpf-to-bpf
calls to generated subprograms, counter loops and loops guarded by
``may_goto``, and ``bpf_map_lookup_elem``/``bpf_map_update_elem`` on an
array map ``arr`` followed by loads, stores and atomics on the value.

It keeps what the verifier checks true by construction: pointers never reach
arithmetic (the packet pointer lives in r6, r1 becomes a scalar), only
initialised registers are read (r1-r5 are dead after a call), stack slots are
zeroed before use and accessed aligned, packet accesses stay below
``len(mem)``, shifts by an immediate stay below the width and no division by
an immediate zero. Anything random (helpers such as ``ktime_get_ns``) is left
out, so the VM and the kernel must agree exactly on r0 and on ``mem``.

``draw(lo, hi)`` supplies every choice (inclusive bounds): hypothesis'
``data.draw(st.integers(lo, hi))`` in tests (so failures shrink), or
``random.Random.randint`` in the fuzz campaign.

>>> import random
>>> prog = generate(random.Random(1).randint, mem_size=16)
>>> prog.insns[-1].opcode == EXIT
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ..isa import (
    END_WIDTHS,
    LDDW,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    Endian,
    Insn,
    JmpOp,
    MapSpec,
    Mode,
    ProgramSpec,
    PseudoSrc,
    Ref,
    Size,
    Source,
    helper_id,
)
from ..isa.opcodes import EXIT, GOTOL, JA, MAY_GOTO

Draw = Callable[[int, int], int]
T = TypeVar("T")

PKT = 6  # the packet (mem) pointer, callee-saved so calls keep it
SCALARS = (0, 1, 2, 3, 4, 5, 7, 8, 9)
CALLEE_SCALARS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
STACK_SLOTS = 8  # 64 bytes below r10, zeroed in each frame's prologue
INTERESTING = (0, 1, -1, 2, 7, 31, 32, 63, 64, 0x7FFFFFFF, -0x80000000, 0xFFFF, 0x80, -2)
ALU_OPS = [op for op in AluOp if op not in (AluOp.END, AluOp.NEG)]
COND_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE,
            JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE]
RMW = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR, AtomicOp.FETCH_ADD,
       AtomicOp.FETCH_OR, AtomicOp.FETCH_AND, AtomicOp.FETCH_XOR, AtomicOp.XCHG,
       AtomicOp.CMPXCHG]
SIZES = [Size.B, Size.H, Size.W, Size.DW]
ARR = "arr"  # the array map generated programs use (4 x 32-byte values)
ARR_VALUE = 32
KEY_OFF = -8 * STACK_SLOTS - 8  # where map keys are written, below the zeroed slots


class _Gen:
    def __init__(self, draw: Draw, mem_size: int, *, subprogs: bool = True,
                 loops: bool = True, helpers: bool = True) -> None:
        self.helpers = helpers
        self.draw = draw
        self.mem_size = mem_size
        self.allow_subprogs = subprogs
        self.allow_loops = loops
        self.subprogs: list[list[Insn]] = []
        self.in_main = True

    # -- choices ------------------------------------------------------------------------
    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.draw(0, len(seq) - 1)]

    def imm(self) -> int:
        if self.draw(0, 2) == 0:
            return self.pick(INTERESTING)
        return self.draw(-(1 << 31), (1 << 31) - 1)

    # -- single instructions --------------------------------------------------------------
    def alu(self, regs: Sequence[int]) -> list[Insn]:
        is64 = self.draw(0, 1) == 1
        cls = Class.ALU64 if is64 else Class.ALU
        dst = self.pick(regs)
        kind = self.draw(0, 9)
        if kind == 0:
            return [Insn(cls | AluOp.NEG, dst=dst)]
        if kind == 1:
            width = self.pick(END_WIDTHS)
            if is64:
                return [Insn(Class.ALU64 | AluOp.END, dst=dst, imm=width)]
            return [Insn(Class.ALU | AluOp.END | self.pick(list(Endian)), dst=dst, imm=width)]
        if kind == 2:
            widths = (8, 16, 32) if is64 else (8, 16)
            return [Insn(cls | AluOp.MOV | Source.X, dst=dst, src=self.pick(regs),
                         off=self.pick(widths))]
        if kind == 3:  # a fresh 64-bit constant
            return [Insn(LDDW, dst=dst, imm=self.draw(0, (1 << 64) - 1))]
        op = self.pick(ALU_OPS)
        off = self.draw(0, 1) if op in (AluOp.DIV, AluOp.MOD) else 0
        if self.draw(0, 1):
            return [Insn(cls | op | Source.X, dst=dst, src=self.pick(regs), off=off)]
        imm = self.imm()
        if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH):
            imm = self.draw(0, 63 if is64 else 31)
        elif op in (AluOp.DIV, AluOp.MOD) and imm == 0:
            imm = 3
        return [Insn(cls | op | Source.K, dst=dst, imm=imm, off=off)]

    def stack_store(self, regs: Sequence[int]) -> list[Insn]:
        size = self.pick(SIZES)
        n = size.nbytes
        off = -8 * self.draw(1, STACK_SLOTS) + n * self.draw(0, 8 // n - 1)
        if self.draw(0, 1):
            return [Insn(Class.STX | size | Mode.MEM, dst=10, src=self.pick(regs), off=off)]
        return [Insn(Class.ST | size | Mode.MEM, dst=10, off=off, imm=self.imm())]

    def stack_load(self, regs: Sequence[int]) -> list[Insn]:
        size = self.pick(SIZES)
        n = size.nbytes
        off = -8 * self.draw(1, STACK_SLOTS) + n * self.draw(0, 8 // n - 1)
        mode = Mode.MEMSX if n < 8 and self.draw(0, 3) == 0 else Mode.MEM
        return [Insn(Class.LDX | size | mode, dst=self.pick(regs), src=10, off=off)]

    def packet(self, regs: Sequence[int]) -> list[Insn]:
        size = self.pick([s for s in SIZES if s.nbytes <= self.mem_size])
        off = self.draw(0, self.mem_size - size.nbytes)
        if self.draw(0, 1):
            mode = Mode.MEMSX if size.nbytes < 8 and self.draw(0, 3) == 0 else Mode.MEM
            return [Insn(Class.LDX | size | mode, dst=self.pick(regs), src=PKT, off=off)]
        return [Insn(Class.STX | size | Mode.MEM, dst=PKT, src=self.pick(regs), off=off)]

    def atomic(self, regs: Sequence[int]) -> list[Insn]:
        size = self.pick([Size.W, Size.DW])
        n = size.nbytes
        off = -8 * self.draw(1, STACK_SLOTS) + n * self.draw(0, 8 // n - 1)
        kind = self.draw(0, 5)
        if kind == 0:  # load-acquire / store-release, any size
            size = self.pick(SIZES)
            off = -8 * self.draw(1, STACK_SLOTS)
            if self.draw(0, 1):
                return [Insn(Class.STX | size | Mode.ATOMIC, dst=self.pick(regs), src=10, off=off,
                             imm=AtomicOp.LOAD_ACQ)]
            return [Insn(Class.STX | size | Mode.ATOMIC, dst=10, src=self.pick(regs), off=off,
                         imm=AtomicOp.STORE_REL)]
        return [Insn(Class.STX | size | Mode.ATOMIC, dst=10, src=self.pick(regs), off=off,
                     imm=self.pick(RMW))]

    def straight(self, regs: Sequence[int], n: int, *, memory: bool = True) -> list[Insn]:
        out: list[Insn] = []
        for _ in range(n):
            k = self.draw(0, 9) if memory else 0
            if k <= 4:
                out += self.alu(regs)
            elif k == 5:
                out += self.stack_store(regs)
            elif k == 6:
                out += self.stack_load(regs)
            elif k == 7 and self.mem_size and self.in_main:
                out += self.packet(regs)
            elif k == 8:
                out += self.atomic(regs)
            else:
                out += self.alu(regs)
        return out

    # -- blocks ------------------------------------------------------------------------------
    def branch(self, regs: Sequence[int], memory: bool) -> list[Insn]:
        body = self.straight(regs, self.draw(1, 4), memory=memory)
        cls = Class.JMP if self.draw(0, 1) else Class.JMP32
        op = self.pick(COND_OPS)
        skip = sum(i.slots for i in body)
        long = self.draw(0, 3) == 0  # "if cond goto +1; gotol +len(body)": gotol in play
        if long:
            body = [Insn(GOTOL, imm=skip)] + body
            skip = 1
        if self.draw(0, 1):
            jump = Insn(cls | op | Source.X, dst=self.pick(regs), src=self.pick(regs), off=skip)
        else:
            jump = Insn(cls | op | Source.K, dst=self.pick(regs), imm=self.imm(), off=skip)
        return [jump] + body

    def loop(self, regs: Sequence[int], memory: bool) -> list[Insn]:
        counter = self.pick([r for r in regs if r != 0])
        body_regs = [r for r in regs if r != counter]
        body = self.straight(body_regs, self.draw(1, 4), memory=memory)
        n = self.draw(1, 6)
        out = [Insn(Class.ALU64 | AluOp.MOV, dst=counter, imm=n)]
        guard = self.draw(0, 1) == 1
        tail = [Insn(Class.ALU64 | AluOp.SUB, dst=counter, imm=1)]
        size = sum(i.slots for i in body) + 2  # body, sub, jne
        if guard:
            size += 1
            tail.append(Insn(Class.JMP | JmpOp.JNE, dst=counter, imm=0, off=-size))
            return out + [Insn(MAY_GOTO, off=size - 1)] + body + tail
        tail.append(Insn(Class.JMP | JmpOp.JNE, dst=counter, imm=0, off=-size))
        return out + body + tail

    def call(self, regs: Sequence[int]) -> list[Insn]:
        if not self.subprogs or (len(self.subprogs) < 3 and self.draw(0, 1) == 0):
            self.subprogs.append(self.subprog())
            idx = len(self.subprogs) - 1  # every subprogram is called at least once
        else:
            idx = self.draw(0, len(self.subprogs) - 1)
        setup = [Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=a, src=self.pick(regs))
                 if self.draw(0, 1) else Insn(Class.ALU64 | AluOp.MOV, dst=a, imm=self.imm())
                 for a in (1, 2, 3, 4, 5)]
        # target is patched in `generate` once subprogram positions are known
        return setup + [Insn(Class.JMP | JmpOp.CALL, src=CallSrc.LOCAL, imm=-(idx + 1))]

    def via_pointer(self, base: int, regs: Sequence[int], size: int, *,
                    atomics: bool) -> list[Insn]:
        """One load, store or atomic at ``[base + off]`` inside ``size`` bytes, aligned."""
        width = self.pick(SIZES)
        n = width.nbytes
        off = n * self.draw(0, size // n - 1)
        k = self.draw(0, 2 if atomics else 1)
        if k == 0:
            return [Insn(Class.LDX | width | Mode.MEM, dst=self.pick(regs), src=base, off=off)]
        if k == 1:
            return [Insn(Class.STX | width | Mode.MEM, dst=base, src=self.pick(regs), off=off)]
        width = self.pick([Size.W, Size.DW])
        n = width.nbytes
        # cmpxchg compares with and writes r0: not when r0 is the base pointer
        ops = [op for op in RMW if op != AtomicOp.CMPXCHG] if base == 0 else RMW
        return [Insn(Class.STX | width | Mode.ATOMIC, dst=base, src=self.pick(regs),
                     off=n * self.draw(0, size // n - 1), imm=self.pick(ops))]

    def map_block(self, regs: Sequence[int]) -> list[Insn]:
        """Look up (or update) an element of the array map ``arr`` and work on its value."""
        key = [Insn(Class.ST | Size.W | Mode.MEM, dst=10, off=KEY_OFF, imm=self.draw(0, 4)),
               Insn(LDDW, dst=1, src=PseudoSrc.MAP_FD, imm=0),
               Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=2, src=10),
               Insn(Class.ALU64 | AluOp.ADD, dst=2, imm=KEY_OFF)]
        if self.draw(0, 2) == 0:  # update from the zeroed-then-written stack area
            return key + [Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=3, src=10),
                          Insn(Class.ALU64 | AluOp.ADD, dst=3, imm=-8 * STACK_SLOTS),
                          Insn(Class.ALU64 | AluOp.MOV, dst=4, imm=self.draw(0, 2)),
                          Insn(Class.JMP | JmpOp.CALL, imm=helper_number("map_update_elem"))]
        others = [r for r in regs if r not in (0, 1, 2, 3, 4, 5)]
        ops: list[Insn] = []
        for _ in range(self.draw(1, 4)):
            ops += self.via_pointer(0, others, ARR_VALUE, atomics=True)
        return key + [Insn(Class.JMP | JmpOp.CALL, imm=helper_number("map_lookup_elem")),
                      Insn(Class.JMP | JmpOp.JEQ, dst=0, imm=0, off=sum(i.slots for i in ops))
                      ] + ops + [Insn(Class.ALU64 | AluOp.MOV, dst=0, imm=self.imm())]

    def subprog(self) -> list[Insn]:
        self.in_main = False
        try:
            return self._subprog()
        finally:
            self.in_main = True

    def _subprog(self) -> list[Insn]:
        regs = CALLEE_SCALARS
        out = zero_stack()
        out += [Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=r, src=1 + (r % 5))
                for r in (0, 6, 7, 8, 9)]
        for _ in range(self.draw(1, 4)):
            if self.draw(0, 3) == 0:
                out += self.branch(regs, True)
            else:
                out += self.straight(regs, self.draw(1, 4), memory=False)
                out += self.stack_store(regs) + self.stack_load(regs)
        return out + fold(regs, stack=True) + [Insn(EXIT)]

    def main(self, nblocks: int) -> list[Insn]:
        # r6 = packet pointer, r1 becomes a scalar; the oracle prologue zeroed r0, r3-r9
        out = [Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=PKT, src=1)] + zero_stack()
        regs = SCALARS
        for r in regs:  # r1 stops being a pointer; the others start from random values
            if r == 2 and self.draw(0, 1):
                continue  # sometimes keep r2 = len(mem)
            out.append(Insn(LDDW, dst=r, imm=self.draw(0, (1 << 64) - 1)) if self.draw(0, 1)
                       else Insn(Class.ALU64 | AluOp.MOV, dst=r, imm=self.imm()))
        for _ in range(nblocks):
            kind = self.draw(0, 9)
            if kind <= 3:
                out += self.straight(regs, self.draw(1, 5))
            elif kind <= 5:
                out += self.branch(regs, True)
            elif kind <= 7 and self.allow_loops:
                out += self.loop(regs, self.draw(0, 1) == 1)
            elif self.allow_subprogs and self.helpers and self.draw(0, 2) == 0:
                out += self.map_block(regs)
                out += [Insn(Class.ALU64 | AluOp.MOV, dst=a, imm=self.imm()) for a in (1, 2, 3, 4, 5)]
            elif self.allow_subprogs:
                out += self.call(regs)
                # r1-r5 are dead after a call: give them values again
                out += [Insn(Class.ALU64 | AluOp.MOV, dst=a, imm=self.imm()) for a in (1, 2, 3, 4, 5)]
            else:
                out += self.straight(regs, 2)
        return out + fold(SCALARS, stack=True) + [Insn(EXIT)]


def fold(regs: Sequence[int], *, stack: bool) -> list[Insn]:
    """Mix every register (and stack slot) into r0, so any difference reaches the result."""
    out: list[Insn] = []
    for r in regs:
        if r == 0:
            continue
        out += [Insn(Class.ALU64 | AluOp.MUL, dst=0, imm=0x9E3779B1),
                Insn(Class.ALU64 | AluOp.ADD | Source.X, dst=0, src=r)]
    if stack:
        tmp = next(r for r in regs if r != 0)
        for k in range(1, STACK_SLOTS + 1):
            out += [Insn(Class.LDX | Size.DW | Mode.MEM, dst=tmp, src=10, off=-8 * k),
                    Insn(Class.ALU64 | AluOp.MUL, dst=0, imm=0x9E3779B1),
                    Insn(Class.ALU64 | AluOp.ADD | Source.X, dst=0, src=tmp)]
    return out


def zero_stack() -> list[Insn]:
    """Stores zeroing the 64 bytes below r10 (the VM zeroes its stack, the kernel does not)."""
    return [Insn(Class.ST | Size.DW | Mode.MEM, dst=10, off=-8 * k, imm=0)
            for k in range(1, STACK_SLOTS + 1)]


def generate(draw: Draw, *, mem_size: int = 32, max_blocks: int = 8, subprogs: bool = True,
             loops: bool = True, helpers: bool = True) -> ProgramSpec:
    """A random verifier-safe program (see the module docstring)."""
    g = _Gen(draw, mem_size, subprogs=subprogs, loops=loops, helpers=helpers)
    main = g.main(draw(1, max_blocks))
    starts = []
    pos = sum(i.slots for i in main)
    for sp in g.subprogs:
        starts.append(pos)
        pos += sum(i.slots for i in sp)
    insns: list[Insn] = []
    refs: dict[int, Ref] = {}
    slot = 0
    for insn in main + [i for sp in g.subprogs for i in sp]:
        if (insn.opcode == Class.JMP | JmpOp.CALL and insn.src == CallSrc.LOCAL) or (
                insn.opcode == LDDW and insn.src == PseudoSrc.FUNC):
            if insn.imm < 0 and slot < starts[0] if starts else False:
                insn = insn.replace(imm=starts[-insn.imm - 1] - slot - 1)
        if insn.opcode == LDDW and insn.src == PseudoSrc.MAP_FD:
            refs[len(insns)] = Ref.map(ARR)
        insns.append(insn)
        slot += insn.slots
    maps = {ARR: MapSpec(ARR, "array", key_size=4, value_size=ARR_VALUE, max_entries=4)}
    return ProgramSpec(insns, refs=refs, maps=maps if refs else {}, name="vmfuzz", prog_type="xdp")


def helper_number(name: str) -> int:
    num = helper_id(name)
    assert num is not None, name
    return num


__all__ = ["JA", "generate", "zero_stack"]
