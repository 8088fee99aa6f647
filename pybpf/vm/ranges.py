r"""Which 64-bit additions, subtractions, multiplications and shifts of a loop cannot wrap.

A fused block that loops on itself (`pybpf.vm.blocks`) masks every 64-bit result with
``& M64``; on Python's integers that mask is a large share of a tight loop's time. This
module finds the operations whose result provably stays in ``[0, 2**64)`` so the mask
can go, by interval analysis over the loop body: each register holds ``[lo, hi]``
(unsigned), the loop head's intervals are the entry's joined with the back edge's
(refined by the loop's condition, widened to ``2**32 - 1`` then ``2**64 - 1`` so the
fixpoint comes in a few rounds).

The entry is an *assumption* the block checks at run time before it takes the unmasked
copy (`Narrowing.guard`): every register the body reads before writing is at most
``2**32 - 1``, and at least 1 where the loop's condition needs it (``r2 != 0`` of a
count-down loop); otherwise the block runs its masked copy.

>>> from pybpf.asm import assemble
>>> body = assemble("r3 = r0\nr3 *= 7\nw0 += w3\nr0 += r2\nr2 -= 1\nif r2 != 0 goto -6")
>>> n = narrow_loop(list(enumerate(body.insns)))
>>> n.guard, sorted(n.exact)
('r0 <= 4294967295 and 1 <= r2 <= 4294967295', [3, 4])
"""

from __future__ import annotations

from dataclasses import dataclass

from ..isa import LDDW, SIZE_BYTES, AluOp, Class, Insn, JmpOp, Mode, PseudoSrc, Size, Source
from ..isa.opcodes import CLASS_MASK, MODE_MASK, OP_MASK, SIZE_MASK, SOURCE_MASK
from .alu import M32, M64

Interval = tuple[int, int]
ANY: Interval = (0, M64)
#: the 64-bit operations whose mask `narrow_loop` can drop
EXACT_OPS = (AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.LSH)


@dataclass(frozen=True)
class Narrowing:
    """``exact``: slots whose 64-bit result never wraps while ``guard`` (a Python condition
    over the registers at the loop's entry) held at its entry."""

    guard: str
    exact: frozenset[int]


def _operand(insn: Insn, regs: dict[int, Interval]) -> Interval:
    if insn.opcode & SOURCE_MASK == Source.X:
        return regs.get(insn.src, ANY)
    v = insn.imm & M64
    return (v, v)


def _alu64(op: int, a: Interval, b: Interval, x: bool, insn: Insn) -> tuple[Interval, bool]:
    """(the result's interval, whether it is exact: computed without wrapping)."""
    lo = hi = -1
    if op == AluOp.MOV:
        return (b if not (x and insn.off) else ANY), True
    if op == AluOp.ADD:
        lo, hi = a[0] + b[0], a[1] + b[1]
    elif op == AluOp.SUB:
        lo, hi = a[0] - b[1], a[1] - b[0]
    elif op == AluOp.MUL:
        lo, hi = a[0] * b[0], a[1] * b[1]
    elif op == AluOp.LSH and not x:
        k = insn.imm & 63
        lo, hi = a[0] << k, a[1] << k
    elif op == AluOp.RSH:
        k = insn.imm & 63 if not x else 0
        return (a[0] >> k, a[1] >> k) if not x else (0, a[1]), True
    elif op == AluOp.AND:
        return (0, min(a[1], b[1])), True
    elif op in (AluOp.OR, AluOp.XOR):
        top = (1 << max(a[1].bit_length(), b[1].bit_length())) - 1
        return (a[0] if op == AluOp.OR else 0, top), True
    elif op in (AluOp.DIV, AluOp.MOD) and insn.off == 0:
        return (0, a[1]), True
    else:
        return ANY, False
    if lo < 0 or hi > M64:
        return ANY, False
    return (lo, hi), True


def _step(slot: int, insn: Insn, regs: dict[int, Interval], exact: set[int]) -> bool:
    """Apply ``insn`` to ``regs``; False when the analysis does not know what it does."""
    cls = insn.opcode & CLASS_MASK
    if cls == Class.ALU64:
        op = insn.opcode & OP_MASK
        x = insn.opcode & SOURCE_MASK == Source.X
        res, ok = _alu64(op, regs.get(insn.dst, ANY), _operand(insn, regs), x, insn)
        regs[insn.dst] = res
        if ok and op in EXACT_OPS:
            exact.add(slot)
        return True
    if cls == Class.ALU:
        op = insn.opcode & OP_MASK
        if op == AluOp.MOV and insn.opcode & SOURCE_MASK == Source.K and not insn.off:
            regs[insn.dst] = (insn.imm & M32, insn.imm & M32)
        else:
            regs[insn.dst] = (0, M32) if op != AluOp.END else ANY
        return True
    if cls == Class.LDX:
        mode = insn.opcode & MODE_MASK
        n = SIZE_BYTES[Size(insn.opcode & SIZE_MASK)]
        regs[insn.dst] = (0, (1 << (8 * n)) - 1) if mode == Mode.MEM else ANY
        return mode in (Mode.MEM, Mode.MEMSX)
    if insn.opcode == LDDW:
        v = insn.imm & M64
        regs[insn.dst] = (v, v) if insn.src == PseudoSrc.IMM else ANY
        return True
    if cls in (Class.ST, Class.STX):
        mode = insn.opcode & MODE_MASK
        if mode == Mode.ATOMIC:
            regs[insn.src] = ANY
            regs[0] = ANY  # cmpxchg
        return mode in (Mode.MEM, Mode.ATOMIC)
    return False


def _refine(cond: Insn, regs: dict[int, Interval]) -> None:
    """``regs`` where the loop's 64-bit condition against an immediate held."""
    if cond.opcode & CLASS_MASK != Class.JMP or cond.opcode & SOURCE_MASK != Source.K:
        return
    op, k, d = cond.opcode & OP_MASK, cond.imm & M64, cond.dst
    lo, hi = regs.get(d, ANY)
    if op == JmpOp.JNE and k == 0 or op == JmpOp.JGT:
        lo = max(lo, k + (op == JmpOp.JGT or k == 0 and op == JmpOp.JNE))
    elif op == JmpOp.JGE:
        lo = max(lo, k)
    elif op == JmpOp.JLT:
        hi = min(hi, k - 1)
    elif op == JmpOp.JLE:
        hi = min(hi, k)
    if lo <= hi:
        regs[d] = (lo, hi)


def _widen(old: Interval, new: Interval) -> Interval:
    lo = old[0] if new[0] >= old[0] else 0
    hi = old[1] if new[1] <= old[1] else (M32 if new[1] <= M32 else M64)
    return lo, hi


def _live_in(body: list[tuple[int, Insn]]) -> list[int]:
    """Registers an ALU operation or the loop's condition reads before the body writes them."""
    written: set[int] = set()
    live: list[int] = []
    for _slot, insn in body:
        cls = insn.opcode & CLASS_MASK
        reads: list[int] = []
        if cls in (Class.ALU, Class.ALU64, Class.JMP, Class.JMP32):
            op = insn.opcode & OP_MASK
            alu = cls in (Class.ALU, Class.ALU64)
            reads = [] if alu and op == AluOp.MOV else [insn.dst]
            if insn.opcode & SOURCE_MASK == Source.X and not (
                    alu and op in (AluOp.END, AluOp.NEG)):  # END's X bit is its byte order
                reads.append(insn.src)
        for r in reads:
            if r not in written and r not in live:
                live.append(r)
        if cls in (Class.ALU, Class.ALU64, Class.LDX):
            written.add(insn.dst)
        elif cls == Class.STX and insn.opcode & MODE_MASK == Mode.ATOMIC:
            written.update((insn.src, 0))
    return live


def narrow_loop(body: list[tuple[int, Insn]]) -> Narrowing | None:
    """The narrowing of a loop ``body`` ((slot, insn) pairs, the last one the conditional or
    unconditional jump back to the first), or None when nothing gets exact."""
    cond = body[-1][1]
    head: dict[int, Interval] = {}
    for r in _live_in(body):
        probe = {r: (0, M32)}
        _refine(cond, probe)
        head[r] = probe[r]
    entry = dict(head)
    for _ in range(8):
        regs = dict(head)
        exact: set[int] = set()
        for slot, insn in body[:-1]:
            if not _step(slot, insn, regs, exact):
                return None
        _refine(cond, regs)
        nxt = {r: _widen(head.get(r, ANY), regs.get(r, ANY)) for r in set(head) | set(regs)}
        if nxt == head:
            break
        head = nxt
    else:
        return None
    if not exact:
        return None
    guard = " and ".join(f"{lo} <= r{r} <= {hi}" if lo else f"r{r} <= {hi}"
                         for r, (lo, hi) in entry.items())
    return Narrowing(guard or "True", frozenset(exact))
