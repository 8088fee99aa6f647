"""Precision tracking: which scalars' exact ranges matter, found by backtracking.

The kernel's rule (``__mark_chain_precision``): scalars start *imprecise*; when the value of
a scalar matters for safety (a pointer offset, a helper's size argument, a branch decided
by its range, a spill of zero...), the verifier walks back over the instructions of the
current path (``backtrack_insn``) to find every register and stack slot the value came
from, and marks them ``precise`` in the checkpoints the path went through. When states are
compared (`pybpf.verifier.prune`) an imprecise scalar of the explored state matches any
scalar, so only what mattered keeps states apart. When a path is pruned, the precise marks
of the state it matched are carried over to its own checkpoints (`propagate_precision`).

The walk follows the path's history (`pybpf.verifier.state.State.history`): an entry per
non-linear step (``[insn, previous insn, flags, linked registers]``), stack accesses
included, so a fill can be traced back to its spill.

>>> bt = Backtrack(0); bt.set_reg(0, 3); bt.empty()
False
"""
from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ..isa import LDDW, AluOp, CallSrc, Class, JmpOp, Mode
from ..isa.helpers import helper_id
from .prune import SET_BITS, set_bits
from .state import RT, State

if TYPE_CHECKING:
    from ..isa import Insn

#: history flags (the kernel's INSN_F_*): frame number, stack slot, and what they mean
F_FRAMENO_MASK = 0x7
F_SPI_SHIFT = 3
F_SPI_MASK = 0x3F
F_STACK_ACCESS = 1 << 9
F_DST_REG_STACK = 1 << 10
F_SRC_REG_STACK = 1 << 11
_ARGS = 0x3E
_TAIL_CALL = helper_id("tail_call")


def stack_access_flags(frameno: int, spi: int) -> int:
    return F_STACK_ACCESS | (spi << F_SPI_SHIFT) | frameno


class NotSupported(Exception):
    """backtrack_insn's -ENOTSUPP: fall back to marking every scalar precise."""


class Backtrack:
    """The kernel's backtrack_state: registers and stack slots still to trace, per frame."""

    __slots__ = ("frame", "regs", "stack")

    def __init__(self, frame: int) -> None:
        self.frame = frame
        self.regs = [0] * 8
        self.stack = [0] * 8

    def empty(self) -> bool:
        regs, stack = self.regs, self.stack
        if not self.frame:
            return not regs[0] and not stack[0]
        for i in range(self.frame + 1):
            if regs[i] or stack[i]:
                return False
        return True

    def set_reg(self, frame: int, reg: int) -> None:
        self.regs[frame] |= 1 << reg

    def clear_reg(self, frame: int, reg: int) -> None:
        self.regs[frame] &= ~(1 << reg)

    def is_reg(self, frame: int, reg: int) -> bool:
        return bool(self.regs[frame] >> reg & 1)

    def set_slot(self, frame: int, spi: int) -> None:
        self.stack[frame] |= 1 << spi

    def clear_slot(self, frame: int, spi: int) -> None:
        self.stack[frame] &= ~(1 << spi)

    def is_slot(self, frame: int, spi: int) -> bool:
        return bool(self.stack[frame] >> spi & 1)


def _linked(entry: list | None) -> tuple[tuple[int, int, bool], ...]:
    if entry is None or not entry[3]:
        return ()
    return entry[3]


def _sync_linked(bt: Backtrack, entry: list | None) -> None:
    """bt_sync_linked_regs: if one of the registers linked at this step is traced, trace all."""
    linked = _linked(entry)
    if not linked:
        return
    for frame, num, is_reg in linked:
        if (bt.is_reg(frame, num) if is_reg else bt.is_slot(frame, num)):
            break
    else:
        return
    for frame, num, is_reg in linked:
        if is_reg:
            bt.set_reg(frame, num)
        else:
            bt.set_slot(frame, num)


_ALU, _ALU64, _LDX, _STX, _ST = Class.ALU, Class.ALU64, Class.LDX, Class.STX, Class.ST
_END, _NEG, _MOV = AluOp.END, AluOp.NEG, AluOp.MOV
_ATOMIC = Mode.ATOMIC
_SCALAR = RT.SCALAR
_PRECISE = attrgetter("precise")
_ALL = -1
_SLOW = (_ALL, 0, 0)  # always through backtrack_insn
_NOOP = (0, 0, 0)


def _fast_effect(decoded: tuple, calls_callback: bool, is_lddw: bool) -> tuple[int, int, int]:
    """The ``(trigger, keep, gen)`` of one instruction for `Tracker.fast` (see there)."""
    cls, op, d, s, x, mode, imm = decoded
    dbit = 1 << d
    if cls == _ALU or cls == _ALU64:
        if op == _END or op == _NEG:
            return _NOOP
        if op == _MOV:
            return (dbit, ~dbit, 1 << s if x and s != 10 else 0)
        return (dbit, _ALL, 1 << s) if x and s != 10 else _NOOP
    if cls == _LDX or (cls == _STX and mode == _ATOMIC and imm == 0x100):
        return (dbit, ~dbit, 0)
    if cls == _STX or cls == _ST:
        return (dbit, 0, 0)  # a traced register stored: backtrack_insn's NotSupported
    if cls == Class.JMP or cls == Class.JMP32:
        if op == JmpOp.CALL or op == JmpOp.EXIT or calls_callback:
            return _SLOW
        if x and op not in (JmpOp.JA, JmpOp.JCOND):
            both = dbit | 1 << s
            return (both, _ALL, both)
        return _NOOP
    if cls == Class.LD:
        return (dbit, ~dbit, 0) if is_lddw else (dbit, 0, 0)
    return _SLOW


#: remembered walks (`Tracker.walks`) kept at most: past it they are forgotten
_WALKS_MAX = 1 << 16
#: history entries a state may have for `Tracker.firsts` (longer: not remembered)
_FIRSTS_HISTORY = 64
#: history entries a state must have for `Tracker._jump`
_JUMP_MIN = 2


def _walk_kept(walks: dict, fast: Any, key: tuple) -> tuple:
    """`_walk` of ``key``, remembered in ``walks`` (emptied past `_WALKS_MAX`): a loop's
    backtracking walks the same stretches with the same masks again and again."""
    if len(walks) > _WALKS_MAX:
        walks.clear()
    walked = walks[key] = _walk(fast, *key)
    return walked


def _walk(fast: dict[int, tuple[int, int, int]], i: int, stop: int, lo: int,
          r: int) -> tuple[int, int, bool]:
    """Steps back from instruction ``i`` toward ``stop`` (the instruction of the next history
    entry; when none is left, the state's first instruction) but not past ``lo`` while the
    masks of `Tracker.fast` decide each step alone: ``(where it stopped, the traced mask
    there, whether the mask was empty on the way)``. An empty mask ends the marking when
    nothing else is traced; else the walk goes on with it (the steps then change nothing)."""
    zeroed = False
    while i != stop and i > lo:
        trig, keep, gen = fast[i]
        if trig < 0 or (not keep and r & trig):
            break  # backtrack_insn's
        if r & trig:
            r = r & keep | gen
            if not r:
                zeroed = True
        i -= 1
    return i, r, zeroed


def _rest(bt: Backtrack, fr: int) -> bool:
    """Whether ``bt`` traces anything besides the registers of frame ``fr``."""
    regs, stack = bt.regs, bt.stack
    if not bt.frame:
        return bool(stack[0]) or (fr != 0 and bool(regs[0]))
    for f in range(bt.frame + 1):
        if stack[f] or (f != fr and regs[f]):
            return True
    return False


class _Decoded(dict[int, tuple]):
    """`Tracker.decoded`: each instruction's fields, decoded when first asked for (a
    backtracking walks a part of the program only; a negative index counts from the end)."""

    __slots__ = ("insns",)

    def __init__(self, insns: list[Insn]) -> None:
        super().__init__()
        self.insns = insns

    def __missing__(self, n: int) -> tuple:
        i = self.insns[n]
        got = self[n] = (i.cls, i.op, i.dst, i.src, i.uses_src_reg, i.mode, i.imm & 0xFFFFFFFF)
        return got


class _Fast(dict[int, tuple[int, int, int]]):
    """`Tracker.fast`: each instruction's `_fast_effect`, made when first asked for."""

    __slots__ = ("decoded", "calls_callback")

    def __init__(self, decoded: _Decoded, calls_callback: Callable[[int], bool]) -> None:
        super().__init__()
        self.decoded = decoded
        self.calls_callback = calls_callback

    def __missing__(self, n: int) -> tuple[int, int, int]:
        decoded = self.decoded
        got = self[n] = _fast_effect(decoded[n], self.calls_callback(n),
                                     decoded.insns[n].opcode == LDDW)
        return got


def precision_tables(insns: list[Insn], calls_callback: Callable[[int], bool]
                     ) -> tuple[dict[int, tuple], dict[int, tuple[int, int, int]]]:
    """`Tracker.decoded` and `Tracker.fast` of ``insns`` (a pure function of them and of which
    calls call callbacks: `pybpf.verifier.facts` keeps it per program), each filled per
    instruction when first read."""
    decoded = _Decoded(insns)
    return decoded, _Fast(decoded, calls_callback)


class Tracker:
    """Precision backtracking for one run: program facts plus the marking itself."""

    def __init__(self, insns: list[Insn], callee_of: Callable[[int], int | None],
                 is_global: Callable[[int], bool], calls_callback: Callable[[int], bool],
                 is_sync_callback_call: Callable[[int], bool],
                 note: Callable[[str], None] | None = None,
                 tables: tuple[dict, dict] | None = None) -> None:
        self.insns = insns
        #: per instruction: (class, op, dst, src, uses a source register, mode, imm), and
        #: its effect on the traced registers of the current frame when the step has no
        #: history flags: ``(trigger, keep, gen)``: if the traced mask meets ``trigger`` it
        #: becomes ``mask & keep | gen``; ``keep`` 0 sends such a step, and a ``trigger`` of
        #: -1 every step, to `backtrack_insn` (calls, exits, a traced register stored...);
        #: ``tables``: `precision_tables` of the same instructions, made before (else they
        #: are made at their first use, `__getattr__`: many runs never backtrack)
        if tables is not None:
            self.decoded, self.fast = tables
        #: `_walk`'s answers by (from, history stop, lowest, traced mask)
        self.walks: dict[tuple[int, int, int, int], tuple[int, int, bool]] = {}
        self.callee_of = callee_of
        self.is_global = is_global
        self.calls_callback = calls_callback
        self.is_sync_callback_call = is_sync_callback_call
        self.note = note
        #: `_jump`'s answers by (id of a history entry, traced mask, the state's first
        #: instruction, frame): (the entry, then where the walk stopped: instruction, history
        #: entries left, traced mask, subsequent instruction)
        self.jumps: dict[tuple[int, int, int, int], tuple[list, int, int, int, int]] = {}
        #: linked registers of a history entry as a mask of frame ``fr``'s registers (-1:
        #: some are in another frame or on the stack), by (linked, fr)
        self.linked_masks: dict[tuple[tuple, int], int] = {}
        #: `mark`'s walk of a register over its current state (no log), by (register, frames,
        #: instruction, the state's first instruction, its history's entries as tuples: the
        #: walk depends on nothing else): the frame-0 registers traced at the state's start
        #: (0 when the walk ended inside it). Most marks in a loop repeat an earlier
        #: iteration's walk and find those all precise in the parent checkpoint already:
        #: `_nothing_new` then answers without the walk.
        self.firsts: dict[tuple, int] = {}

    def _linked_mask(self, linked: tuple, fr: int) -> int:
        """The registers ``linked`` ties together as a mask of frame ``fr``'s (-1: the link
        reaches another frame or a stack slot: `backtrack_insn` syncs it)."""
        key = (linked, fr)
        got = self.linked_masks.get(key)
        if got is None:
            got = 0
            for frame, num, is_reg in linked:
                if not is_reg or frame != fr:
                    got = -1
                    break
                got |= 1 << num
            self.linked_masks[key] = got
        return got

    def _jump(self, history: list, hcount: int, i: int, r: int, first: int, subseq: int,
              fr: int) -> tuple[list, int, int, int, int]:
        """Steps back from step ``i`` (the one of history entry ``hcount - 1``) with the
        traced mask ``r`` of frame ``fr`` while the masks decide each step alone (`fast`,
        linked registers of frame ``fr`` included), across history entries: ``(entry, where
        it stopped, history entries left there, traced mask, subsequent instruction)``. It
        stops before a step `backtrack_insn` must do, before the state's first step, and
        where the mask becomes empty. The answer is remembered for every entry it passed
        (`jumps`): the history below an entry is the same in every copy of the state that
        holds it (entries are replaced, never changed, and only the last one), so a loop's
        backtracking walks each iteration once, not once per marking."""
        fast = self.fast
        walks = self.walks
        jumps = self.jumps
        linked_mask = self._linked_mask
        path: list[tuple[list, int]] = []
        start = history[hcount - 1]
        r_in = r
        while True:
            entry: list | None = history[hcount - 1] if hcount else None
            if entry is not None and entry[0] != i:
                entry = None
            if i == first and (hcount == 0 or (hcount == 1 and history[0][0] == i)):
                break  # the state's first step: the caller ends the state with it
            trig, keep, gen = fast[i]
            lmask = 0
            if entry is not None:
                if entry[2] or entry[1] < 0:
                    break
                if path:
                    got = jumps.get((id(entry), r, first, fr))
                    if got is not None and got[0] is entry:
                        _, i, hcount, r, subseq = got
                        break
                if entry[3]:
                    lmask = linked_mask(entry[3], fr)
                    if lmask < 0:
                        break
            elif i <= 0:
                break
            r2 = r | lmask if r & lmask else r
            if trig < 0 or (not keep and r2 & trig):
                break
            if entry is not None:
                path.append((entry, r))
            if r2 & trig:
                r2 = r2 & keep | gen
            if r2 & lmask:
                r2 |= lmask
            r = r2
            subseq = i
            if entry is not None:
                i = entry[1]
                hcount -= 1
            else:
                i -= 1
            if not r and r_in:
                break
            key = (i, history[hcount - 1][0], 0, r) if hcount else (i, first, first, r)
            i2, r, _ = walks.get(key) or _walk_kept(walks, fast, key)
            if i2 != i:
                subseq = i2 + 1
                i = i2
            if not r and r_in:
                break
        for entry, er in path:
            jumps[(id(entry), er, first, fr)] = (entry, i, hcount, r, subseq)
        return (start, i, hcount, r, subseq)

    def _first_walked(self, key: tuple, mask: int) -> None:
        """Remember for `firsts` that the walk of ``key`` ended with frame-0 registers ``mask``."""
        firsts = self.firsts
        if len(firsts) > _WALKS_MAX:
            firsts.clear()
        firsts[key] = mask

    @staticmethod
    def _nothing_new(start: State, mask: int) -> bool:
        """Whether `mark` would end at ``start``'s parent without a change, its walk over
        ``start`` having left the frame-0 registers ``mask``: none (the marking ended inside
        ``start``), or each a non-scalar or already precise in the parent."""
        if not mask:
            return True
        parent = start.parent
        if parent is None:
            return False
        regs = parent.frames[0].regs
        for r in SET_BITS.get(mask) or set_bits(mask):
            reg = regs[r]
            if reg.type is _SCALAR and not reg.precise:
                return False
        return True

    def __getattr__(self, name: str) -> Any:
        """`decoded` and `fast`, made when first read (then plain attributes)."""
        if name == "decoded" or name == "fast":
            self.decoded, self.fast = precision_tables(self.insns, self.calls_callback)
            return self.__dict__[name]
        raise AttributeError(name)

    # -- one instruction -----------------------------------------------------------------
    def backtrack_insn(self, idx: int, subseq: int, entry: list | None, bt: Backtrack) -> None:
        cls, op, d, s, x, mode, imm = self.decoded[idx]
        fr = bt.frame
        if entry is not None and entry[3]:
            _sync_linked(bt, entry)
        regs = bt.regs
        if cls == _ALU or cls == _ALU64:
            if not regs[fr] >> d & 1:
                return
            if op == _END or op == _NEG:
                return
            if op == _MOV:
                regs[fr] &= ~(1 << d)
                if x and s != 10:
                    regs[fr] |= 1 << s
            elif x and s != 10:
                regs[fr] |= 1 << s
        elif cls == _LDX or (cls == _STX and mode == _ATOMIC and imm == 0x100):  # load-acquire
            if not regs[fr] >> d & 1:
                return
            regs[fr] &= ~(1 << d)
            if entry is None or not entry[2] & F_STACK_ACCESS:
                return
            flags = entry[2]
            bt.stack[flags & F_FRAMENO_MASK] |= 1 << (flags >> F_SPI_SHIFT & F_SPI_MASK)
        elif cls == _STX or cls == _ST:
            if regs[fr] >> d & 1:
                raise NotSupported
            if entry is None or not entry[2] & F_STACK_ACCESS:
                return
            flags = entry[2]
            sfr, spi = flags & F_FRAMENO_MASK, flags >> F_SPI_SHIFT & F_SPI_MASK
            if not bt.stack[sfr] >> spi & 1:
                return
            bt.stack[sfr] &= ~(1 << spi)
            if cls == _STX:
                regs[fr] |= 1 << s
        elif cls == Class.JMP or cls == Class.JMP32:
            if op == JmpOp.CALL and s == CallSrc.LOCAL and cls == Class.JMP:
                callee = self.callee_of(idx)
                if callee is not None and self.is_global(callee):
                    if bt.regs[fr] & _ARGS:
                        raise NotSupported
                    bt.clear_reg(fr, 0)
                    return
                # a static subprog's call: we are leaving the callee, r1-r5 go to the caller
                if bt.regs[fr] & ~_ARGS or bt.stack[fr]:
                    raise NotSupported
                for r in range(1, 6):
                    if bt.is_reg(fr, r):
                        bt.clear_reg(fr, r)
                        bt.set_reg(fr - 1, r)
                bt.frame -= 1
                return
            if self.is_sync_callback_call(idx) and idx != subseq - 1:
                if bt.regs[fr] & ~_ARGS or bt.stack[fr]:
                    raise NotSupported
                for r in range(1, 6):
                    bt.clear_reg(fr, r)
                bt.frame -= 1
                return
            if op == JmpOp.CALL:
                if s == CallSrc.KFUNC and imm == 0:
                    raise NotSupported
                bt.clear_reg(fr, 0)
                if bt.regs[fr] & _ARGS:
                    raise NotSupported
                if s == CallSrc.HELPER and imm == _TAIL_CALL and subseq - idx != 1:
                    bt.frame += 1
                return
            if op == JmpOp.EXIT:
                if subseq >= 0 and self.calls_callback(subseq):
                    for r in range(1, 6):
                        bt.clear_reg(fr, r)
                if bt.regs[fr] & _ARGS:
                    raise NotSupported
                prev = self.insns[subseq - 1] if subseq - 1 >= 0 else None
                r0 = (prev is not None and prev.cls == Class.JMP and prev.op == JmpOp.CALL
                      and prev.src == CallSrc.LOCAL and bt.is_reg(fr, 0))
                bt.clear_reg(fr, 0)
                bt.frame += 1
                if r0:
                    bt.set_reg(bt.frame, 0)
                return
            if x and op not in (JmpOp.JA, JmpOp.JCOND):
                if not bt.is_reg(fr, d) and not bt.is_reg(fr, s):
                    return
                if entry is None or not entry[2] & F_SRC_REG_STACK:
                    bt.set_reg(fr, s)
                if entry is None or not entry[2] & F_DST_REG_STACK:
                    bt.set_reg(fr, d)
        elif cls == Class.LD:
            if not bt.is_reg(fr, d):
                return
            bt.clear_reg(fr, d)
            if self.insns[idx].opcode != LDDW:
                raise NotSupported
        if entry is not None and entry[3]:
            _sync_linked(bt, entry)

    # -- the chain of states -------------------------------------------------------------
    def mark(self, start: State, regno: int = -1, bt: Backtrack | None = None) -> bool:
        """``__mark_chain_precision``: trace R``regno`` (and/or what ``bt`` already holds)
        from the current state back through its checkpoints. Returns whether a mark changed."""
        changed = False
        first_key: tuple | None = None
        if bt is None:
            if regno < 0:
                return False
            history = start.history
            if self.note is None and len(history) <= _FIRSTS_HISTORY:
                first_key = (regno, len(start.frames), start.insn, start.first_insn,
                             tuple(map(tuple, history)))
                got = self.firsts.get(first_key)
                if got is not None and self._nothing_new(start, got):
                    return False
            bt = Backtrack(len(start.frames) - 1)
        if regno >= 0:
            fr = bt.frame
            if start.frames[fr].regs[regno].type is not _SCALAR:
                return False
            bt.regs[fr] |= 1 << regno
        elif bt.empty():
            return False
        st: State | None = start
        first_idx = start.first_insn
        last_idx = start.insn
        subseq = -1
        skip_first = True
        note = self.note
        fast = self.fast
        walks = self.walks
        jumps = self.jumps
        if len(jumps) > _WALKS_MAX:
            jumps.clear()
        while st is not None:
            history = st.history
            hcount = len(history)
            if note is not None:
                note(f"mark_precise: frame{bt.frame}: last_idx {last_idx} first_idx {first_idx} "
                     f"subseq_idx {subseq} ")
            if last_idx < 0:
                if (st.curframe == 0 and st.frames[0].subprog > 0 and st.frames[0].callsite == -1
                        and not bt.stack[0] and not bt.regs[0] & ~_ARGS):
                    f0 = st.frames[0]
                    for r in range(1, 6):
                        if bt.is_reg(0, r):
                            bt.clear_reg(0, r)
                            reg = f0.regs[r]
                            if reg.type is RT.SCALAR and not reg.precise:
                                f0.regs[r] = reg.with_(precise=True)
                                changed = True
                    return changed
                raise NotSupported
            i = last_idx
            # the traced registers of the current frame live in ``r`` while the steps stay
            # in the frame and touch nothing else (`Tracker.fast`); ``rest`` says whether
            # anything else (other frames, stack slots) is traced
            fr = bt.frame
            r = bt.regs[fr]
            rest = _rest(bt, fr) if fr else bool(bt.stack[0])
            first = st.first_insn
            while True:
                if not skip_first:
                    # the steps down to the next history entry (or, when none is left, the
                    # state's first instruction: a loop passes it again and again before
                    # that) that the masks decide alone: each one steps back by one
                    # (`_walk`, remembered: a loop walks the same stretches with the same
                    # masks again and again)
                    if hcount:
                        key = (i, history[hcount - 1][0], 0, r)
                    else:
                        key = (i, first, first, r)
                    i2, r, zeroed = walks.get(key) or _walk_kept(walks, fast, key)
                    if zeroed and not rest:
                        bt.regs[fr] = 0
                        if first_key is not None:
                            self._first_walked(first_key, 0)
                        return changed
                    if i2 != i:
                        subseq = i2 + 1
                        i = i2
                # the history entry of this step, if any (get_prev_insn_idx follows it back)
                entry: list | None = history[hcount - 1] if hcount else None
                if entry is not None and entry[0] != i:
                    entry = None
                if skip_first:
                    skip_first = False
                else:
                    if entry is not None and hcount > _JUMP_MIN:
                        # the steps down to where the masks stop deciding alone, across
                        # history entries (`_jump`, remembered per entry: worth it where
                        # the history is long, as a loop's is)
                        jumped = jumps.get((id(entry), r, first, fr))
                        if jumped is None or jumped[0] is not entry:
                            jumped = self._jump(history, hcount, i, r, first, subseq, fr)
                        if jumped[1] != i or jumped[2] != hcount:
                            _, i, hcount, r, subseq = jumped
                            if not r and not rest:
                                bt.regs[fr] = 0
                                if first_key is not None:
                                    self._first_walked(first_key, 0)
                                return changed
                            entry = history[hcount - 1] if hcount else None
                            if entry is not None and entry[0] != i:
                                entry = None
                    trig, keep, gen = fast[i]
                    if (entry is None or not entry[2] and not entry[3]) and trig >= 0 and (
                            keep or not r & trig):
                        if r & trig:
                            r = r & keep | gen
                            if not r and not rest:
                                bt.regs[fr] = 0
                                if first_key is not None:
                                    self._first_walked(first_key, 0)
                                return changed
                    elif entry is not None and not entry[2] and trig >= 0 and \
                            (lmask := self._linked_mask(entry[3], fr)) >= 0 and (
                                keep or not (r | lmask if r & lmask else r) & trig):
                        # linked registers of this frame only: backtrack_insn's syncs
                        # before and after the step, as masks
                        if r & lmask:
                            r |= lmask
                        if r & trig:
                            r = r & keep | gen
                            if r & lmask:
                                r |= lmask
                            if not r and not rest:
                                bt.regs[fr] = 0
                                if first_key is not None:
                                    self._first_walked(first_key, 0)
                                return changed
                    else:
                        bt.regs[fr] = r
                        try:
                            self.backtrack_insn(i, subseq, entry, bt)
                        except NotSupported:
                            self.mark_all_precise(start)
                            return True
                        if bt.empty():
                            return changed
                        fr = bt.frame
                        r = bt.regs[fr]
                        rest = _rest(bt, fr)
                subseq = i
                # get_prev_insn_idx
                if i == first and (hcount == 0 or (hcount == 1 and history[0][0] == i)):
                    break
                if entry is not None:
                    i = entry[1]
                    hcount -= 1
                else:
                    i -= 1
                if i < 0:
                    bt.regs[fr] = r
                    self.mark_all_precise(start)
                    return True
            bt.regs[fr] = r
            if first_key is not None:
                if not bt.frame and not bt.stack[0]:
                    self._first_walked(first_key, bt.regs[0])
                first_key = None
            st = st.parent
            if st is None:
                break
            if not bt.frame and not bt.stack[0]:
                # one frame, registers only (the common case)
                regs = st.frames[0].regs
                mask = bt.regs[0]
                for r in SET_BITS.get(mask) or set_bits(mask):
                    reg = regs[r]
                    if reg.type is not _SCALAR or reg.precise:
                        mask &= ~(1 << r)
                    else:
                        regs[r] = reg.with_(precise=True)
                        changed = True
                bt.regs[0] = mask
                if note is not None:
                    note(f"mark_precise: frame0: parent state regs={_fmt_regs(mask)} stack=: ")
                if not mask:
                    return changed
            else:
                for fr in range(bt.frame, -1, -1):
                    frame = st.frames[fr]
                    mask = bt.regs[fr]
                    r = 0
                    while mask:
                        if mask & 1:
                            reg = frame.regs[r]
                            if reg.type is not RT.SCALAR or reg.precise:
                                bt.clear_reg(fr, r)
                            else:
                                frame.regs[r] = reg.with_(precise=True)
                                changed = True
                        mask >>= 1
                        r += 1
                    smask = bt.stack[fr]
                    spi = 0
                    while smask:
                        if smask & 1:
                            if not frame.is_spilled_scalar(spi):
                                bt.clear_slot(fr, spi)
                            else:
                                reg = frame.spills[spi]
                                if reg.precise:
                                    bt.clear_slot(fr, spi)
                                else:
                                    frame.spills[spi] = reg.with_(precise=True)
                                    changed = True
                        smask >>= 1
                        spi += 1
                    if note is not None:
                        note(f"mark_precise: frame{fr}: parent state regs={_fmt_regs(bt.regs[fr])} "
                             f"stack={_fmt_stack(bt.stack[fr])}: ")
            if bt.empty():
                return changed
            subseq = first_idx
            last_idx = st.last_insn
            first_idx = st.first_insn
        if not bt.empty():
            self.mark_all_precise(start)
            return True
        return changed

    def mark_all_precise(self, start: State) -> None:
        """The fallback: every scalar of every checkpoint above ``start`` becomes precise."""
        if self.note is not None:
            self.note(f"mark_precise: frame{start.curframe}: falling back to forcing all scalars "
                      "precise")
        st = start.parent
        while st is not None:
            for frame in st.frames:
                regs = frame.regs
                for r in range(10):
                    reg = regs[r]
                    if reg.type is RT.SCALAR and not reg.precise:
                        regs[r] = reg.with_(precise=True)
                for spi, reg in list(frame.spills.items()):
                    if frame.is_spilled(spi) and reg.type is RT.SCALAR and not reg.precise:
                        frame.spills[spi] = reg.with_(precise=True)
            st = st.parent


def mark_all_imprecise(st: State) -> None:
    """Forget inherited precise marks before ``st`` becomes a checkpoint."""
    for frame in st.frames:
        regs = frame.regs
        if True in map(_PRECISE, regs):
            for r in range(10):
                reg = regs[r]
                if reg.precise:
                    regs[r] = reg.with_(precise=False)
        spills = frame.spills
        if spills:
            for spi, reg in list(spills.items()):
                if reg.precise and frame.is_spilled(spi):
                    spills[spi] = reg.with_(precise=False)


def precise_of(old: State) -> Backtrack:
    """propagate_precision's first half: the precise scalars of ``old``, as a backtrack set."""
    bt = Backtrack(old.curframe)
    bregs, bstack = bt.regs, bt.stack
    for fr, frame in enumerate(old.frames):
        regs = frame.regs
        flags = list(map(_PRECISE, regs))
        if True in flags:
            mask = 0
            for r in range(10):
                if flags[r] and regs[r].type is _SCALAR:
                    mask |= 1 << r
            bregs[fr] = mask
        spills = frame.spills
        if spills:
            mask = 0
            for spi, reg in spills.items():
                if reg.precise and reg.type is _SCALAR and frame.is_spilled(spi):
                    mask |= 1 << spi
            bstack[fr] = mask
    return bt


def _fmt_regs(mask: int) -> str:
    return ",".join(f"r{i}" for i in range(32) if mask >> i & 1)


def _fmt_stack(mask: int) -> str:
    return ",".join(str(-(i + 1) * 8) for i in range(64) if mask >> i & 1)


__all__ = ["Backtrack", "F_DST_REG_STACK", "F_SRC_REG_STACK", "F_STACK_ACCESS", "NotSupported",
           "Tracker", "mark_all_imprecise", "precise_of", "stack_access_flags"]
