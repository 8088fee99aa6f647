"""ALU transfer functions of the scalar domain (the kernel's ``adjust_scalar_min_max_vals``).

Each public function takes `Scalar` values and returns a new one; internally a
fresh copy of the destination is updated in place step by step, in the same
order as the running kernel (6.18) does, then synchronised (``reg_bounds_sync``).
Use them through `Scalar.alu`, `Scalar.neg` and `Scalar.end`.

>>> from pybpf.isa import AluOp
>>> from pybpf.verifier.scalar import Scalar
>>> r = Scalar.from_range(0, 240).alu(AluOp.AND, Scalar.const(0xf0))
>>> str(alu_neg(r, True))
'scalar(smin=smin32=-240,smax=smax32=0,umax=0xfffffffffffffff0,umax32=0xfffffff0,var_off=(0x0; 0xfffffffffffffff0))'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa.opcodes import AluOp
from .bounds import (
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    coerce_to_size,
    mark32_known,
    mark32_unbounded,
    mark64_unbounded,
    mark_known,
    mark_unbounded,
    mark_unknown,
    update_bounds,
    update_bounds32,
    zext_32_to_64,
)
from .bounds import RESULTS as _RESULTS
from .bounds import RESULTS_MAX as _RESULTS_MAX
from .bounds import sync as bounds_sync
from .tnum import U32, U64, Tnum, s32, s64

if TYPE_CHECKING:
    from .scalar import Scalar

_ADD, _SUB, _MUL, _DIV = int(AluOp.ADD), int(AluOp.SUB), int(AluOp.MUL), int(AluOp.DIV)
_OR, _AND, _LSH, _RSH = int(AluOp.OR), int(AluOp.AND), int(AluOp.LSH), int(AluOp.RSH)
_NEG, _MOD, _XOR, _ARSH = int(AluOp.NEG), int(AluOp.MOD), int(AluOp.XOR), int(AluOp.ARSH)
_ALWAYS = frozenset({_ADD, _SUB, _AND, _XOR, _OR, _MUL})
_SHIFTS = frozenset({_LSH, _RSH, _ARSH})
_BINARY = _ALWAYS | _SHIFTS | {_DIV, _MOD}


def src_is_const(src: Scalar, alu64: bool) -> bool:
    """The kernel's test that a source operand is a usable constant for this width."""
    if alu64:
        return src.var_off.mask == 0 and src.smin == src.smax and src.umin == src.umax
    return (not (src.var_off.mask & U32) and src.s32_min == src.s32_max
            and src.u32_min == src.u32_max)


def is_safe_to_compute(op: int, src: Scalar, alu64: bool) -> bool:
    """``is_safe_to_compute_dst_reg_range``: can the kernel bound ``dst op src``?

    Division and modulo cannot (the running kernel marks the result unknown);
    shifts only by a constant below the width.
    """
    if op in _ALWAYS:
        return True
    if op in _SHIFTS:
        return src_is_const(src, alu64) and src.umax < (64 if alu64 else 32)
    return False


# -- add / sub / mul --------------------------------------------------------

def _add32(r: Scalar, s: Scalar) -> None:
    lo, hi = r.s32_min + s.s32_min, r.s32_max + s.s32_max
    if lo < S32_MIN or lo > S32_MAX or hi < S32_MIN or hi > S32_MAX:
        r.s32_min, r.s32_max = S32_MIN, S32_MAX
    else:
        r.s32_min, r.s32_max = lo, hi
    lo, hi = r.u32_min + s.u32_min, r.u32_max + s.u32_max
    if lo <= U32 < hi:
        r.u32_min, r.u32_max = 0, U32
    else:
        r.u32_min, r.u32_max = lo & U32, hi & U32


def _add64(r: Scalar, s: Scalar) -> None:
    lo, hi = r.smin + s.smin, r.smax + s.smax
    if lo < S64_MIN or lo > S64_MAX or hi < S64_MIN or hi > S64_MAX:
        r.smin, r.smax = S64_MIN, S64_MAX
    else:
        r.smin, r.smax = lo, hi
    lo, hi = r.umin + s.umin, r.umax + s.umax
    if lo <= U64 < hi:
        r.umin, r.umax = 0, U64
    else:
        r.umin, r.umax = lo & U64, hi & U64


def _sub32(r: Scalar, s: Scalar) -> None:
    lo, hi = r.s32_min - s.s32_max, r.s32_max - s.s32_min
    if lo < S32_MIN or lo > S32_MAX or hi < S32_MIN or hi > S32_MAX:
        r.s32_min, r.s32_max = S32_MIN, S32_MAX
    else:
        r.s32_min, r.s32_max = lo, hi
    lo, hi = r.u32_min - s.u32_max, r.u32_max - s.u32_min
    if lo < 0 <= hi:
        r.u32_min, r.u32_max = 0, U32
    else:
        r.u32_min, r.u32_max = lo & U32, hi & U32


def _sub64(r: Scalar, s: Scalar) -> None:
    lo, hi = r.smin - s.smax, r.smax - s.smin
    if lo < S64_MIN or lo > S64_MAX or hi < S64_MIN or hi > S64_MAX:
        r.smin, r.smax = S64_MIN, S64_MAX
    else:
        r.smin, r.smax = lo, hi
    lo, hi = r.umin - s.umax, r.umax - s.umin
    if lo < 0 <= hi:
        r.umin, r.umax = 0, U64
    else:
        r.umin, r.umax = lo & U64, hi & U64


def _mul32(r: Scalar, s: Scalar) -> None:
    hi, lo = r.u32_max * s.u32_max, r.u32_min * s.u32_min
    if hi > U32 or lo > U32:
        r.u32_min, r.u32_max = 0, U32
    else:
        r.u32_min, r.u32_max = lo, hi
    prods = (r.s32_min * s.s32_min, r.s32_min * s.s32_max, r.s32_max * s.s32_min,
             r.s32_max * s.s32_max)
    if any(p < S32_MIN or p > S32_MAX for p in prods):
        r.s32_min, r.s32_max = S32_MIN, S32_MAX
    else:
        r.s32_min, r.s32_max = min(prods), max(prods)


def _mul64(r: Scalar, s: Scalar) -> None:
    hi, lo = r.umax * s.umax, r.umin * s.umin
    if hi > U64 or lo > U64:
        r.umin, r.umax = 0, U64
    else:
        r.umin, r.umax = lo, hi
    prods = (r.smin * s.smin, r.smin * s.smax, r.smax * s.smin, r.smax * s.smax)
    if any(p < S64_MIN or p > S64_MAX for p in prods):
        r.smin, r.smax = S64_MIN, S64_MAX
    else:
        r.smin, r.smax = min(prods), max(prods)


# -- bitwise ----------------------------------------------------------------

def _signed32_from_u32(r: Scalar) -> None:
    if s32(r.u32_min) <= s32(r.u32_max):
        r.s32_min, r.s32_max = s32(r.u32_min), s32(r.u32_max)
    else:
        r.s32_min, r.s32_max = S32_MIN, S32_MAX


def _signed64_from_u64(r: Scalar) -> None:
    if s64(r.umin) <= s64(r.umax):
        r.smin, r.smax = s64(r.umin), s64(r.umax)
    else:
        r.smin, r.smax = S64_MIN, S64_MAX


def _bitop32(r: Scalar, s: Scalar, op: int) -> None:
    t = r.var_off
    if not (s.var_off.mask & U32) and not (t.mask & U32):
        mark32_known(r, t.value)
        return
    v, m = t.value & U32, t.mask & U32
    if op == _AND:
        r.u32_min, r.u32_max = v, min(r.u32_max, s.u32_max)
    elif op == _OR:
        r.u32_min, r.u32_max = max(r.u32_min, s.u32_min), v | m
    else:
        r.u32_min, r.u32_max = v, v | m
    _signed32_from_u32(r)


def _bitop64(r: Scalar, s: Scalar, op: int) -> None:
    t = r.var_off
    if s.var_off.mask == 0 and t.mask == 0:
        mark_known(r, t.value)
        return
    if op == _AND:
        r.umin, r.umax = t.value, min(r.umax, s.umax)
    elif op == _OR:
        r.umin, r.umax = max(r.umin, s.umin), t.value | t.mask
    else:
        r.umin, r.umax = t.value, t.value | t.mask
    _signed64_from_u64(r)
    update_bounds(r)


# -- shifts -----------------------------------------------------------------

def _lsh32_bounds(r: Scalar, umin_val: int, umax_val: int) -> None:
    r.s32_min, r.s32_max = S32_MIN, S32_MAX
    if umax_val > 31 or r.u32_max > 1 << (31 - umax_val):
        r.u32_min, r.u32_max = 0, U32
    else:
        r.u32_min = (r.u32_min << umin_val) & U32
        r.u32_max = (r.u32_max << umax_val) & U32


def _lsh64_bounds(r: Scalar, umin_val: int, umax_val: int) -> None:
    if umin_val == 32 and umax_val == 32:
        r.smax = r.s32_max << 32
        r.smin = r.s32_min << 32
    else:
        r.smin, r.smax = S64_MIN, S64_MAX
    if r.umax > 1 << (63 - umax_val):
        r.umin, r.umax = 0, U64
    else:
        r.umin = (r.umin << umin_val) & U64
        r.umax = (r.umax << umax_val) & U64


def _shift(r: Scalar, s: Scalar, op: int, alu64: bool) -> None:
    if alu64:
        lo, hi = s.umin, s.umax
        if op == _LSH:
            _lsh64_bounds(r, lo, hi)
            _lsh32_bounds(r, lo, hi)
            r.var_off = r.var_off.lshift(lo)
            update_bounds(r)
        elif op == _RSH:
            r.smin, r.smax = S64_MIN, S64_MAX
            r.var_off = r.var_off.rshift(lo)
            r.umin >>= hi
            r.umax >>= lo
            mark32_unbounded(r)
            update_bounds(r)
        else:
            r.smin >>= lo
            r.smax >>= lo
            r.var_off = r.var_off.arshift(lo, 64)
            r.umin, r.umax = 0, U64
            mark32_unbounded(r)
            update_bounds(r)
        return
    lo, hi = s.u32_min, s.u32_max
    sub = r.var_off.subreg()
    if op == _LSH:
        _lsh32_bounds(r, lo, hi)
        r.var_off = sub.lshift(lo).subreg()
    elif op == _RSH:
        r.s32_min, r.s32_max = S32_MIN, S32_MAX
        r.var_off = sub.rshift(lo)
        r.u32_min >>= hi
        r.u32_max >>= lo
    else:
        r.s32_min >>= lo
        r.s32_max >>= lo
        r.var_off = sub.arshift(lo, 32)
        r.u32_min, r.u32_max = 0, U32
    mark64_unbounded(r)
    update_bounds32(r)


# -- entry points -----------------------------------------------------------

def alu_binary(dst: Scalar, op: int, src: Scalar, alu64: bool) -> Scalar:
    """``dst op= src`` for ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH, ARSH.

    Raises ValueError for MOV, NEG and END, which have their own methods. The result may
    be shared with an earlier call on the same values (`bounds.RESULTS`): never change it.
    """
    key = (op, alu64, dst.var_off, dst.smin, dst.smax, dst.umin, dst.umax, dst.s32_min,
           dst.s32_max, dst.u32_min, dst.u32_max, src.var_off, src.smin, src.smax, src.umin,
           src.umax, src.s32_min, src.s32_max, src.u32_min, src.u32_max)
    got = _RESULTS.get(key)
    if got is not None:
        return got
    r = _alu_binary(dst, op, src, alu64)
    if len(_RESULTS) >= _RESULTS_MAX:
        _RESULTS.clear()
    _RESULTS[key] = r
    return r


def _alu_binary(dst: Scalar, op: int, src: Scalar, alu64: bool) -> Scalar:
    """`alu_binary`, computed."""
    if op not in _BINARY:
        name = AluOp(op).name if op in AluOp._value2member_map_ else hex(op)
        raise ValueError(f"Scalar.alu: {name} is not a binary ALU operation "
                         "(use Scalar.neg, Scalar.end, Scalar.movsx or Scalar.mov32)")
    if not is_safe_to_compute(op, src, alu64):
        r = dst.copy()
        mark_unknown(r)
        return r
    if _exact(dst) and _exact(src):  # both known: the kernel's bounds end on the result
        return const_result(op, dst.var_off.value, src.var_off.value, alu64)
    r = dst.copy()
    if op == _ADD:
        _add32(r, src)
        _add64(r, src)
        r.var_off = r.var_off.add(src.var_off)
    elif op == _SUB:
        _sub32(r, src)
        _sub64(r, src)
        r.var_off = r.var_off.sub(src.var_off)
    elif op == _MUL:
        r.var_off = r.var_off.mul(src.var_off)
        _mul32(r, src)
        _mul64(r, src)
    elif op == _AND:
        r.var_off = r.var_off.and_(src.var_off)
        _bitop32(r, src, op)
        _bitop64(r, src, op)
    elif op == _OR:
        r.var_off = r.var_off.or_(src.var_off)
        _bitop32(r, src, op)
        _bitop64(r, src, op)
    elif op == _XOR:
        r.var_off = r.var_off.xor(src.var_off)
        _bitop32(r, src, op)
        _bitop64(r, src, op)
    else:
        _shift(r, src, op, alu64)
    if not alu64:
        zext_32_to_64(r)
    bounds_sync(r)
    return r


def _exact(s: Scalar) -> bool:
    """A known value whose nine bounds all say so (what `bounds.sync` makes of one)."""
    v = s.var_off.value
    return (not s.var_off.mask and s.umin == v == s.umax and s.smin == s.smax
            and s.u32_min == s.u32_max and s.s32_min == s.s32_max)


def const_result(op: int, a: int, b: int, alu64: bool) -> Scalar:
    """``a op b`` on known values (ADD..ARSH but DIV and MOD, a shift amount in range): the
    value every path of `alu_binary` reaches (wrapped arithmetic overflows to unbounded
    ranges, which the known tnum then pins, as ``reg_bounds_sync`` does)."""
    from .scalar import Scalar

    return Scalar.const(const_value(op, a, b, alu64))


def const_value(op: int, a: int, b: int, alu64: bool) -> int:
    """The number `const_result` holds."""
    mask = U64 if alu64 else U32
    a &= mask
    b &= mask
    if op == _ADD:
        v = a + b
    elif op == _SUB:
        v = a - b
    elif op == _MUL:
        v = a * b
    elif op == _AND:
        v = a & b
    elif op == _OR:
        v = a | b
    elif op == _XOR:
        v = a ^ b
    elif op == _LSH:
        v = a << b
    elif op == _RSH:
        v = a >> b
    else:  # ARSH
        v = (s64(a) if alu64 else s32(a)) >> b
    return v & mask


def alu_neg(dst: Scalar, alu64: bool) -> Scalar:
    """``dst = -dst``: computed as ``0 - dst`` on the bounds, tnum negated."""
    r = dst.copy()
    mark_known(r, 0)
    _sub32(r, dst)
    _sub64(r, dst)
    r.var_off = dst.var_off.neg()
    if not alu64:
        zext_32_to_64(r)
    bounds_sync(r)
    return r


def alu_end(dst: Scalar, bits: int, to_be: bool, alu64: bool) -> Scalar:
    """Byte swap on a little-endian host (``scalar_byte_swap``).

    ``bswapN`` (``alu64``) and ``beN`` swap the bytes; ``leN`` only truncates
    (16, 32) or does nothing (64).
    """
    r = dst.copy()
    if alu64 or to_be:
        r.var_off = r.var_off.bswap(bits)
        mark_unbounded(r)
    if bits in (16, 32):
        coerce_to_size(r, bits // 8)
    bounds_sync(r)
    return r


def add_fake_const(dst: Scalar, delta: int, zext32: bool) -> Scalar:
    """``dst + delta`` the way ``sync_linked_regs`` adds a known delta."""
    r = dst.copy()
    fake = dst.copy()
    mark_known(fake, delta & U64)
    _add32(r, fake)
    _add64(r, fake)
    r.var_off = r.var_off.add(Tnum(delta & U64, 0))
    if zext32:
        zext_32_to_64(r)
    bounds_sync(r)
    return r


def fork_minus_one_or_zero(dst: Scalar) -> tuple[Scalar, Scalar] | None:
    """``maybe_fork_scalars``: a value known to be -1 or 0 is split before AND/OR with a constant.

    Returns ``(zero_side, minus_one_side)`` (the verifier explores the zero
    side as a new branch re-running the instruction), or None when ``dst``
    is not in ``[-1, 0]`` (64-bit) nor in ``[-1, 0]`` in its low 32 bits.
    """
    if dst.smin == -1 and dst.smax == 0:
        zero, minus = dst.copy(), dst.copy()
        mark_known(zero, 0)
        mark_known(minus, U64)
        return zero, minus
    if dst.s32_min == -1 and dst.s32_max == 0:
        zero, minus = dst.copy(), dst.copy()
        mark32_known(zero, 0)
        mark32_known(minus, U64)
        return zero, minus
    return None
