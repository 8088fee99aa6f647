"""Tnum soundness: a concrete member of the inputs lands in the output of every operation."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.isa import AluOp
from pybpf.verifier.tnum import U32, U64, Tnum
from pybpf.vm.alu import alu_function, end_function

from .strategies import s64, tnums, u64s

BINARY = {
    "add": (Tnum.add, AluOp.ADD),
    "sub": (Tnum.sub, AluOp.SUB),
    "and": (Tnum.and_, AluOp.AND),
    "or": (Tnum.or_, AluOp.OR),
    "xor": (Tnum.xor, AluOp.XOR),
    "mul": (Tnum.mul, AluOp.MUL),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=150, deadline=None)
@given(a=tnums(), b=tnums())
def test_binary_ops_are_sound(name, a, b):
    op, aluop = BINARY[name]
    (ta, xs), (tb, ys) = a, b
    out = op(ta, tb)
    assert out.is_valid()
    concrete = alu_function(aluop, is64=True)
    for x in xs:
        for y in ys:
            assert out.contains(concrete(x, y)), (name, ta, tb, hex(x), hex(y), out)


@settings(max_examples=200, deadline=None)
@given(a=tnums(), shift=st.integers(0, 63))
def test_shifts_are_sound(a, shift):
    t, xs = a
    for x in xs:
        assert t.lshift(shift).contains((x << shift) & U64)
        assert t.rshift(shift).contains(x >> shift)
        assert t.arshift(shift, 64).contains((s64(x) >> shift) & U64)
        if shift < 32:
            sx = (x & U32) - ((x & 0x80000000) << 1)
            assert t.arshift(shift, 32).contains((sx >> shift) & U32)


@settings(max_examples=200, deadline=None)
@given(a=tnums())
def test_neg_casts_sext_bswap_are_sound(a):
    t, xs = a
    neg = alu_function(AluOp.NEG, is64=True)
    for x in xs:
        assert t.neg().contains(neg(x, 0))
        for size in (1, 2, 4):
            assert t.cast(size).contains(x & ((1 << (8 * size)) - 1))
            bits = 8 * size
            low = x & ((1 << bits) - 1)
            sx = (low - (1 << bits) if low >> (bits - 1) else low) & U64
            assert t.sext(size).contains(sx)
        assert t.subreg().contains(x & U32)
        assert t.clear_subreg().contains(x & (U64 ^ U32))
        for width in (16, 32, 64):
            assert t.bswap(width).contains(end_function(swap=True, width=width)(x, 0))


@settings(max_examples=200, deadline=None)
@given(a=tnums(), b=tnums())
def test_set_operations(a, b):
    (ta, xs), (tb, ys) = a, b
    u = ta.union(tb)
    assert u.is_valid()
    for v in xs + ys:
        assert u.contains(v)
    assert u.includes(ta) and u.includes(tb)
    inter = ta.intersect(tb)
    for v in xs:
        if tb.contains(v):
            assert inter.contains(v)
            assert ta.overlaps(tb)
    # with_subreg: upper half of one, lower half of the other
    w = ta.with_subreg(tb)
    for x in xs:
        for y in ys:
            assert w.contains((x & (U64 ^ U32)) | (y & U32))
    assert ta.const_subreg(7).contains((xs[0] & (U64 ^ U32)) | 7)


@settings(max_examples=300, deadline=None)
@given(lo=u64s, hi=u64s)
def test_range_holds_its_interval(lo, hi):
    lo, hi = min(lo, hi), max(lo, hi)
    t = Tnum.range(lo, hi)
    assert t.contains(lo) and t.contains(hi) and t.contains((lo + hi) // 2)
    # it never claims more known bits than the interval allows: lo is its minimum
    assert t.value <= lo


@settings(max_examples=300, deadline=None)
@given(mask=st.integers(0, 0xFFF), value=st.integers(0, 0xFFFF), z=st.integers(0, 0x1FFFF))
def test_step_is_next_member(mask, value, z):
    t = Tnum(value & ~mask, mask)
    members = t.members()
    bigger = [m for m in members if m > z]
    expected = min(bigger) if bigger else max(members)
    if z < t.value:
        expected = t.value
    assert t.step(z) == expected


@settings(max_examples=200, deadline=None)
@given(mask=st.integers(0, 0xFF), value=st.integers(0, 0xFF), m2=st.integers(0, 0xFF),
       v2=st.integers(0, 0xFF))
def test_includes_and_overlaps_agree_with_members(mask, value, m2, v2):
    a = Tnum(value & ~mask, mask)
    b = Tnum(v2 & ~m2, m2)
    ma, mb = set(a.members()), set(b.members())
    assert a.includes(b) == mb.issubset(ma)
    assert a.overlaps(b) == bool(ma & mb)


def test_predicates_and_text():
    assert Tnum.const(5).is_const and not Tnum(4, 1).is_const
    assert Tnum.unknown().is_unknown
    assert Tnum(0, 0xFFFF_0000_0000).subreg_is_const and not Tnum(0, 0x8000).subreg_is_const
    assert Tnum(8, 0).is_aligned(8) and not Tnum(0, 4).is_aligned(8) and Tnum(3, 0).is_aligned(0)
    assert Tnum.range(0, U64).is_unknown
    assert str(Tnum(0x10, 0xF)) == "(0x10; 0xf)"
    assert Tnum(0b100, 0b001).sbin().endswith("10x")
    with pytest.raises(ValueError, match="more than"):
        Tnum.unknown().members()
