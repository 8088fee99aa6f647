"""Memory cells: a counted loop's fixed-address memory held in locals while it runs.

A fused block that loops on itself (`pybpf.vm.blocks`) checks its loads, stores and
atomics at entry when their base registers never change in it ("hoisted" accesses):
each then reads or writes the same bytes in every round. When *all* of a counted loop's
accesses are hoisted, its body has nothing else that can fault, and the accesses' byte
ranges are either the same (same base register, offset and size) or disjoint, each
distinct range can live in a local for the whole loop (scalar replacement): read once
before the first round, written back once after the last. A load is then a read of that
local, a store an assignment to it, an atomic add/or/and/xor an assignment of the new
value. The cells are named ``r16``, ``r17``... so `pybpf.vm.fold` folds them like
registers: a cell only stored to is computed once after the loop, a value loaded from a
cell that nothing in the loop writes is the same in every round.

The disjointness is a check at the loop's entry (distinct cells in different buffers,
or non-overlapping offsets); when it fails, the loop runs with its accesses as before.
Nothing a program can see changes: no fault can happen inside such a loop, and after it
memory holds what the last round's stores left (each cell's last value, packed as that
access packs it).

>>> from pybpf.asm import assemble
>>> from pybpf.vm import VM
>>> prog = assemble('''
...     r2 = 100
... loop:
...     r3 = *(u32 *)(r1 + 0)
...     r3 += r2
...     *(u64 *)(r10 - 8) = r3
...     lock *(u64 *)(r10 - 16) += r3
...     r2 -= 1
...     if r2 != 0 goto loop
...     r0 = *(u64 *)(r10 - 16)
...     exit''')
>>> vm = VM()
>>> vm.machine.hot = 0  # fused from the first instruction
>>> vm.run(prog, mem=bytes([1, 0, 0, 0])).r0, VM(fuse=False).run(prog, mem=bytes([1, 0, 0, 0])).r0
(5150, 5150)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..isa import AtomicOp, Class, Insn, Mode
from ..isa.opcodes import CLASS_MASK, MODE_MASK
from .memory import PACKERS, UNPACKERS

#: the first cell's number (registers are r0..r10)
FIRST_CELL = 16
#: at most this many distinct cells (the entry check compares every pair)
MAX_CELLS = 8
#: read-modify-write atomics a cell takes: operation -> Python operator
_RMW = {AtomicOp.ADD: "+", AtomicOp.OR: "|", AtomicOp.AND: "&", AtomicOp.XOR: "^"}


@dataclass
class Cells:
    """How a loop's accesses become cells: the entry condition (the cells do not
    overlap), the lines reading each cell before the loop, each access's lines by slot,
    and the lines writing the stored-to cells back after it."""

    cond: str
    pre: list[str] = field(default_factory=list)
    lines: dict[int, list[str]] = field(default_factory=dict)
    post: list[str] = field(default_factory=list)


def promote(order: list[tuple[int, Insn]], hoisted: dict[int, tuple[int, int, int, bool]],
            ns: dict[str, Any]) -> Cells | None:
    """The cells of a loop whose accesses are all ``hoisted`` (slot -> (base register,
    offset, size, writes); their region bytes in ``d<slot>``, offsets in ``o<slot>``),
    ``order`` its (slot, insn) in order; None when an access is not one a cell can take
    (only loads, sign-extending loads, stores and add/or/and/xor atomics can) or there are
    too many. ``ns`` receives the packers and unpackers the lines use."""
    keys: dict[tuple[int, int, int], int] = {}  # (base, off, size) -> first slot
    for slot, _insn in order:
        site = hoisted.get(slot)
        if site is not None:
            keys.setdefault(site[:3], slot)
    if not keys or len(keys) > MAX_CELLS:
        return None
    cell = {key: FIRST_CELL + i for i, key in enumerate(keys)}
    temp = FIRST_CELL + len(keys)
    out = Cells("")
    stored: set[tuple[int, int, int]] = set()
    for slot, insn in order:
        site = hoisted.get(slot)
        if site is None:
            continue
        key = site[:3]
        lines = _lines(insn, cell[key], site[2], temp)
        if lines is None:
            return None
        if site[3]:
            stored.add(key)
        out.lines[slot] = lines
    firsts = list(keys.items())
    conds = []
    if len(firsts) > 1:
        # distinct cells must not share a byte: a buffer other than a bytearray (a view)
        # could alias another one unseen, so only bytearrays are compared
        conds += [f"d{s}.__class__ is bytearray" for _key, s in firsts]
    for i, ((_bi, _oi, ni), si) in enumerate(firsts):
        for (_bj, _oj, nj), sj in firsts[i + 1:]:
            conds.append(f"(d{si} is not d{sj} or o{si} + {ni} <= o{sj} or "
                         f"o{sj} + {nj} <= o{si})")
    out.cond = " and ".join(conds) or "True"
    for key, s in firsts:
        n = key[2]
        ns[f"U{n}"], ns[f"P{n}"] = UNPACKERS[n], PACKERS[n]
        out.pre.append(f"r{cell[key]} = U{n}(d{s}, o{s})[0]")
        if key in stored:
            out.post.append(f"P{n}(d{s}, o{s}, r{cell[key]})")
    return out


def _lines(insn: Insn, c: int, n: int, temp: int) -> list[str] | None:
    """The access ``insn`` of ``n`` bytes over cell ``r<c>`` (a fetching atomic keeps the
    old value in ``r<temp>``), or None."""
    cls, mode = insn.opcode & CLASS_MASK, insn.opcode & MODE_MASK
    mask = (1 << (8 * n)) - 1
    if cls == Class.LDX and mode == Mode.MEM:
        return [f"r{insn.dst} = r{c}"]
    if cls == Class.LDX and mode == Mode.MEMSX and n < 8:  # noqa: PLR2004
        sb = 1 << (8 * n - 1)
        return [f"r{insn.dst} = ((r{c} ^ {sb}) - {sb}) & M64"]
    if cls == Class.ST and mode == Mode.MEM:
        return [f"r{c} = {insn.imm & mask}"]
    if cls == Class.STX and mode == Mode.MEM:
        return [f"r{c} = r{insn.src}" if n == 8 else f"r{c} = r{insn.src} & {mask}"]  # noqa: PLR2004
    if cls == Class.STX and mode == Mode.ATOMIC and n in (4, 8):
        try:
            aop = AtomicOp(insn.imm & 0xFFFFFFFF)
        except ValueError:
            return None
        op = _RMW.get(AtomicOp(aop & ~1)) if aop not in (
            AtomicOp.XCHG, AtomicOp.CMPXCHG, AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL) else None
        if op is None:
            return None
        s = insn.src
        if not aop.fetches:
            return [f"r{c} = (r{c} {op} r{s}) & {mask}"]
        return [f"r{temp} = r{c}", f"r{c} = (r{temp} {op} r{s}) & {mask}", f"r{s} = r{temp}"]
    return None
