"""``reg_bounds_sync`` in one pass over local variables (the hot path of the verifier).

Computes exactly what `pybpf.verifier.scalar.bounds_sync_reference` computes
(``__update_reg_bounds``, three rounds of ``__reg_deduce_bounds``,
``__reg_bound_offset``, ``__update_reg_bounds``), a test checks the two agree,
but keeps the nine fields in locals instead of attributes, and stops the
deduction rounds as soon as one changes nothing (a round is a pure function of
the fields, so the remaining rounds would change nothing either).

>>> from pybpf.verifier.scalar import Scalar
>>> s = Scalar(umin=10, umax=20)
>>> sync_fields(s)
>>> s.smin, s.u32_max, s.var_off
(10, 20, Tnum(value=0x0, mask=0x1f))
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .tnum import Tnum

if TYPE_CHECKING:
    from .scalar import Scalar

_U64 = (1 << 64) - 1
_U32 = (1 << 32) - 1
_TOP = _U64 ^ _U32
_S64_MIN = -(1 << 63)
_S32_MIN = -(1 << 31)
_S32_MAX = (1 << 31) - 1
_B64 = 1 << 64
_B32 = 1 << 32


def _step(v: int, m: int, z: int) -> int:
    tmax = v | m
    if z >= tmax:
        return tmax
    if z < v:
        return v
    d = z - v
    carry = (1 << (d & ~m).bit_length()) - 1
    return v | (((d | carry | (~m & _U64)) + 1) & m)


def sync_fields(r: Scalar) -> None:  # noqa: C901 - one straight computation, on purpose
    """``reg_bounds_sync`` on ``r`` in place."""
    tv, tm = r.var_off
    smin, smax, umin, umax = r.smin, r.smax, r.umin, r.umax
    s32min, s32max, u32min, u32max = r.s32_min, r.s32_max, r.u32_min, r.u32_max
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
        for _ in range(3):
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
    r.var_off = Tnum(tv, tm)
    r.smin, r.smax, r.umin, r.umax = smin, smax, umin, umax
    r.s32_min, r.s32_max, r.u32_min, r.u32_max = s32min, s32max, u32min, u32max
