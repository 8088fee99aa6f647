"""Conditional jumps on scalars: known outcomes and refinement of both sides.

`is_branch_taken` decides, like the kernel's ``is_scalar_branch_taken``,
whether ``dst <op> src`` is always true (1), always false (0) or unknown (-1).
`refine` narrows both operands for one side of the jump
(``regs_refine_cond_op`` followed by ``reg_bounds_sync`` and the kernel's
sanity fallback), and `branch` combines them like ``check_cond_jmp_op`` /
``reg_set_min_max``: a decided jump yields only the side that is followed,
with the operands unchanged.

``op`` is a `pybpf.isa.JmpOp` (JEQ, JNE, JGT, JGE, JLT, JLE, JSGT, JSGE, JSLT,
JSLE, JSET); ``jmp32`` compares the low 32 bits (class JMP32). For a
``reg op imm`` jump pass ``Scalar.const(imm)`` with the immediate sign-extended
to 64 bits, as the kernel does.

>>> from pybpf.isa import JmpOp
>>> from pybpf.verifier.scalar import Scalar
>>> x = Scalar.from_range(0, 100)
>>> is_branch_taken(x, Scalar.const(200), JmpOp.JLT, False)
1
>>> b = branch(x, Scalar.const(10), JmpOp.JGT, False)
>>> b.taken, str(b.true[0]), str(b.false[0])
(-1, 'scalar(smin=umin=smin32=umin32=11,smax=umax=smax32=umax32=100,var_off=(0x0; 0x7f))', \
'scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))')
"""

from __future__ import annotations

from typing import NamedTuple

from ..isa.opcodes import JmpOp
from .bounds import RESULTS as _RESULTS
from .bounds import RESULTS_MAX as _RESULTS_MAX
from .bounds import mark_unbounded
from .bounds import sync as bounds_sync
from .scalar import Scalar
from .tnum import U32, U64, Tnum, s32, s64

_JEQ, _JNE, _JSET = int(JmpOp.JEQ), int(JmpOp.JNE), int(JmpOp.JSET)
_JGT, _JGE, _JLT, _JLE = int(JmpOp.JGT), int(JmpOp.JGE), int(JmpOp.JLT), int(JmpOp.JLE)
_JSGT, _JSGE, _JSLT, _JSLE = int(JmpOp.JSGT), int(JmpOp.JSGE), int(JmpOp.JSLT), int(JmpOp.JSLE)
#: The negation of JSET ("no common bit"), which has no opcode of its own.
JSET_FALSE = _JSET | 0x08

_FLIP = {_JEQ: _JEQ, _JNE: _JNE, _JSET: _JSET, _JGE: _JLE, _JGT: _JLT, _JLE: _JGE, _JLT: _JGT,
         _JSGE: _JSLE, _JSGT: _JSLT, _JSLE: _JSGE, _JSLT: _JSGT}
_REV = {_JEQ: _JNE, _JNE: _JEQ, _JSET: JSET_FALSE, JSET_FALSE: _JSET, _JGE: _JLT, _JGT: _JLE,
        _JLE: _JGT, _JLT: _JGE, _JSGE: _JSLT, _JSGT: _JSLE, _JSLE: _JSGT, _JSLT: _JSGE}


def flip_op(op: int) -> int:
    """The op that makes ``b <op'> a`` equal ``a <op> b``."""
    return _FLIP[int(op)]


def reverse_op(op: int) -> int:
    """The op of the fall-through (false) side; JSET's is `JSET_FALSE`."""
    return _REV[int(op)]


class Branch(NamedTuple):
    """Outcome of a conditional jump on two scalars.

    ``taken`` is 1 (always jumps), 0 (never) or -1 (both possible); ``true``
    and ``false`` are the ``(dst, src)`` pairs on the jump and fall-through
    sides, or None for a side that cannot happen.
    """

    taken: int
    true: tuple[Scalar, Scalar] | None
    false: tuple[Scalar, Scalar] | None


def is_branch_taken(a: Scalar, b: Scalar, op: JmpOp | int, jmp32: bool) -> int:
    """1 if ``a <op> b`` always holds, 0 if never, -1 if unknown.

    Like the running kernel, a comparison of a register with itself gets no
    special treatment: it is decided from the ranges only.

    >>> from pybpf.isa import JmpOp
    >>> is_branch_taken(Scalar.const(3), Scalar.const(3), JmpOp.JEQ, False)
    1
    """
    op = int(op)
    if jmp32:
        t1, t2 = a.var_off.subreg(), b.var_off.subreg()
        umin1, umax1, smin1, smax1 = a.u32_min, a.u32_max, a.s32_min, a.s32_max
        umin2, umax2, smin2, smax2 = b.u32_min, b.u32_max, b.s32_min, b.s32_max
    else:
        t1, t2 = a.var_off, b.var_off
        umin1, umax1, smin1, smax1 = a.umin, a.umax, a.smin, a.smax
        umin2, umax2, smin2, smax2 = b.umin, b.umax, b.smin, b.smax
    if op == _JEQ or op == _JNE:
        eq = op == _JEQ
        if t1.mask == 0 and t2.mask == 0:
            return int((t1.value == t2.value) == eq)
        differ = (not t1.overlaps(t2) or umin1 > umax2 or umax1 < umin2
                  or smin1 > smax2 or smax1 < smin2)
        if not differ and not jmp32:
            differ = (a.u32_min > b.u32_max or a.u32_max < b.u32_min
                      or a.s32_min > b.s32_max or a.s32_max < b.s32_min)
        if differ:
            return 0 if eq else 1
        return -1
    if op == _JSET:
        if not b.is_const_width(jmp32):
            t1, t2, b = t2, t1, a
        if not b.is_const_width(jmp32):
            return -1
        if (~t1.mask & t1.value) & t2.value:
            return 1
        if not ((t1.mask | t1.value) & t2.value):
            return 0
        return -1
    if op == _JGT:
        return 1 if umin1 > umax2 else 0 if umax1 <= umin2 else -1
    if op == _JSGT:
        return 1 if smin1 > smax2 else 0 if smax1 <= smin2 else -1
    if op == _JLT:
        return 1 if umax1 < umin2 else 0 if umin1 >= umax2 else -1
    if op == _JSLT:
        return 1 if smax1 < smin2 else 0 if smin1 >= smax2 else -1
    if op == _JGE:
        return 1 if umin1 >= umax2 else 0 if umax1 < umin2 else -1
    if op == _JSGE:
        return 1 if smin1 >= smax2 else 0 if smax1 < smin2 else -1
    if op == _JLE:
        return 1 if umax1 <= umin2 else 0 if umin1 > umax2 else -1
    if op == _JSLE:
        return 1 if smax1 <= smin2 else 0 if smin1 > smax2 else -1
    return -1


def _refine_in_place(r1: Scalar, r2: Scalar, op: int, jmp32: bool) -> None:
    """``regs_refine_cond_op``: narrow ``r1`` and ``r2`` assuming ``r1 <op> r2`` holds."""
    if op in (_JGE, _JGT, _JSGE, _JSGT):
        op = _FLIP[op]
        r1, r2 = r2, r1
    if op == _JEQ:
        if jmp32:
            r1.u32_min = max(r1.u32_min, r2.u32_min)
            r1.u32_max = min(r1.u32_max, r2.u32_max)
            r1.s32_min = max(r1.s32_min, r2.s32_min)
            r1.s32_max = min(r1.s32_max, r2.s32_max)
            r2.u32_min, r2.u32_max = r1.u32_min, r1.u32_max
            r2.s32_min, r2.s32_max = r1.s32_min, r1.s32_max
            t = r1.var_off.subreg().intersect(r2.var_off.subreg())
            r1.var_off = r1.var_off.with_subreg(t)
            r2.var_off = r2.var_off.with_subreg(t)
        else:
            r1.umin = max(r1.umin, r2.umin)
            r1.umax = min(r1.umax, r2.umax)
            r1.smin = max(r1.smin, r2.smin)
            r1.smax = min(r1.smax, r2.smax)
            r2.umin, r2.umax, r2.smin, r2.smax = r1.umin, r1.umax, r1.smin, r1.smax
            r1.var_off = r1.var_off.intersect(r2.var_off)
            r2.var_off = r1.var_off
    elif op == _JNE:
        if not r2.is_const_width(jmp32):
            r1, r2 = r2, r1
        if not r2.is_const_width(jmp32):
            return
        val = r2.const_value(jmp32)
        if jmp32:
            if r1.u32_min == val:
                r1.u32_min = (r1.u32_min + 1) & U32
            if r1.u32_max == val:
                r1.u32_max = (r1.u32_max - 1) & U32
            sv = s32(val)
            if r1.s32_min == sv:
                r1.s32_min = s32(r1.s32_min + 1)
            if r1.s32_max == sv:
                r1.s32_max = s32(r1.s32_max - 1)
        else:
            if r1.umin == val:
                r1.umin = (r1.umin + 1) & U64
            if r1.umax == val:
                r1.umax = (r1.umax - 1) & U64
            sv = s64(val)
            if r1.smin == sv:
                r1.smin = s64(r1.smin + 1)
            if r1.smax == sv:
                r1.smax = s64(r1.smax - 1)
    elif op == _JSET or op == JSET_FALSE:
        if not r2.is_const_width(jmp32):
            r1, r2 = r2, r1
        if not r2.is_const_width(jmp32):
            return
        val = r2.const_value(jmp32)
        if op == _JSET:
            if not val or val & (val - 1):
                return
            if jmp32:
                r1.var_off = r1.var_off.with_subreg(r1.var_off.subreg().or_(r2.var_off.subreg()))
            else:
                r1.var_off = r1.var_off.or_(r2.var_off)
        else:
            mark_unbounded(r1)
            t = r1.var_off
            if jmp32:
                r1.var_off = t.with_subreg(t.subreg().and_(Tnum(~val & U32, 0)))
            else:
                r1.var_off = t.and_(Tnum(~val & U64, 0))
    elif op == _JLE:
        if jmp32:
            r1.u32_max = min(r1.u32_max, r2.u32_max)
            r2.u32_min = max(r1.u32_min, r2.u32_min)
        else:
            r1.umax = min(r1.umax, r2.umax)
            r2.umin = max(r1.umin, r2.umin)
    elif op == _JLT:
        if jmp32:
            r1.u32_max = min(r1.u32_max, (r2.u32_max - 1) & U32)
            r2.u32_min = max((r1.u32_min + 1) & U32, r2.u32_min)
        else:
            r1.umax = min(r1.umax, (r2.umax - 1) & U64)
            r2.umin = max((r1.umin + 1) & U64, r2.umin)
    elif op == _JSLE:
        if jmp32:
            r1.s32_max = min(r1.s32_max, r2.s32_max)
            r2.s32_min = max(r1.s32_min, r2.s32_min)
        else:
            r1.smax = min(r1.smax, r2.smax)
            r2.smin = max(r1.smin, r2.smin)
    elif op == _JSLT:
        if jmp32:
            r1.s32_max = min(r1.s32_max, s32(r2.s32_max - 1))
            r2.s32_min = max(s32(r1.s32_min + 1), r2.s32_min)
        else:
            r1.smax = min(r1.smax, s64(r2.smax - 1))
            r2.smin = max(s64(r1.smin + 1), r2.smin)


def refine(a: Scalar, b: Scalar, op: JmpOp | int, jmp32: bool, *,
           sanitize: bool = True, same_reg: bool = False) -> tuple[Scalar, Scalar]:
    """New ``(a, b)`` narrowed by assuming ``a <op> b`` (op may be `JSET_FALSE`).

    Like the kernel, a result whose bounds contradict each other (a side that
    cannot happen) has its bounds forgotten when ``sanitize`` is true. With
    ``same_reg`` (``if r1 < r1``) both operands are one register, narrowed in
    place through both roles as the running kernel does (only the side that
    cannot happen changes).

    >>> from pybpf.isa import JmpOp
    >>> x, _ = refine(Scalar.unknown(), Scalar.const(7), JmpOp.JEQ, False)
    >>> x.fmt()
    '7'
    """
    # (not remembered as `refine_first` is: two registers compared mostly differ from one
    # visit to the next, copy_loop's on every one, and the key costs more than it saves)
    r1 = a.copy()
    r2 = r1 if same_reg else b.copy()
    _refine_in_place(r1, r2, int(op), jmp32)
    bounds_sync(r1)
    bounds_sync(r2)
    if sanitize:
        r1, r2 = r1.sanitized(), r2.sanitized()
    return r1, r2


def refine_first(a: Scalar, b: Scalar, op: int, jmp32: bool) -> Scalar:
    """``refine(a, b, op, jmp32)[0]`` for two different registers, without finishing ``b``'s
    side (a caller that throws it away, as a comparison with an immediate does). The result
    may be shared with an earlier call on the same values (`bounds.RESULTS`): never change it.

    `_refine_in_place` computes each of ``a``'s fields before it writes ``b``'s, so ``b``'s
    bounds synchronisation and sanity check cannot change ``a``'s result.
    """
    key = (_REFINE_FIRST, op, jmp32, a.var_off, a.smin, a.smax, a.umin, a.umax, a.s32_min,
           a.s32_max, a.u32_min, a.u32_max, b.var_off, b.smin, b.smax, b.umin, b.umax,
           b.s32_min, b.s32_max, b.u32_min, b.u32_max)
    got = _RESULTS.get(key)
    if got is not None:  # the same values refined before (a loop's): the same result
        return got
    r1 = a.copy()
    _refine_in_place(r1, b.copy(), int(op), jmp32)
    bounds_sync(r1)
    r1 = r1.sanitized()
    if len(_RESULTS) >= _RESULTS_MAX:
        _RESULTS.clear()
    _RESULTS[key] = r1
    return r1


#: the first item of `refine_first`'s keys in `bounds.RESULTS` (which other transfer
#: functions share: no key of theirs starts with it)
_REFINE_FIRST = "refine_first"


def branch(a: Scalar, b: Scalar, op: JmpOp | int, jmp32: bool, same_reg: bool = False) -> Branch:
    """Both sides of ``if a <op> b goto``, as the verifier explores them.

    A decided jump keeps the operands unchanged on the side that is followed.
    An undecided one refines both sides (``reg_set_min_max``); ``same_reg``
    says ``a`` and ``b`` are one register (``b`` is then ignored).
    """
    op = int(op)
    if same_reg:
        b = a
    taken = is_branch_taken(a, b, op, jmp32)
    if taken == 1:
        return Branch(1, (a, b), None)
    if taken == 0:
        return Branch(0, None, (a, b))
    return Branch(-1, refine(a, b, op, jmp32, same_reg=same_reg),
                  refine(a, b, _REV[op], jmp32, same_reg=same_reg))


__all__ = ["JSET_FALSE", "Branch", "branch", "flip_op", "is_branch_taken", "refine", "refine_first",
           "reverse_op"]
