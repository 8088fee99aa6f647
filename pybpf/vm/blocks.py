"""Fuse straight-line runs of instructions into one generated Python function each.

The per-instruction table of `pybpf.vm.compile` costs one Python call per
executed instruction. For untraced runs the VM uses a second table whose
entries at *block leaders* (the entry, every jump/call target, every
instruction after a jump, call or exit) are generated functions executing
the whole basic block inline: arithmetic as the `pybpf.vm.alu` expression
text, loads and stores as calls of the checked `Memory`, and anything else
(atomics, map/func ``lddw``) through its own per-instruction handler. A block
ends with its control transfer (``return t if cond else nx``, or the call of
the jump/call/exit handler), so a tight loop body costs one Python call per
iteration instead of one per instruction.

Each generated block adds its length minus one to ``machine.extra`` (the
dispatch loop counts the calls), so instruction counts stay exact. Before an
instruction that can fault, the block records its slot in a local, and a fault
is re-raised with that slot in ``machine.fault_pc`` so the error names the
instruction, not the block.

Entries of non-leader slots keep the per-instruction handler, so any pc (a
computed ``callx`` target) still runs correctly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import VMFault
from ..isa import (
    LDDW,
    SIZE_BYTES,
    STACK_SIZE,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    Endian,
    Insn,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)
from ..isa.opcodes import CLASS_MASK, MODE_MASK, OP_MASK, SIZE_MASK, SOURCE_MASK
from . import alu
from .compile import ATOMIC_EXPR
from .cells import promote
from .fold import fold, pure
from .memory import GUARD, PACKERS, UNPACKERS, Region
from .ranges import narrow_loop

if TYPE_CHECKING:
    from .compile import Compiled, Handler
    from .machine import Machine


def _targets(insn: Insn, slot: int) -> list[int]:
    cls = insn.opcode & CLASS_MASK
    if cls in (Class.JMP, Class.JMP32):
        op = insn.opcode & OP_MASK
        if op == JmpOp.EXIT:
            return []
        if op == JmpOp.CALL:
            if insn.opcode & SOURCE_MASK == Source.K and insn.src == CallSrc.LOCAL:
                return [slot + 1 + insn.imm]
            return []
        if op == JmpOp.JA and cls == Class.JMP32:
            return [slot + 1 + insn.imm]
        return [slot + 1 + insn.off]
    if insn.opcode == LDDW and insn.src == PseudoSrc.FUNC:
        return [slot + 1 + insn.imm]
    return []


def _ends_block(insn: Insn) -> bool:
    return insn.opcode & CLASS_MASK in (Class.JMP, Class.JMP32) or (
        insn.opcode & CLASS_MASK == Class.LD and insn.opcode != LDDW)


def _leaders(cp: Compiled) -> set[int]:
    leaders = {0}
    slot = 0
    for insn in cp.insns:
        leaders.update(t for t in _targets(insn, slot) if cp.target_ok(t))
        if _ends_block(insn):
            leaders.add(slot + insn.slots)
        slot += insn.slots
    return leaders


_A = re.compile(r"\ba\b")
_B = re.compile(r"\bb\b")
_REG = re.compile(r"\br(10|[0-9])\b")


def _subst(expr: str, a: str, b: str) -> str:
    """``expr`` over the operands ``a`` and ``b`` written as the given expressions."""
    return _B.sub(b, _A.sub(a, expr))


def _alu_lines(insn: Insn) -> list[str] | None:
    op = insn.opcode & OP_MASK
    is64 = insn.opcode & CLASS_MASK == Class.ALU64
    x = insn.opcode & SOURCE_MASK == Source.X
    d, s = insn.dst, insn.src
    if op == AluOp.END:
        swap = bool(is64 or x == bool(Endian.TO_BE))
        expr = alu.END_EXPR.get((swap, insn.imm))
        return None if expr is None else [f"r{d} = {_subst(expr, f'r{d}', '0')}"]
    if op in (AluOp.DIV, AluOp.MOD) and insn.off not in (0, 1):
        return None
    try:
        movsx = insn.off if op == AluOp.MOV and x and insn.off else 0
        signed = op in (AluOp.DIV, AluOp.MOD) and insn.off == 1
        expr = alu.alu_expression(op, is64=is64, signed=signed, movsx=movsx)
    except (KeyError, ValueError):
        return None
    if op == AluOp.NEG:
        return [f"r{d} = {_subst(expr, f'r{d}', '0')}"]
    b = f"r{s}" if x else str(alu.widen_imm(insn.imm, is64=is64))
    return [f"r{d} = {_subst(expr, f'r{d}', b)}"]


def _mem_site(insn: Insn) -> tuple[int, int, int, bool] | None:
    """(base register, offset, size, writes) of a load, store or atomic `_mem_lines`
    inlines, else None."""
    cls = insn.opcode & CLASS_MASK
    mode = insn.opcode & MODE_MASK
    n = SIZE_BYTES[Size(insn.opcode & SIZE_MASK)]
    if cls == Class.LDX and mode in (Mode.MEM, Mode.MEMSX):
        return insn.src, insn.off, n, False
    if cls in (Class.ST, Class.STX) and mode in (Mode.MEM, Mode.ATOMIC):
        return insn.dst, insn.off, n, True
    return None


def _mem_lines(insn: Insn, slot: int, ns: dict[str, Any], hoisted: bool = False,
               ) -> list[str] | None:
    """Inline access with a per-site region cache ``c<slot>`` = [base, last offset, data, gen].

    ``hoisted``: the block checked this access at its entry (its base register is not
    written in the block, and nothing in the block can unmap a region), leaving its
    region's bytes in ``d<slot>`` and its offset in ``o<slot>``: the access is the bare
    unpack or pack, which cannot fault.
    """
    cls = insn.opcode & CLASS_MASK
    mode = insn.opcode & MODE_MASK
    n = SIZE_BYTES[Size(insn.opcode & SIZE_MASK)]
    d, s, off = insn.dst, insn.src, insn.off
    c = f"c{slot}"
    # g: the memory's region generation, read at the block's entry and after each handler
    hit = f"0 <= o <= {c}[1] and {c}[3] == g"
    at = f"d{slot}, o{slot}"
    if cls == Class.LDX and mode in (Mode.MEM, Mode.MEMSX):
        if mode == Mode.MEMSX and n == 8:
            return None
        ns[c] = [0, -1, None, -1]
        ns[f"U{n}"] = UNPACKERS[n]
        val = (f"U{n}({at})[0]" if hoisted else
               f"(U{n}({c}[2], o)[0] if {hit} else mem.load_fill(a, {n}, {c}))")
        if mode == Mode.MEMSX:
            sb = 1 << (8 * n - 1)
            val = f"(({val} ^ {sb}) - {sb}) & M64"
        if hoisted:
            return [f"r{d} = {val}"]
        return [f"a = (r{s} + {off}) & M64; o = a - {c}[0]", f"r{d} = {val}"]
    if cls in (Class.ST, Class.STX) and mode == Mode.MEM:
        if cls == Class.ST:
            v = str(insn.imm & ((1 << (8 * n)) - 1))
        else:
            v = f"r{s}" if n == 8 else f"r{s} & {(1 << (8 * n)) - 1}"
        ns[c] = [0, -1, None, -1]
        ns[f"P{n}"] = PACKERS[n]
        if hoisted:
            return [f"P{n}({at}, {v})"]
        return [f"a = (r{d} + {off}) & M64; o = a - {c}[0]",
                f"if {hit}: P{n}({c}[2], o, {v})",
                f"else: mem.store_fill(a, {n}, {v}, {c})"]
    if cls == Class.STX and mode == Mode.ATOMIC and n in (4, 8):
        # add/or/and/xor (fetching or not): read, compute, write through the site's cache,
        # which only a read that succeeded and a write that succeeded fill (a miss takes
        # the checked load and store, faulting as the handler would)
        try:
            aop = AtomicOp(insn.imm & 0xFFFFFFFF)
        except ValueError:
            return None
        expr = ATOMIC_EXPR.get(AtomicOp(aop & ~1)) if aop not in (
            AtomicOp.XCHG, AtomicOp.CMPXCHG, AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL) else None
        if expr is None:
            return None
        ns[c] = [0, -1, None, -1]
        ns[f"P{n}"] = PACKERS[n]
        ns[f"U{n}"] = UNPACKERS[n]
        new = f"({_subst(expr, 'v', f'r{s}')}) & {(1 << (8 * n)) - 1}"
        if hoisted:
            lines = [f"v = U{n}({at})[0]; P{n}({at}, {new})"]
        else:
            lines = [f"a = (r{d} + {off}) & M64; o = a - {c}[0]",
                     f"if {hit}: v = U{n}({c}[2], o)[0]; P{n}({c}[2], o, {new})",
                     f"else: v = mem.load(a, {n}); mem.store_fill(a, {n}, {new}, {c})"]
        if aop.fetches:
            lines.append(f"r{s} = v")
        return lines
    return None


def _jump_cond(insn: Insn) -> tuple[str, int] | None:
    """(condition over registers, target slot offset) of a conditional jump; None if the
    operation is unknown. ``ja`` gives the condition ``True``."""
    op = insn.opcode & OP_MASK
    is64 = insn.opcode & CLASS_MASK == Class.JMP
    x = insn.opcode & SOURCE_MASK == Source.X
    if op == JmpOp.JA:
        return "True", (insn.off if is64 else insn.imm)
    table = alu.JMP64_COND if is64 else alu.JMP32_COND
    if op not in table:
        return None
    a = f"r{insn.dst}" if is64 else f"(r{insn.dst} & M32)"
    if x:
        b = f"r{insn.src}" if is64 else f"(r{insn.src} & M32)"
    else:
        b = str(alu.widen_imm(insn.imm, is64=is64))
    return _subst(table[op], a, b), insn.off


def build_blocks(m: Machine, cp: Compiled) -> list[Handler]:
    """The fast table of ``cp``: fused block functions at leaders, handlers elsewhere.

    Registers live in locals ``r0``..``r10`` inside a block: read from ``m.R`` at its
    entry, written back before anything else can see them (a handler, a return, a fault).
    A block whose last instruction jumps back to its own start runs as a ``while`` loop
    (at most as many rounds as the instruction limit leaves), so a tight loop costs no
    dispatch at all.

    Loads, stores and atomics whose base register the block never writes are checked
    once at the block's entry (`_hoisted`) when nothing in the block can unmap a region
    (no handler before its last instruction): if every one of them would succeed, the
    block runs a copy of its body where they are bare unpacks and packs; otherwise the
    copy with a check at each access, which faults at the instruction as before.
    """
    from .machine import FRAME_NAMES, MAX_CALL_FRAMES, RETURNED  # machine imports this module

    leaders = _leaders(cp)
    fast: list[Any] = list(cp.handlers)
    slots: list[tuple[int, Insn]] = []
    slot = 0
    for insn in cp.insns:
        slots.append((slot, insn))
        slot += insn.slots
    at_slot = {s: n for n, (s, _insn) in enumerate(slots)}
    ns: dict[str, Any] = dict(alu.NAMESPACE)
    ns.update(R=m.R, mem=m.mem, m=m, VMFault=VMFault, frames=m.frames, gone=m.mem.gone,
              Region=Region, FN=FRAME_NAMES, RET=RETURNED, DEAD=bytearray(STACK_SIZE))
    i = 0
    sources: list[str] = []
    names: list[tuple[int, str]] = []
    block_max = 1
    while i < len(slots):
        start = slots[i][0]
        body: list[str] = []
        sites: list[tuple[int, Insn]] = []
        checked: dict[int, list[str]] = {}  # each marked instruction's checked lines
        exacts: dict[int, list[str]] = {}  # its 64-bit operation without the mask
        seen: list[tuple[int, Insn]] = []
        count = 0
        ended = False
        loop = False
        resume = -1  # the return slot of a call inlined just before: not a block end
        inlined: set[int] = set()
        while i < len(slots):
            slot, insn = slots[i]
            if count and slot in leaders and slot != resume:
                body += [_EXIT, f"return {slot}"]
                ended = True
                break
            count += 1
            i += 1
            cls = insn.opcode & CLASS_MASK
            leaf = _leaf(cp, slots, at_slot, insn, slot) if cls == Class.JMP else None
            if leaf is not None and slot + 1 + insn.imm not in inlined:
                # a bpf-to-bpf call of a leaf: its body inline, its frame's bookkeeping too
                inlined.add(slot + 1 + insn.imm)
                body += [f"p = {slot}",
                         f"if len(frames) >= {MAX_CALL_FRAMES - 1}: "
                         f"raise VMFault('call depth exceeds {MAX_CALL_FRAMES} frames')",
                         _FRAME_BUMP.format(step=STACK_SIZE + GUARD),
                         f"gone.append((Region(FN[len(frames) + 1], fb, DEAD, True, True, "
                         f"{STACK_SIZE}, 'stack'), RET))"]
                for cslot, cinsn in leaf:
                    seen.append((cslot, cinsn))
                    clines = _leaf_lines(cinsn)
                    exact = _exact_line(cinsn)
                    if exact is not None and cslot not in checked:
                        checked[cslot], exacts[cslot] = clines, [exact]
                        clines = [_SITE + str(cslot)]
                    body += clines
                count += len(leaf) + 1  # the callee's instructions and its exit
                resume = slot + 1
                continue
            seen.append((slot, insn))
            is_gotol = cls == Class.JMP32 and insn.opcode & OP_MASK == JmpOp.JA
            jump_ok = cp.target_ok(slot + 1 + (insn.imm if is_gotol else insn.off))
            lines: list[str] | None = None
            if cls in (Class.ALU, Class.ALU64):
                lines = _alu_lines(insn)
                exact = _exact_line(insn)
                if lines is not None and exact is not None:
                    checked[slot], exacts[slot] = lines, [exact]
                    lines = [_SITE + str(slot)]
            elif cls in (Class.LDX, Class.ST, Class.STX):
                lines = _mem_lines(insn, slot, ns)
                if lines is not None:
                    sites.append((slot, insn))
                    checked[slot] = [f"p = {slot}"] + lines
                    lines = [_SITE + str(slot)]
            elif cls in (Class.JMP, Class.JMP32) and insn.opcode & OP_MASK not in (
                    JmpOp.CALL, JmpOp.EXIT, JmpOp.JCOND) and jump_ok:
                jc = _jump_cond(insn)
                if jc is not None:
                    cond, rel = jc
                    t, nx = slot + 1 + rel, slot + 1
                    if t == start:  # back to this block's start: a loop
                        loop = True
                        lines = [f"if {cond}:", "  if k < room: continue", "  " + _EXIT,
                                 f"  return {t}", _EXIT, f"return {nx}"]
                    elif cond == "True":
                        lines = [_EXIT, f"return {t}"]
                    else:
                        lines = [_EXIT, f"return {t} if {cond} else {nx}"]
            elif insn.opcode == LDDW and insn.src == PseudoSrc.IMM and \
                    cp.program.refs.get(cp.slot_insn[slot]) is None:
                lines = [f"r{insn.dst} = {insn.imm & alu.M64}"]
            if lines is None:
                ns[f"h{slot}"] = cp.handlers[slot]
                if _ends_block(insn):
                    lines = [f"p = {slot}", _EXIT, f"return h{slot}()"]
                else:
                    lines = [f"p = {slot}", _FLUSH, f"h{slot}()", _RELOAD]
            body += lines
            if _ends_block(insn):
                ended = True
                break
        if not ended:
            body += [_EXIT, f"return {slots[i][0] if i < len(slots) else cp.nslots}"]
        block_max = max(block_max, count)
        name = f"block_{start}"
        generic = _expand(body, checked)
        text = "\n".join(generic)
        used = sorted({int(r) for r in _REG.findall(text)})
        written = {int(r) for r in re.findall(r"(?:^|; |:\s)r(10|[0-9]) = ", text, re.M)}
        load = "; ".join([f"r{r} = R[{r}]" for r in used] +
                         (["g = mem.gen"] if "== g" in text else []))
        store = "; ".join(f"R[{r}] = r{r}" for r in sorted(written))
        ind = _induction(seen, body) if loop else None
        hoist = _fast_copy(body[:-_JUMP_LINES - 1] if ind else body, sites, checked, exacts,
                           seen if loop else None, written, ns, ind, seen) \
            if loop or len(sites) > 2 else None
        if hoist is not None:
            text += "\n" + "\n".join(hoist[0] + hoist[1] + (
                [hoist[2][0]] + hoist[2][1] + hoist[2][2] + hoist[2][3] if hoist[2] else []))
        binds = [k for k in ns if k != "VMFault" and not k.startswith("__") and k in text + load]
        if count > 1 or "m." in text or loop:
            binds.append("m")
        if used:
            binds.append("R")
        params = ", ".join(f"{k}={k}" for k in dict.fromkeys(binds))
        head = [f"def {name}({params}):", f"  p = {start}"]
        if load:
            head.append("  " + load)
        if hoist is not None:
            guard, fast_body, cells = hoist
            head += ["  " + ln for ln in guard]
            if ind is not None:
                ns["CNT"] = countdown
            if ind is not None and cells is not None:
                # the loop's memory in locals when its accesses do not overlap
                cond, pre, cell_body, post = cells
                head += [f"    if {cond}:"] + (["      " + "; ".join(pre)] if pre else [])
                head += ["      " + ln for ln in _render_counted(
                    cell_body, count, store, ind, start,
                    slots[i][0] if i < len(slots) else cp.nslots, post)]
            rendered = _render(fast_body, count, loop, store, load) if ind is None else \
                _render_counted(fast_body, count, store, ind, start, slots[i][0]
                                if i < len(slots) else cp.nslots)
            head += ["    " + ln for ln in rendered]
        src = "\n".join(head + ["  " + ln for ln in _render(generic, count, loop, store, load)])
        sources.append(src)
        names.append((start, name))
    exec(compile("\n\n".join(sources), f"<pybpf.vm blocks of {cp.program.name or 'prog'}>",
                 "exec"), ns)  # noqa: S102 - generated from our own tables
    for start, name in names:
        fast[start] = ns[name]
    cp.block_max = block_max
    return fast


#: a counted loop that runs to its end from a counter below this takes the counter's values
#: from `countdown` (a list's iterator allocates no int per round, as ``range``'s does)
COUNTS = 1 << 16
_COUNTS: list[int] = []


def countdown(k: int) -> Iterator[int]:
    """``k``, ``k - 1`` .. 1 (``0 < k < COUNTS``) from one shared list, built on first use.

    >>> list(countdown(3))
    [3, 2, 1]
    """
    if not _COUNTS:
        _COUNTS[:] = range(COUNTS - 1, 0, -1)  # one assignment: threads may race here
    it = iter(_COUNTS)
    it.__setstate__(COUNTS - 1 - k)  # type: ignore[attr-defined]  # a list iterator has it
    return it


#: a call frame's address space, as `Memory.map_stack` hands it out (the frame itself is
#: never mapped for an inlined leaf, which does not use its stack)
_FRAME_BUMP = "fb = (mem._next + 15) & -16; mem._next = fb + {step}"
#: the lines a loop's conditional jump back to its start adds to a block's body
_JUMP_LINES = 6
#: instructions an inlined callee may have (its exit excluded)
_LEAF_MAX = 16


def _writes(insn: Insn) -> tuple[int, ...]:
    """Registers ``insn`` may write (a call: r0-r5)."""
    cls = insn.opcode & CLASS_MASK
    if cls in (Class.ALU, Class.ALU64, Class.LDX) or insn.opcode == LDDW:
        return (insn.dst,)
    if cls == Class.STX and insn.opcode & MODE_MASK == Mode.ATOMIC:
        try:
            aop = AtomicOp(insn.imm & 0xFFFFFFFF)
        except ValueError:
            return (insn.dst, insn.src, 0)
        if aop == AtomicOp.LOAD_ACQ:
            return (insn.dst,)
        if aop == AtomicOp.CMPXCHG:
            return (0,)
        return (insn.src,) if aop == AtomicOp.XCHG or aop.fetches else ()
    if cls in (Class.JMP, Class.JMP32) and insn.opcode & OP_MASK == JmpOp.CALL:
        return (0, 1, 2, 3, 4, 5)
    if cls == Class.LD:
        return (0,)
    return ()


def _leaf(cp: Compiled, slots: list[tuple[int, Insn]], at_slot: dict[int, int], insn: Insn,
          slot: int) -> list[tuple[int, Insn]] | None:
    """The body of the function a bpf-to-bpf ``call`` enters, when it is a leaf the block can
    run inline: straight-line arithmetic (and ``lddw`` of a number) on r0-r5 only, then
    ``exit``; no r10, so its stack frame is never seen. None otherwise."""
    if insn.opcode & OP_MASK != JmpOp.CALL or insn.opcode & SOURCE_MASK != Source.K or \
            insn.src != CallSrc.LOCAL or not cp.target_ok(slot + 1 + insn.imm):
        return None
    n = at_slot.get(slot + 1 + insn.imm)
    if n is None:
        return None
    body: list[tuple[int, Insn]] = []
    for cslot, c in slots[n:n + _LEAF_MAX + 1]:
        cls = c.opcode & CLASS_MASK
        if cls == Class.JMP and c.opcode & OP_MASK == JmpOp.EXIT:
            return body
        if cls in (Class.ALU, Class.ALU64):
            x = c.opcode & SOURCE_MASK == Source.X
            if c.dst > 5 or (x and c.src > 5) or _alu_lines(c) is None:
                return None
        elif c.opcode == LDDW and c.src == PseudoSrc.IMM and \
                cp.program.refs.get(cp.slot_insn[cslot]) is None and c.dst <= 5:
            pass
        else:
            return None
        body.append((cslot, c))
    return None


def _leaf_lines(insn: Insn) -> list[str]:
    if insn.opcode == LDDW:
        return [f"r{insn.dst} = {insn.imm & alu.M64}"]
    lines = _alu_lines(insn)
    assert lines is not None  # _leaf took only what _alu_lines writes
    return lines


def _induction(seen: list[tuple[int, Insn]], body: list[str]) -> tuple[int, int] | None:
    """(register, slot of its decrement) of a loop counted down by one to zero: its last
    two instructions ``rX -= 1; if rX != 0 goto start``, and nothing else in it writes rX
    (no handler either). Such a loop runs as a ``for`` over ``range`` of the counter."""
    if len(seen) < 2 or _FLUSH in body:  # noqa: PLR2004
        return None
    (dslot, dec), (_jslot, jmp) = seen[-2], seen[-1]
    r = jmp.dst
    if jmp.opcode != Class.JMP | JmpOp.JNE | Source.K or jmp.imm != 0:
        return None
    if dec.dst != r or not (dec.opcode == Class.ALU64 | AluOp.SUB | Source.K and dec.imm == 1
                            or dec.opcode == Class.ALU64 | AluOp.ADD | Source.K
                            and dec.imm == -1):
        return None
    if any(r in _writes(insn) for _slot, insn in seen[:-2]):
        return None
    if body[-_JUMP_LINES - 1] != _SITE + str(dslot):
        return None
    return r, dslot


# markers in a block's body: FLUSH writes the registers back (before a handler), EXIT too
# and counts a loop's rounds (before every return), RELOAD reads them again (after a
# handler); SITE<slot> precedes the lines of an inlined memory access
_FLUSH, _EXIT, _RELOAD, _SITE = "\0flush", "\0exit", "\0reload", "\0site"


def _exact_line(insn: Insn) -> str | None:
    """A 64-bit add, sub, mul or constant left shift without its ``& M64`` (for a loop whose
    `pybpf.vm.ranges` analysis shows it cannot wrap), else None."""
    if insn.opcode & CLASS_MASK != Class.ALU64:
        return None
    op, d = insn.opcode & OP_MASK, insn.dst
    x = insn.opcode & SOURCE_MASK == Source.X
    b = f"r{insn.src}" if x else str(insn.imm & alu.M64)
    if op in (AluOp.ADD, AluOp.SUB, AluOp.MUL):
        return f"r{d} = r{d} {'+' if op == AluOp.ADD else '-' if op == AluOp.SUB else '*'} {b}"
    if op == AluOp.LSH and not x:
        return f"r{d} = r{d} << {insn.imm & 63}"
    return None


def _fast_copy(body: list[str], sites: list[tuple[int, Insn]], checked: dict[int, list[str]],
               exacts: dict[int, list[str]], loop: list[tuple[int, Insn]] | None,
               written: set[int], ns: dict[str, Any], ind: tuple[int, int] | None = None,
               order: list[tuple[int, Insn]] | None = None,
               ) -> tuple[list[str], list[str], tuple[str, list[str], list[str], list[str]] | None
                          ] | None:
    """(guard, body) of the block's fast copy, or None when it would not differ.

    The guard is an ``if`` that holds when every memory access whose base register the
    block does not write would succeed (its site cache hits, or `Memory.fill` fills it)
    and, for a loop, when the registers are in the ranges `pybpf.vm.ranges` assumed at its
    entry; it then binds each hoisted access's region bytes ``d<slot>`` and offset
    ``o<slot>``. In the body those accesses are bare unpacks and packs, and the 64-bit
    operations that cannot wrap lose their mask. A handler before the block's last
    instruction (a helper may unmap a region, or write any register) gives None.
    """
    if _FLUSH in body:
        return None
    hoisted: dict[int, tuple[int, int, int, bool]] = {}
    for slot, insn in sites:
        site = _mem_site(insn)
        if site is not None and site[0] not in written:
            hoisted[slot] = site
    narrow = narrow_loop(loop) if loop is not None else None
    if not hoisted and narrow is None and ind is None:
        return None
    checks, binds = [], []
    for slot, (base, off, n, write) in hoisted.items():
        c, a = f"c{slot}", f"(r{base} + {off}) & M64"
        checks.append(f"(0 <= ({a}) - {c}[0] <= {c}[1] and {c}[3] == g"
                      f" or mem.fill({a}, {n}, {write}, {c}))")
        binds.append(f"d{slot} = {c}[2]; o{slot} = (({a}) - {c}[0])")
    if narrow is not None:
        checks.insert(0, narrow.guard)
    if ind is not None:
        checks.insert(0, f"r{ind[0]} >= 1")
    guard = [f"if {' and '.join(checks)}:"] + ["  " + b for b in binds]
    fast = dict(checked)  # what is not hoisted or exact keeps its checked lines
    for slot, insn in sites:
        lines = _mem_lines(insn, slot, ns, hoisted=True) if slot in hoisted else None
        if lines is not None:
            fast[slot] = lines
    fast.update(_forwarded(order or [], hoisted))
    for slot in narrow.exact if narrow is not None else ():
        if slot in exacts:
            fast[slot] = exacts[slot]
    return guard, _expand(body, fast), _cells(body, fast, sites, hoisted, order, ns, ind)


def _cells(body: list[str], fast: dict[int, list[str]], sites: list[tuple[int, Insn]],
           hoisted: dict[int, tuple[int, int, int, bool]], order: list[tuple[int, Insn]] | None,
           ns: dict[str, Any], ind: tuple[int, int] | None,
           ) -> tuple[str, list[str], list[str], list[str]] | None:
    """(entry condition, lines before, body, lines after) of a counted loop's copy whose
    body is pure assignments only (nothing in it can fault): its memory in cells
    (`pybpf.vm.cells`: every access hoisted) and its inlined leaf calls' frame bookkeeping
    done once after the loop (`_frames_after`). None when that copy would not differ or
    something else remains in the body."""
    if ind is None or len(hoisted) != len(sites) or order is None:
        return None
    cond, pre, post = [], [], []
    lines = dict(fast)
    if hoisted:
        cells = promote(order, hoisted, ns)
        if cells is None:
            return None
        lines.update(cells.lines)
        cond, pre, post = [cells.cond], cells.pre, cells.post
    cell_body = []
    frames: list[str] = []
    for ln in _expand(body, lines):
        if pure(ln) is not None:
            cell_body.append(ln)
        elif _P.fullmatch(ln) is None:
            frames.append(ln)
    after = _frames_after(frames)
    if after is None or not (hoisted or frames):
        return None
    if frames:
        cond.append(after[0])
        post += after[1]
    return " and ".join(cond) or "True", pre, cell_body, post


_P = re.compile(r"p = \d+")
_DEPTH = re.compile(r"if len\(frames\) >= (\d+): raise VMFault\('call depth exceeds \d+ frames'\)")
_RECORD = "gone.append((Region(FN[len(frames) + 1], fb, DEAD, "


def _frames_after(lines: list[str]) -> tuple[str, list[str]] | None:
    """(entry condition, lines after the loop) doing once what the inlined leaf calls of
    a loop's round (``lines``: their depth checks, frame bumps and returned-frame records,
    nothing else) do in each: with the depth below the limit at entry (it does not change
    in the loop), the rounds' frames are consecutive (each the same multiple of 16 after
    the last), and of their records only the last ``gone.maxlen`` stay. None when
    ``lines`` holds anything else."""
    step = STACK_SIZE + GUARD
    bump = _FRAME_BUMP.format(step=step)
    calls = [ln for ln in lines if ln == bump]
    depth = {m.group(1) for m in map(_DEPTH.fullmatch, lines) if m is not None}
    records = [ln for ln in lines if ln.startswith(_RECORD)]
    if not calls:
        return ("", []) if not lines else None
    if step % 16 or len(depth) != 1 or len(set(records)) != 1 or \
            len(records) != len(calls) or len(lines) != 3 * len(calls):
        return None
    c = len(calls)
    record = records[0].replace(", fb, DEAD, ", f", fb + q * {step}, DEAD, ")
    return f"len(frames) < {depth.pop()}", [
        f"fb = (mem._next + 15) & -16; mem._next = fb + n * {c * step}",
        f"for q in range(max(0, n * {c} - gone.maxlen), n * {c}): {record}"]


def _forwarded(order: list[tuple[int, Insn]], hoisted: dict[int, tuple[int, int, int, bool]],
               ) -> dict[int, list[str]]:
    """Loads that read back what a store of the same block just wrote (store-to-load
    forwarding): both hoisted, the same base register (never written in the block), offset
    and size, no memory write between them (another base register may alias) and the
    stored register not written since. Such a load is the stored value (cut to its size),
    not an unpack; the store still happens. ``order``: the block's (slot, insn) in order."""
    out: dict[int, list[str]] = {}
    last: dict[tuple[int, int, int], tuple[int, Insn]] = {}  # (base, off, size) -> store
    for slot, insn in order:
        cls = insn.opcode & CLASS_MASK
        site = hoisted.get(slot)
        if site is not None and not site[3] and insn.opcode & MODE_MASK == Mode.MEM:
            st = last.get(site[:3])
            if st is not None:
                mask = (1 << (8 * site[2])) - 1
                if st[1].opcode & CLASS_MASK == Class.ST:
                    value = str(st[1].imm & mask)
                else:
                    value = f"r{st[1].src}" if site[2] == 8 else f"r{st[1].src} & {mask}"
                out[slot] = [f"r{insn.dst} = {value}"]
        if cls in (Class.ST, Class.STX):
            last = {}  # any write may alias a remembered store's bytes
            if site is not None and insn.opcode & MODE_MASK == Mode.MEM:
                last[site[:3]] = (slot, insn)
        for r in _writes(insn):
            last = {k: v for k, v in last.items()
                    if not (v[1].opcode & CLASS_MASK == Class.STX and v[1].src == r)}
    return out


def _expand(body: list[str], sites: dict[int, list[str]]) -> list[str]:
    """``body`` with each access marker replaced by its lines in ``sites``."""
    out: list[str] = []
    for ln in body:
        out += sites[int(ln[len(_SITE):])] if ln.startswith(_SITE) else [ln]
    return out


def _render(body: list[str], count: int, loop: bool, store: str, load: str) -> list[str]:
    """A block's body (markers expanded) in its ``try`` (and ``while``, for a loop)."""
    extra = f"m.extra += k * {count} - 1" if loop else ""
    out = []
    for ln in fold(body)[0]:
        indent = ln[:len(ln) - len(ln.lstrip())]
        core = ln.strip()
        if core in (_FLUSH, _EXIT):
            stmts = [x for x in (store, extra if core == _EXIT else "") if x]
            if stmts:
                out.append(indent + "; ".join(stmts))
        elif core == _RELOAD:
            if load:
                out.append(indent + load)
        else:
            out.append(ln)
    if loop:
        return (["k = 0", "try:", f"  room = (m.stop - m.insns - m.extra) // {count}",
                 "  while True:", "    k += 1"] + ["    " + ln for ln in out] +
                ["except VMFault:", "  " + "; ".join(x for x in (store, extra) if x),
                 "  m.fault_pc = p", "  raise"])
    return ([f"m.extra += {count - 1}"] if count > 1 else []) + ["try:"] + \
        ["  " + ln for ln in out] + ["except VMFault:"] + \
        (["  " + store] if store else []) + ["  m.fault_pc = p", "  raise"]


def _render_counted(body: list[str], count: int, store: str, ind: tuple[int, int], head: int,
                    nx: int, post: list[str] | None = None) -> list[str]:
    """A loop counted down by ``rX`` (`_induction`; ``body`` without the decrement and the
    jump) as a ``for`` over ``range(rX, rX - n, -1)``: n rounds, all the instruction limit
    leaves room for; rX is the counter's value in each round, as the body reads it, and
    the number of rounds a fault was in is the distance from the entry's value."""
    r = f"r{ind[0]}"
    store_n = "; ".join(x for x in (store, f"m.extra += n * {count} - 1") if x)
    # the body cannot fault: the registers the next round does not read may be computed
    # once after the last round (`pybpf.vm.fold`)
    safe = not any(ln.startswith("p = ") or "mem." in ln or "raise" in ln or "m." in ln
                   for ln in body)
    body, exits = fold(body, defer=safe)
    body = body or ["pass"]  # every value computed after the loop
    return ([f"k0 = {r}", "try:", f"  room = (m.stop - m.insns - m.extra) // {count}",
             f"  n = {r} if {r} <= room else (room if room > 1 else 1)",
             f"  for {r} in (CNT({r}) if n == {r} < {COUNTS} else range({r}, {r} - n, -1)):"] +
            ["    " + ln for ln in body] + ["  " + ln for ln in exits + (post or [])] +
            [f"  {r} -= 1", f"  if {r} != 0:", "    " + store_n, f"    return {head}",
             "  " + store_n, f"  return {nx}", "except VMFault:",
             "  " + "; ".join(x for x in (store, f"m.extra += (k0 - {r} + 1) * {count} - 1")
                              if x), "  m.fault_pc = p", "  raise"])
