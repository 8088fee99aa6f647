"""Hypothesis strategies for the scalar domains: abstract values with known members."""
from __future__ import annotations

from hypothesis import strategies as st

from pybpf.verifier.scalar import Scalar
from pybpf.verifier.tnum import U32, U64, Tnum

#: Values where arithmetic tends to go wrong: zero, signs, word edges.
EDGES = [0, 1, 2, 7, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         1 << 32, (1 << 32) + 1, (1 << 63) - 1, 1 << 63, U64 - 0x80000000, U64 - 1, U64]

u64s = st.one_of(st.sampled_from(EDGES), st.integers(0, U64),
                 st.integers(0, 0x1FF), st.integers(U64 - 0x1FF, U64),
                 st.integers(0, 0x1FF).map(lambda v: (v - 0x100) & U32),
                 st.integers(0, 0x1FF).map(lambda v: ((1 << 32) + v - 0x100) & U64))


def s64(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def s32(v: int) -> int:
    v &= U32
    return v - (1 << 32) if v >> 31 else v


def hull(values: list[int]) -> Scalar:
    """The tightest Scalar of each domain around ``values`` (not synchronised)."""
    t = Tnum.const(values[0])
    for v in values[1:]:
        t = t.union(Tnum.const(v))
    return Scalar(t, min(map(s64, values)), max(map(s64, values)), min(values), max(values),
                  min(s32(v) for v in values), max(s32(v) for v in values),
                  min(v & U32 for v in values), max(v & U32 for v in values))


@st.composite
def scalars(draw, max_members: int = 4) -> tuple[Scalar, list[int]]:
    """A Scalar and a few concrete members of it, built in one of several ways."""
    members = draw(st.lists(u64s, min_size=1, max_size=max_members))
    how = draw(st.sampled_from(["hull", "hull_sync", "tnum", "range", "srange", "const", "unknown",
                                "range32"]))
    x = members[0]
    if how == "hull":
        s = hull(members)
    elif how == "hull_sync":
        h = hull(members)
        s = Scalar.make(h.var_off, h.smin, h.smax, h.umin, h.umax, h.s32_min, h.s32_max,
                        h.u32_min, h.u32_max)
    elif how == "tnum":
        mask = draw(st.one_of(st.integers(0, U64), st.integers(0, 0xFF), st.sampled_from(
            [0xFF00, 0xF0F0, U32, U64 ^ U32, 1 << 63, 0x8000_0000])))
        for m in members[1:]:
            mask |= m ^ x
        s = Scalar.from_tnum(Tnum(x & ~mask & U64, mask))
    elif how == "range":
        lo = draw(st.integers(0, x))
        hi = draw(st.integers(x, U64))
        members = [v for v in members if lo <= v <= hi] or [x]
        s = Scalar.from_range(lo, hi)
    elif how == "srange":
        sx = s64(x)
        lo = draw(st.integers(-(1 << 63), sx))
        hi = draw(st.integers(sx, (1 << 63) - 1))
        members = [v for v in members if lo <= s64(v) <= hi] or [x]
        s = Scalar.from_range(lo, hi, signed=True)
    elif how == "range32":
        lo = draw(st.integers(0, x & U32))
        hi = draw(st.integers(x & U32, U32))
        members = [v for v in members if lo <= (v & U32) <= hi] or [x]
        s = Scalar.make(u32_min=lo, u32_max=hi)
    elif how == "const":
        members = [x]
        s = Scalar.const(x)
    else:
        s = Scalar.unknown()
    for v in members:
        assert s.contains(v), (how, s, hex(v))
    return s, members


@st.composite
def tnums(draw) -> tuple[Tnum, list[int]]:
    """A Tnum and some of its members."""
    x = draw(u64s)
    mask = draw(st.one_of(st.integers(0, U64), st.integers(0, 0xFF), st.just(0), st.just(U64),
                          st.sampled_from([0xF0F0, U32, U64 ^ U32, 1 << 63])))
    t = Tnum(x & ~mask & U64, mask)
    extra = draw(st.lists(st.integers(0, U64), max_size=3))
    return t, [x] + [t.value | (e & mask) for e in extra]
