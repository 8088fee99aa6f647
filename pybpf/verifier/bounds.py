"""The kernel's in-place bounds layer: the mutators of ``struct bpf_reg_state``'s scalar fields.

The kernel keeps a scalar as nine fields it updates in place: ``var_off`` (a `Tnum`),
``smin``/``smax``/``umin``/``umax`` and their 32-bit ``s32_``/``u32_`` twins. Its ALU,
branch and load code is written as small mutators over those fields
(``___mark_reg_known``, ``__update_reg_bounds``, ``__reg_deduce_bounds``,
``__reg_bound_offset``, ``reg_bounds_sync``, ``coerce_reg_to_size``...). This module is
that layer, on any object with the nine attributes (`Bounds`): `pybpf.verifier.scalar`
builds its immutable `Scalar` values with it, `pybpf.verifier.scalar_alu` and
`pybpf.verifier.scalar_branch` their transfer functions. Nothing here imports them.

`sync` is ``reg_bounds_sync`` in one pass over local variables (the verifier's hot path);
`sync_reference` is the same computation step by step as the kernel writes it, and a test
checks the two agree.

>>> from pybpf.verifier.scalar import Scalar
>>> s = Scalar(umin=10, umax=20)
>>> sync(s)
>>> s.smin, s.u32_max, s.var_off
(10, 20, Tnum(value=0x0, mask=0x1f))
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .tnum import U32, U64, UNKNOWN, Tnum, s32, s64

if TYPE_CHECKING:
    from .scalar import Scalar

S64_MIN = -(1 << 63)
S64_MAX = (1 << 63) - 1
S32_MIN = -(1 << 31)
S32_MAX = (1 << 31) - 1
_TOP32 = U64 ^ U32
_U64 = U64
_U32 = U32
_TOP = _TOP32
_S64_MIN = S64_MIN
_S32_MIN = S32_MIN
_S32_MAX = S32_MAX
_B64 = 1 << 64
_B32 = 1 << 32
_S64_B = 1 << 63


class Bounds(Protocol):
    """The nine scalar fields of a register, as the kernel's mutators see them."""

    var_off: Tnum
    smin: int
    smax: int
    umin: int
    umax: int
    s32_min: int
    s32_max: int
    u32_min: int
    u32_max: int


# -- reg_bounds_sync, fast: the nine fields in locals ------------------------------------------

def _step(v: int, m: int, z: int) -> int:
    tmax = v | m
    if z >= tmax:
        return tmax
    if z < v:
        return v
    d = z - v
    carry = (1 << (d & ~m).bit_length()) - 1
    return v | (((d | carry | (~m & _U64)) + 1) & m)


def sync(r: Bounds) -> None:  # noqa: C901 - one straight computation, on purpose
    """``reg_bounds_sync`` on ``r`` in place."""
    var_off = r.var_off
    tv, tm = var_off
    smin, smax, umin, umax = r.smin, r.smax, r.umin, r.umax
    s32min, s32max, u32min, u32max = r.s32_min, r.s32_max, r.u32_min, r.u32_max
    if not tm:  # a known value whose bounds hold it: they all become that value
        sv = tv - _B64 if tv >> 63 else tv
        lo = tv & _U32
        slo = lo - _B32 if lo >> 31 else lo
        if umin <= tv <= umax and smin <= sv <= smax and u32min <= lo <= u32max and \
                s32min <= slo <= s32max:
            r.smin = r.smax = sv
            r.umin = r.umax = tv
            r.s32_min = r.s32_max = slo
            r.u32_min = r.u32_max = lo
            return
    elif tm == _U64 and umin == 0 and umax == _U64 and smin == -_S64_B and smax == _S64_B - 1 \
            and u32min == 0 and u32max == _U32 and s32min == _S32_MIN and s32max == _S32_MAX:
        return  # nothing known: nothing to deduce
    key = (tv, tm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
    done = _SYNCED.get(key)
    if done is not None:  # the same ten fields were synchronised before: the same result
        (r.var_off, r.smin, r.smax, r.umin, r.umax,
         r.s32_min, r.s32_max, r.u32_min, r.u32_max) = done
        return
    for stage in (0, 1):
        # -- __update_reg32_bounds
        v, m = tv & _U32, tm & _U32
        x = v | (m & 0x80000000)
        x = x - _B32 if x >> 31 else x
        if x > s32min:
            s32min = x
        x = v | (m & 0x7FFFFFFF)
        x = x - _B32 if x >> 31 else x
        if x < s32max:
            s32max = x
        if v > u32min:
            u32min = v
        if (v | m) < u32max:
            u32max = v | m
        # -- __update_reg64_bounds
        x = tv | (tm & 0x8000000000000000)
        x = x - _B64 if x >> 63 else x
        if x > smin:
            smin = x
        x = tv | (tm & 0x7FFFFFFFFFFFFFFF)
        x = x - _B64 if x >> 63 else x
        if x < smax:
            smax = x
        if tv > umin:
            umin = tv
        tmax = tv | tm
        if tmax < umax:
            umax = tmax
        if tm:
            nxt = _step(tv, tm, umin)
            umin_in = (umin & ~tm) == tv
            known = None
            if umin_in and nxt > umax:
                known = umin
            elif not umin_in and nxt == tmax:
                known = tmax
            elif not umin_in and nxt <= umax and _step(tv, tm, nxt) > umax:
                known = nxt
            if known is not None:
                tv, tm = known, 0
                umin = umax = known
                smin = smax = known - _B64 if known >> 63 else known
                lo = known & _U32
                u32min = u32max = lo
                s32min = s32max = lo - _B32 if lo >> 31 else lo
        if stage == 1:
            break
        # -- three rounds of __reg_deduce_bounds
        for rnd in range(3):
            before = (tv, tm, smin, smax, umin, umax, s32min, s32max, u32min, u32max)
            # __reg32_deduce_bounds
            if (umin >> 32) == (umax >> 32):
                a, b = umin & _U32, umax & _U32
                if a > u32min:
                    u32min = a
                if b < u32max:
                    u32max = b
                a = a - _B32 if a >> 31 else a
                b = b - _B32 if b >> 31 else b
                if a <= b:
                    if a > s32min:
                        s32min = a
                    if b < s32max:
                        s32max = b
            if (smin >> 32) == (smax >> 32):
                a, b = smin & _U32, smax & _U32
                if a <= b:
                    if a > u32min:
                        u32min = a
                    if b < u32max:
                        u32max = b
                a = a - _B32 if a >> 31 else a
                b = b - _B32 if b >> 31 else b
                if a <= b:
                    if a > s32min:
                        s32min = a
                    if b < s32max:
                        s32max = b
            if ((umin >> 32) + 1) & _U32 == (umax >> 32) & _U32:
                a, b = umin & _U32, umax & _U32
                a = a - _B32 if a >> 31 else a
                b = b - _B32 if b >> 31 else b
                if a < 0 <= b:
                    if a > s32min:
                        s32min = a
                    if b < s32max:
                        s32max = b
            if ((smin >> 32) + 1) & _U32 == (smax >> 32) & _U32:
                a, b = smin & _U32, smax & _U32
                a = a - _B32 if a >> 31 else a
                b = b - _B32 if b >> 31 else b
                if a < 0 <= b:
                    if a > s32min:
                        s32min = a
                    if b < s32max:
                        s32max = b
            a = u32min - _B32 if u32min >> 31 else u32min
            b = u32max - _B32 if u32max >> 31 else u32max
            if a <= b:
                if a > s32min:
                    s32min = a
                if b < s32max:
                    s32max = b
            a, b = s32min & _U32, s32max & _U32
            if a <= b:
                if a > u32min:
                    u32min = a
                if b < u32max:
                    u32max = b
            elif u32max < a:
                s32min = u32min - _B32 if u32min >> 31 else u32min
                if b < u32max:
                    u32max = b
            elif b < u32min:
                s32max = u32max - _B32 if u32max >> 31 else u32max
                if a > u32min:
                    u32min = a
            # __reg64_deduce_bounds
            a = umin - _B64 if umin >> 63 else umin
            b = umax - _B64 if umax >> 63 else umax
            if a <= b:
                if a > smin:
                    smin = a
                if b < smax:
                    smax = b
            a, b = smin & _U64, smax & _U64
            if a <= b:
                if a > umin:
                    umin = a
                if b < umax:
                    umax = b
            elif umax < a:
                smin = umin - _B64 if umin >> 63 else umin
                if b < umax:
                    umax = b
            elif b < umin:
                smax = umax - _B64 if umax >> 63 else umax
                if a > umin:
                    umin = a
            # __reg_deduce_mixed_bounds
            x = (umin & _TOP) | u32min
            if x > umin:
                umin = x
            x = (umax & _TOP) | u32max
            if x < umax:
                umax = x
            x = (smin & _TOP) | u32min
            x = x - _B64 if x >> 63 else x
            if x > smin:
                smin = x
            x = (smax & _TOP) | u32max
            x = x - _B64 if x >> 63 else x
            if x < smax:
                smax = x
            if s32min >= 0 and smin >= _S32_MIN and smax <= _S32_MAX:
                smin, umin = s32min, s32min & _U64
                smax, umax = s32max, s32max & _U64
                chi = (umin ^ umax).bit_length()
                if chi > 63:
                    rv, rm = 0, _U64
                else:
                    rm = (1 << chi) - 1
                    rv = umin & ~rm
                mu = tm & rm
                tv, tm = (tv | rv) & ~mu, mu
            if before == (tv, tm, smin, smax, umin, umax, s32min, s32max, u32min, u32max):
                break
        # -- __reg_bound_offset
        tv0, tm0 = tv, tm
        chi = (umin ^ umax).bit_length()
        if chi > 63:
            rv, rm = 0, _U64
        else:
            rm = (1 << chi) - 1
            rv = umin & ~rm
        mu = tm & rm
        v64, m64 = (tv | rv) & ~mu, mu
        chi = (u32min ^ u32max).bit_length()
        rm = (1 << chi) - 1
        rv = u32min & ~rm
        mu = (m64 & _U32) & rm
        v32, m32 = ((v64 & _U32) | rv) & ~mu, mu
        tv = (v64 & _TOP) | v32
        tm = ((m64 & _TOP) | m32) & ~tv
        if rnd == 0 and tv == tv0 and tm == tm0:
            # the deduction and the offset changed nothing: the second
            # __update_reg_bounds would see what the first left, and it is idempotent
            break
    if tv != var_off.value or tm != var_off.mask:
        var_off = r.var_off = Tnum(tv, tm)
    r.smin, r.smax, r.umin, r.umax = smin, smax, umin, umax
    r.s32_min, r.s32_max, r.u32_min, r.u32_max = s32min, s32max, u32min, u32max
    if len(_SYNCED) >= _SYNCED_MAX:
        _SYNCED.clear()
    _SYNCED[key] = (var_off, smin, smax, umin, umax, s32min, s32max, u32min, u32max)


#: `sync` is a function of the ten fields: its results, by fields (loops synchronise the
#: same values on every iteration), emptied when it holds `_SYNCED_MAX` and by `forget`
_SYNCED: dict[tuple[int, ...], tuple] = {}
_SYNCED_MAX = 1 << 16
#: the results of whole transfer functions (`pybpf.verifier.scalar_alu.alu_binary`,
#: `Scalar.truncate`, `pybpf.verifier.scalar_branch.refine_first`) by their operands' fields: a loop runs the same operations on the same values on every iteration,
#: and a result is a value (never changed in place, as `Scalar.const`'s are shared), so it is
#: shared; emptied when it holds `RESULTS_MAX` and by `forget`. The keys of the three differ
#: in length (10, 20 and 21 items), so no two of them can meet.
RESULTS: dict[tuple, Scalar] = {}
RESULTS_MAX = 1 << 14


def forget() -> None:
    """Empty `sync`'s and `RESULTS`' memory (each verification starts without one, so that
    its time is its own)."""
    _SYNCED.clear()
    RESULTS.clear()


# -- the kernel's mutators, one by one ---------------------------------------------------------

def mark_known(r: Bounds, imm: int) -> None:
    """``___mark_reg_known``: every field from the 64-bit ``imm``."""
    r.var_off = Tnum(imm, 0)
    r.smin = r.smax = imm - (1 << 64) if imm >> 63 else imm
    r.umin = r.umax = imm
    lo = imm & U32
    r.s32_min = r.s32_max = lo - (1 << 32) if lo >> 31 else lo
    r.u32_min = r.u32_max = lo


def mark32_known(r: Bounds, imm: int) -> None:
    """``__mark_reg32_known``: the low 32 bits known, the 64-bit bounds untouched."""
    lo = imm & U32
    r.var_off = r.var_off.const_subreg(lo)
    r.s32_min = r.s32_max = lo - (1 << 32) if lo >> 31 else lo
    r.u32_min = r.u32_max = lo


def mark_unbounded(r: Bounds) -> None:
    r.smin, r.smax, r.umin, r.umax = S64_MIN, S64_MAX, 0, U64
    r.s32_min, r.s32_max, r.u32_min, r.u32_max = S32_MIN, S32_MAX, 0, U32


def mark64_unbounded(r: Bounds) -> None:
    r.smin, r.smax, r.umin, r.umax = S64_MIN, S64_MAX, 0, U64


def mark32_unbounded(r: Bounds) -> None:
    r.s32_min, r.s32_max, r.u32_min, r.u32_max = S32_MIN, S32_MAX, 0, U32


def mark_unknown(r: Bounds) -> None:
    r.var_off = UNKNOWN
    mark_unbounded(r)


def update_bounds32(r: Bounds) -> None:
    v = r.var_off.value & U32
    m = r.var_off.mask & U32
    lo = s32(v | (m & 0x80000000))
    hi = s32(v | (m & 0x7FFFFFFF))
    if lo > r.s32_min:
        r.s32_min = lo
    if hi < r.s32_max:
        r.s32_max = hi
    if v > r.u32_min:
        r.u32_min = v
    if (v | m) < r.u32_max:
        r.u32_max = v | m


def update_bounds64(r: Bounds) -> None:
    t = r.var_off
    v, m = t.value, t.mask
    lo = s64(v | (m & 0x8000000000000000))
    hi = s64(v | (m & 0x7FFFFFFFFFFFFFFF))
    if lo > r.smin:
        r.smin = lo
    if hi < r.smax:
        r.smax = hi
    if v > r.umin:
        r.umin = v
    tmax = v | m
    if tmax < r.umax:
        r.umax = tmax
    if m == 0:
        return
    # The u64 range and the tnum may meet in a single value.
    umin, umax = r.umin, r.umax
    nxt = t.step(umin)
    umin_in = (umin & ~m) == v
    if umin_in and nxt > umax:
        mark_known(r, umin)
    elif not umin_in and nxt == tmax:
        mark_known(r, tmax)
    elif not umin_in and nxt <= umax and t.step(nxt) > umax:
        mark_known(r, nxt)


def update_bounds(r: Bounds) -> None:
    """``__update_reg_bounds`` (in place): bounds tightened from the tnum."""
    update_bounds32(r)
    update_bounds64(r)


def _deduce32(r: Bounds) -> None:
    umin, umax, smin, smax = r.umin, r.umax, r.smin, r.smax
    if (umin >> 32) == (umax >> 32):
        r.u32_min = max(r.u32_min, umin & U32)
        r.u32_max = min(r.u32_max, umax & U32)
        a, b = s32(umin), s32(umax)
        if a <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    if (smin >> 32) == (smax >> 32):
        a, b = smin & U32, smax & U32
        if a <= b:
            r.u32_min = max(r.u32_min, a)
            r.u32_max = min(r.u32_max, b)
        a, b = s32(smin), s32(smax)
        if a <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    if ((umin >> 32) + 1) & U32 == (umax >> 32) & U32:
        a, b = s32(umin), s32(umax)
        if a < 0 <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    if ((smin >> 32) + 1) & U32 == (smax >> 32) & U32:
        a, b = s32(smin), s32(smax)
        if a < 0 <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    a, b = s32(r.u32_min), s32(r.u32_max)
    if a <= b:
        r.s32_min = max(r.s32_min, a)
        r.s32_max = min(r.s32_max, b)
    a, b = r.s32_min & U32, r.s32_max & U32
    if a <= b:
        r.u32_min = max(a, r.u32_min)
        r.u32_max = min(b, r.u32_max)
    elif r.u32_max < a:
        r.s32_min = s32(r.u32_min)
        r.u32_max = min(r.u32_max, b)
    elif b < r.u32_min:
        r.s32_max = s32(r.u32_max)
        r.u32_min = max(r.u32_min, a)


def _deduce64(r: Bounds) -> None:
    a, b = s64(r.umin), s64(r.umax)
    if a <= b:
        r.smin = max(r.smin, a)
        r.smax = min(r.smax, b)
    a, b = r.smin & U64, r.smax & U64
    if a <= b:
        r.umin = max(a, r.umin)
        r.umax = min(b, r.umax)
    elif r.umax < a:
        r.smin = s64(r.umin)
        r.umax = min(r.umax, b)
    elif b < r.umin:
        r.smax = s64(r.umax)
        r.umin = max(r.umin, a)


def _deduce_mixed(r: Bounds) -> None:
    new = (r.umin & _TOP32) | r.u32_min
    if new > r.umin:
        r.umin = new
    new = (r.umax & _TOP32) | r.u32_max
    if new < r.umax:
        r.umax = new
    new = s64((r.smin & _TOP32) | r.u32_min)
    if new > r.smin:
        r.smin = new
    new = s64((r.smax & _TOP32) | r.u32_max)
    if new < r.smax:
        r.smax = new
    if r.s32_min >= 0 and r.smin >= S32_MIN and r.smax <= S32_MAX:
        r.smin, r.umin = r.s32_min, r.s32_min & U64
        r.smax, r.umax = r.s32_max, r.s32_max & U64
        r.var_off = r.var_off.intersect(Tnum.range(r.umin, r.umax))


def deduce_bounds(r: Bounds) -> None:
    """``__reg_deduce_bounds`` (in place): 32-bit, 64-bit and mixed deductions."""
    _deduce32(r)
    _deduce64(r)
    _deduce_mixed(r)


def bound_offset(r: Bounds) -> None:
    """``__reg_bound_offset`` (in place): tnum tightened from the unsigned bounds."""
    var64 = r.var_off.intersect(Tnum.range(r.umin, r.umax))
    var32 = var64.subreg().intersect(Tnum.range(r.u32_min, r.u32_max))
    r.var_off = var64.clear_subreg().or_(var32)


def sync_reference(r: Bounds) -> None:
    """``reg_bounds_sync`` (in place), step by step as the kernel writes it.

    `sync` (the fast version above) must agree with it.
    """
    update_bounds(r)
    deduce_bounds(r)
    deduce_bounds(r)
    deduce_bounds(r)
    bound_offset(r)
    update_bounds(r)


def _assign_32_into_64(r: Bounds) -> None:
    r.umin = r.u32_min
    r.umax = r.u32_max
    if r.s32_min >= 0 and r.s32_max >= 0:
        r.smin = r.s32_min
        r.smax = r.s32_max
    else:
        r.smin = 0
        r.smax = U32


def zext_32_to_64(r: Bounds) -> None:
    r.var_off = r.var_off.subreg()
    _assign_32_into_64(r)


def coerce_to_size(r: Bounds, size: int) -> None:
    """``coerce_reg_to_size`` (in place): keep the low ``size`` bytes, zero-extended."""
    r.var_off = r.var_off.cast(size)
    mask = (1 << (size * 8)) - 1
    if (r.umin & ~mask) == (r.umax & ~mask):
        r.umin &= mask
        r.umax &= mask
    else:
        r.umin = 0
        r.umax = mask
    r.smin = s64(r.umin)
    r.smax = s64(r.umax)
    if size < 4:
        mark32_unbounded(r)
    sync(r)


_SEXT_LIMITS = {1: (-(1 << 7), (1 << 7) - 1), 2: (-(1 << 15), (1 << 15) - 1), 4: (S32_MIN, S32_MAX)}


def _sext(v: int, size: int) -> int:
    bits = size * 8
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def coerce_to_size_sx(r: Bounds, size: int, subreg_range: bool = True) -> None:
    """``coerce_reg_to_size_sx`` (in place): sign-extend the low ``size`` bytes to 64 bits.
    ``subreg_range``: the kernel's profile feature ``movsx_subreg_range`` (see below)."""
    if r.var_off.mask == 0:
        mark_known(r, _sext(r.var_off.value, size) & U64)
        return
    bits = size * 8
    if ((r.smax & U64) >> bits) == ((r.smin & U64) >> bits):
        a, b = _sext(r.smax, size), _sext(r.smin, size)
        hi, lo = max(a, b), min(a, b)
        if (hi >= 0) == (lo >= 0):
            r.smin = r.s32_min = lo
            r.smax = r.s32_max = hi
            r.umin = lo & U64
            r.u32_min = lo & U32
            r.umax = hi & U64
            r.u32_max = hi & U32
            r.var_off = Tnum.range(lo & U64, hi & U64)
            return
    r.umin, r.umax = 0, U64
    r.var_off = UNKNOWN
    if size == 4:
        # Sign-extending from 32 bits leaves the low 32 bits as they were: the kernel keeps
        # the subregister's bounds, the signed 64-bit range is the signed 32-bit one, and
        # the rest follows from them (a value masked with -16 keeps smax=0x7ffffff0 and
        # umax=0xfffffffffffffff0 through (s32)).
        r.smin, r.smax = r.s32_min, r.s32_max
        sync(r)
        return
    lo, hi = _SEXT_LIMITS[size]
    if subreg_range and lo <= r.s32_min and r.s32_max <= hi:
        # The low 32 bits are in the narrow type's range already, so their sign extension
        # keeps them: this kernel (6.18.44) then takes the range from the subregister's, as
        # for (s32) above (r7 <<= 32; r6 = (s8)r7 gives 0, a subregister in [-5, 3] gives
        # smin=-5,smax=3, one in [0, 255] the default range: measured on the live kernel).
        # A kernel's profile says whether it does (feature movsx_subreg_range, probed)
        r.smin, r.smax = r.s32_min, r.s32_max
        sync(r)
        return
    r.smin, r.smax = lo, hi
    r.s32_min, r.s32_max = lo, hi
    r.u32_min, r.u32_max = 0, U32


def coerce_subreg_to_size_sx(r: Bounds, size: int) -> None:
    """``coerce_subreg_to_size_sx`` (in place): sign-extend the low ``size`` bytes to 32 bits."""
    if r.var_off.mask == 0:
        v = _sext(r.var_off.value, size) & U64
        r.var_off = Tnum(v, 0)
        lo = v & U32
        r.s32_min = r.s32_max = s32(lo)
        r.u32_min = r.u32_max = lo
        return
    bits = size * 8
    if ((r.s32_max & U32) >> bits) == ((r.s32_min & U32) >> bits):
        a, b = _sext(r.s32_max, size), _sext(r.s32_min, size)
        hi, lo = max(a, b), min(a, b)
        if (lo >= 0) == (hi >= 0):
            r.s32_min, r.s32_max = lo, hi
            r.u32_min, r.u32_max = lo & U32, hi & U32
            r.var_off = Tnum.range(lo & U64, hi & U64).subreg()
            return
    lo, hi = _SEXT_LIMITS[size]
    r.s32_min, r.s32_max = lo, hi
    r.u32_min, r.u32_max = 0, U32
    r.var_off = UNKNOWN.subreg()
