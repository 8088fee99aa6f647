"""Fast-forward of loops the search walks one iteration at a time toward the 1M limit.

The kernel gives up on a program after processing 1,000,000 instructions ("BPF program is
too large"). The programs that get there are mostly loops whose states never converge: a
counter nobody compares (``while (bpf_ktime_get_ns() < end) n++``), a bound that moves
by one each iteration (``fact(n)`` turned into a loop), a callback whose caller's stack
changes on every call. The kernel walks such a loop iteration by iteration in a few
seconds; pybpf, walking the same way, would need a minute.

`FastForward` watches the states the search does not prune at a prune point, once the
search has done `START` instructions. When three successive visits of the same prune
point (same call site, same number of pending branches) have states of the same shape
(types, flags, stack layout, everything that is not a number) whose numbers (bounds,
known bits, offsets, ids, depths) move by the same amount each time, and the search did
the same work between them (instructions, jumps, ids, checkpoints), the loop is
periodic: the state is moved forward by as many whole periods as fit before the limit,
less two, with the counters moved with it. The search then runs the last iterations
itself, so the limit is hit at the instruction the kernel hits it at.

The jump is a prediction, checked afterwards: `pybpf.verifier.engine.verify` keeps a
result obtained after a jump only when it is the "too large" rejection; anything else
(the loop left before the limit, another error) is verified again without fast-forward.

>>> from pybpf.verifier.state import State
>>> ff = FastForward()
>>> shape, nums = signature(State())
>>> len(nums) > 0 and shape == signature(State())[0]
True
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import Class, JmpOp
from .bounds import S32_MAX, S32_MIN, S64_MAX, S64_MIN
from .bounds import sync as bounds_sync
from .scalar import Scalar
from .state import RefState, Reg, State
from .tnum import U32, U64, Tnum

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..isa import Insn
    from .explore import Search
    from .session import Session

#: instructions processed before the search starts watching for periodic loops
START = 20_000
#: whole periods left for the search to run itself after a jump
_MARGIN = 2
#: the longest period looked for, in visits of one prune point (a loop adds a checkpoint
#: every 100 instructions or 20 jumps: a period of several iterations)
MAX_PERIOD = 32
#: fewest periods worth a jump
_MIN_JUMP = 16

#: numeric fields of a register (besides its scalar value)
_REG_NUMS = ("off", "id", "ref_obj_id", "range", "mem_size", "dynptr_id", "iter_depth")


def _scalar_nums(s: Scalar) -> tuple[int, ...]:
    return (s.smin, s.smax, s.umin, s.umax, s.s32_min, s.s32_max, s.u32_min, s.u32_max,
            s.var_off.value, s.var_off.mask)


#: numeric fields that are names, not values a program compares (ids)
_ID_NUMS = frozenset({"id", "ref_obj_id", "dynptr_id"})


def _reg(r: Reg, shape: list, nums: list[int], values: list[int] | None) -> None:
    d = r.__dict__
    for k in sorted(d):
        v = d[k]
        if k == "var":
            shape.append(k)
            if values is not None:
                values.extend(range(len(nums), len(nums) + 10))
            nums.extend(_scalar_nums(v))
        elif k in _REG_NUMS:
            shape.append(k)
            if values is not None and k not in _ID_NUMS:
                values.append(len(nums))
            nums.append(v)
        else:
            shape.append((k, v))


#: `_reg`'s parts of one register: (the register, its shape, its numbers, the positions of
#: its values among its numbers)
_RegParts = tuple[Reg, tuple, tuple[int, ...], tuple[int, ...]]
#: registers whose parts are remembered at most (`signature`'s ``cache``)
_CACHE_MAX = 1 << 15


def _reg_parts(r: Reg, cache: dict[int, _RegParts]) -> _RegParts:
    """`_reg` of one register, remembered by identity (a `Reg` is never changed in place;
    the entry keeps the register, so its id is not reused while it is there)."""
    got = cache.get(id(r))
    if got is not None and got[0] is r:
        return got
    if len(cache) > _CACHE_MAX:
        cache.clear()
    shape: list = []
    nums: list[int] = []
    values: list[int] = []
    _reg(r, shape, nums, values)
    got = cache[id(r)] = (r, tuple(shape), tuple(nums), tuple(values))
    return got


def snapshot(st: State) -> tuple:
    """What `signature` reads of a state, kept without taking it apart: its fields, and each
    frame's registers and spills as they are (a `Reg` is never changed in place)."""
    frames = st.frames
    out = []
    for f in frames:
        spills = f.spills
        out.append(((f.frameno, f.callsite, f.subprog, f.callback, f.async_callback, f.ret_range,
                     f.allocated, bytes(f.stack[:f.allocated])),
                    (f.async_entry_cnt, f.callback_depth), tuple(f.regs),
                    tuple(sorted(spills.items())) if spills else ()))
    return ((len(frames), st.active_locks, st.active_lock_id, st.active_lock_ptr,
             st.active_rcu, st.active_preempt, st.active_irq_id, st.in_sleepable),
            (st.may_goto_depth, st.callback_unroll_depth, st.dfs_depth), tuple(st.refs),
            tuple(out))


def signature(st: State, values: list[int] | None = None,
              cache: dict[int, _RegParts] | None = None) -> tuple[list, list[int]]:
    """(shape, numbers) of a state: what must stay equal, and what may move by a period.

    ``values``, when given, receives the positions in the numbers of the values a program
    can compare (scalar bounds and known bits, offsets, sizes; not ids or depths).
    ``cache`` keeps each register's part from one call to the next."""
    return snapshot_signature(snapshot(st), values, cache)


def snapshot_signature(snap: tuple, values: list[int] | None = None,
                       cache: dict[int, _RegParts] | None = None) -> tuple[list, list[int]]:
    """`signature` of the state a `snapshot` was taken of."""
    if cache is None:
        cache = {}
    head, counts, refs, frames = snap
    shape: list = list(head)
    nums: list[int] = list(counts)
    for ref in refs:
        shape.append((ref.insn, ref.kind, ref.ptr))
        nums.append(ref.id)
    for fshape, fnums, regs, spills in frames:
        shape += fshape
        nums += fnums
        for r in regs:
            _, rs, rn, rv = _reg_parts(r, cache)
            shape += rs
            if values is not None:
                base = len(nums)
                values += [base + p for p in rv]
            nums += rn
        for spi, r in spills:
            shape.append(spi)
            _, rs, rn, rv = _reg_parts(r, cache)
            shape += rs
            if values is not None:
                base = len(nums)
                values += [base + p for p in rv]
            nums += rn
    return shape, nums


def compare_constants(insns: Sequence[Insn]) -> frozenset[int]:
    """The constants the program's conditional jumps compare with, in every width a bound
    can hold them (signed, unsigned 32 and 64 bits)."""
    out: set[int] = set()
    for insn in insns:
        if insn.cls in (Class.JMP, Class.JMP32) and not insn.uses_src_reg and \
                insn.op not in (JmpOp.JA, JmpOp.CALL, JmpOp.EXIT, JmpOp.JCOND):
            k = insn.imm
            out.update((k, k & U32, k & U64))
    return frozenset(out)


def periods_before_crossing(nums: list[int], step: list[int], values: list[int],
                            constants: frozenset[int]) -> int:
    """How many whole periods the numbers may move by ``step`` before a value reaches what a
    branch could compare it with: a constant of the program's conditional jumps, a value of
    the state that stays put, or another value moving at another rate. Past it a branch may
    be decided the other way (the loop left, a bound reached), so the period stops holding.

    >>> periods_before_crossing([0, 100], [1, 0], [0, 1], frozenset({10}))
    9
    """
    moving = [(nums[p], step[p]) for p in values if step[p]]
    if not moving:
        return 1 << 62
    fixed = set(constants)
    fixed.update(nums[p] for p in values if not step[p])
    best = 1 << 62
    for x, d in moving:
        for c in fixed:
            if d > 0 and c > x:
                best = min(best, (c - x - 1) // d)
            elif d < 0 and c < x:
                best = min(best, (x - c - 1) // -d)
    for a, da in moving:
        for b, db in moving:
            if a < b and da > db:  # a catches b up
                best = min(best, (b - a - 1) // (da - db))
    return best


def _valid_scalar(n: list[int]) -> Scalar | None:
    smin, smax, umin, umax, s32min, s32max, u32min, u32max, value, mask = n
    if not (S64_MIN <= smin <= smax <= S64_MAX and 0 <= umin <= umax <= U64
            and S32_MIN <= s32min <= s32max <= S32_MAX and 0 <= u32min <= u32max <= U32
            and 0 <= value <= U64 and 0 <= mask <= U64 and not value & mask):
        return None
    s = Scalar(Tnum(value, mask), smin, smax, umin, umax, s32min, s32max, u32min, u32max)
    synced = Scalar(Tnum(value, mask), smin, smax, umin, umax, s32min, s32max, u32min, u32max)
    bounds_sync(synced)
    return s if synced == s else None


class _Rebuild:
    """Writes a moved number vector back into a state (in `signature`'s order)."""

    def __init__(self, nums: list[int]) -> None:
        self.nums = nums
        self.pos = 0

    def take(self, n: int) -> list[int]:
        out = self.nums[self.pos:self.pos + n]
        self.pos += n
        return out

    def reg(self, r: Reg) -> Reg | None:
        d = r.__dict__
        changes: dict = {}
        for k in sorted(d):
            if k == "var":
                new = self.take(10)
                if new != list(_scalar_nums(d[k])):
                    s = _valid_scalar(new)
                    if s is None:
                        return None
                    changes[k] = s
            elif k in _REG_NUMS:
                (new_v,) = self.take(1)
                if new_v != d[k]:
                    if k != "off" and new_v < 0 or not S32_MIN <= new_v <= S32_MAX:
                        return None
                    changes[k] = new_v
        return r.with_(**changes) if changes else r


def _apply(st: State, nums: list[int]) -> bool:
    """Move ``st`` to the numbers ``nums`` (False, ``st`` unchanged, when they are not a state)."""
    rb = _Rebuild(nums)
    mg, cud, dfs = rb.take(3)
    refs = [RefState(rb.take(1)[0], r.insn, r.kind, r.ptr) for r in st.refs]
    frames: list[tuple[int, int, list[Reg], dict[int, Reg]]] = []
    for f in st.frames:
        aec, cbd = rb.take(2)
        regs: list[Reg] = []
        for r in f.regs:
            nr = rb.reg(r)
            if nr is None:
                return False
            regs.append(nr)
        spills: dict[int, Reg] = {}
        for spi in sorted(f.spills):
            nr = rb.reg(f.spills[spi])
            if nr is None:
                return False
            spills[spi] = nr
        frames.append((aec, cbd, regs, spills))
    if min(mg, cud, dfs) < 0 or any(r.id < 0 for r in refs):
        return False
    st.may_goto_depth, st.callback_unroll_depth, st.dfs_depth = mg, cud, dfs
    st.refs = refs
    for f, (aec, cbd, regs, spills) in zip(st.frames, frames, strict=True):
        f.async_entry_cnt, f.callback_depth = aec, cbd
        f.regs[:] = regs
        f.spills.clear()
        f.spills.update(spills)
    return True


def _period(a: list, b: list, c: list,
            cache: dict[int, _RegParts]) -> tuple[list[int], list[int]] | None:
    """The step (counters, numbers) from visit ``a`` to ``b`` when ``b`` to ``c`` is the same
    (a visit: ``[counters, snapshot, signature or None]``; a signature is made the first
    time the counters alone do not rule a period out)."""
    c1, c2, c3 = a[0], b[0], c[0]
    dc = [y - x for x, y in zip(c2, c3, strict=True)]
    if dc[0] <= 0 or dc[4] != 0 or dc != [y - x for x, y in zip(c1, c2, strict=True)]:
        return None
    for e in (a, b, c):
        if e[2] is None:
            e[2] = snapshot_signature(e[1], None, cache)
    (s1, n1), (s2, n2), (s3, n3) = a[2], b[2], c[2]
    if not (s1 == s2 == s3 and len(n1) == len(n2) == len(n3)):
        return None
    dn = [y - x for x, y in zip(n2, n3, strict=True)]
    if dn != [y - x for x, y in zip(n1, n2, strict=True)]:
        return None
    return dc, dn


class FastForward:
    """Watches one search's unpruned prune-point visits and jumps periodic loops ahead."""

    def __init__(self) -> None:
        #: (insn, callsite) -> the last visits: [counters, `snapshot`, (shape, numbers) once
        #: made], and how many of them have each number of pending branches
        self.seen: dict[tuple[int, int], tuple[list[list], dict[int, int]]] = {}
        #: whole periods skipped (0: no jump was made)
        self.jumped = 0
        #: the program's compared constants (`compare_constants`), found at the first period
        self.constants: frozenset[int] | None = None
        #: `signature`'s remembered register parts
        self.reg_parts: dict[int, _RegParts] = {}

    def visit(self, v: Session, search: Search, cur: State, i: int, limit: int) -> None:
        """A state the search keeps exploring at prune point ``i``: jump when periodic."""
        key = (i, cur.frames[-1].callsite)
        counters = (v.processed, v.jmps, v.id_gen, search.total_states, len(search.stack))
        snap = snapshot(cur)
        pending = counters[4]
        got = self.seen.get(key)
        if got is None:
            got = self.seen[key] = ([], {})
        hist, pendings = got
        hist.append([counters, snap, None])
        pendings[pending] = pendings.get(pending, 0) + 1
        if len(hist) > 2 * MAX_PERIOD + 1:
            gone = hist.pop(0)[0][4]
            pendings[gone] -= 1
        if pendings[pending] < 3:
            return  # fewer than two earlier visits with as many pending branches: no period
        cache = self.reg_parts
        for p in range(1, (len(hist) - 1) // 2 + 1):
            # a period keeps the number of pending branches (`_period`): a loop pushing a
            # branch each iteration toward the kernel's 8,192 compares nothing here
            if hist[-1 - p][0][4] != pending or hist[-1 - 2 * p][0][4] != pending:
                continue
            step = _period(hist[-1 - 2 * p], hist[-1 - p], hist[-1], cache)
            if step is not None:
                break
        else:
            return
        dc, dn = step
        values: list[int] = []
        _, n3 = snapshot_signature(snap, values, cache)
        periods = (limit - v.processed) // dc[0] - _MARGIN
        if self.constants is None:
            self.constants = compare_constants(v.insns)
        periods = min(periods, periods_before_crossing(n3, dn, values, self.constants) - _MARGIN)
        if periods < _MIN_JUMP:
            return
        if not _apply(cur, [x + periods * d for x, d in zip(n3, dn, strict=True)]):
            return
        v.processed += periods * dc[0]
        v.prev_insns += periods * dc[0]
        v.jmps += periods * dc[1]
        v.prev_jmps += periods * dc[1]
        v.id_gen += periods * dc[2]
        search.total_states += periods * dc[3]
        self.jumped += periods
        self.seen.clear()


__all__ = ["START", "FastForward", "signature", "snapshot", "snapshot_signature"]
