"""Scalar soundness: for every ALU op and jump in both widths, a concrete value drawn
from inside the input abstract values lands inside the output abstract value.

Concrete results come from the VM's arithmetic (`pybpf.vm.alu`), the single
definition of the ISA's semantics in pybpf (division by zero, masked shifts,
32-bit zero extension, sign-extending moves, byte swaps).
"""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.isa import AluOp, JmpOp
from pybpf.verifier.scalar import Scalar
from pybpf.verifier.scalar_alu import fork_minus_one_or_zero
from pybpf.verifier.scalar_branch import JSET_FALSE, branch, is_branch_taken, refine, reverse_op
from pybpf.verifier.tnum import U32, U64, Tnum
from pybpf.vm.alu import alu_function, end_function, jump_function

from .strategies import hull, scalars, u64s

BINARY_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.MOD, AluOp.OR, AluOp.AND,
              AluOp.LSH, AluOp.RSH, AluOp.XOR, AluOp.ARSH]
JUMPS = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSGT,
         JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE, JmpOp.JSET]
EXAMPLES = int(os.environ.get("PYBPF_VERIFIER_EXAMPLES", "70"))


def _check_sound(out: Scalar, value: int, what: str) -> None:
    assert out.is_well_formed(), (what, repr(out))
    assert out.contains(value), f"{what}: {value:#x} not in {out!r}"


@pytest.mark.parametrize("alu64", [True, False], ids=["alu64", "alu32"])
@pytest.mark.parametrize("op", BINARY_OPS, ids=lambda o: o.name)
@settings(max_examples=EXAMPLES, deadline=None)
@given(dst=scalars(), src=scalars(), signed=st.booleans(), data=st.data())
def test_alu_reg_is_sound(op, alu64, dst, src, signed, data):
    (d, xs), (s, ys) = dst, src
    off = 1 if signed and op in (AluOp.DIV, AluOp.MOD) else 0
    if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH) and data.draw(st.booleans(), label="K shift"):
        k = data.draw(st.integers(0, 63 if alu64 else 31), label="shift")
        s, ys = Scalar.const(k), [k]
    out = d.alu(op, s, alu64=alu64, off=off)
    fn = alu_function(op, is64=alu64, signed=bool(off))
    for x in xs:
        for y in ys:
            _check_sound(out, fn(x, y), f"{op.name}{64 if alu64 else 32} {x:#x}, {y:#x}")


@pytest.mark.parametrize("alu64", [True, False], ids=["alu64", "alu32"])
@pytest.mark.parametrize("op", BINARY_OPS, ids=lambda o: o.name)
@settings(max_examples=EXAMPLES, deadline=None)
@given(dst=scalars(), imm=st.integers(-(1 << 31), (1 << 31) - 1), signed=st.booleans())
def test_alu_imm_is_sound(op, alu64, dst, imm, signed):
    """``dst op= imm``: the kernel sees the immediate sign-extended to 64 bits."""
    d, xs = dst
    if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH):
        imm &= 63 if alu64 else 31
    if op in (AluOp.DIV, AluOp.MOD) and imm == 0:
        imm = 3
    off = 1 if signed and op in (AluOp.DIV, AluOp.MOD) else 0
    out = d.alu(op, Scalar.const(imm & U64), alu64=alu64, off=off)
    fn = alu_function(op, is64=alu64, signed=bool(off))
    for x in xs:
        _check_sound(out, fn(x, imm & (U64 if alu64 else U32)), f"{op.name} {x:#x}, {imm}")


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(dst=scalars(), alu64=st.booleans())
def test_neg_is_sound(dst, alu64):
    d, xs = dst
    out = d.neg(alu64=alu64)
    fn = alu_function(AluOp.NEG, is64=alu64)
    for x in xs:
        _check_sound(out, fn(x, 0), f"neg{64 if alu64 else 32} {x:#x}")


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(dst=scalars(), bits=st.sampled_from([16, 32, 64]),
       kind=st.sampled_from(["le", "be", "bswap"]))
def test_end_is_sound(dst, bits, kind):
    d, xs = dst
    out = d.end(bits, to_be=kind == "be", alu64=kind == "bswap")
    fn = end_function(swap=kind != "le", width=bits)
    for x in xs:
        _check_sound(out, fn(x, 0), f"{kind}{bits} {x:#x}")


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(src=scalars(), alu64=st.booleans(), bits=st.sampled_from([0, 8, 16, 32]))
def test_mov_and_movsx_are_sound(src, alu64, bits):
    s, ys = src
    if bits == 32 and not alu64:
        bits = 16
    if bits == 0:
        out = s if alu64 else s.mov32()
    else:
        out = s.movsx(bits, alu64=alu64)
    fn = alu_function(AluOp.MOV, is64=alu64, movsx=bits)
    for y in ys:
        _check_sound(out, fn(0, y), f"mov{'' if not bits else 'sx' + str(bits)} {y:#x}")


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(src=scalars(), size=st.sampled_from([1, 2, 4, 8]), delta=st.integers(-(1 << 31), (1 << 31) - 1))
def test_loads_truncation_and_linked_add_are_sound(src, size, delta):
    s, ys = src
    for y in ys:
        low = y & ((1 << (8 * size)) - 1)
        _check_sound(s.truncate(size), low, f"truncate{size} {y:#x}")
        if size < 8:
            sx = (low - (1 << (8 * size)) if low >> (8 * size - 1) else low) & U64
            _check_sound(s.sext_load(size), sx, f"sext{size} {y:#x}")
        _check_sound(s.add_const(delta), (y + delta) & U64, f"add_const {y:#x}")
        if y <= U32:
            _check_sound(s.add_const(delta, zext32=True), (y + delta) & U32, f"add_const32 {y:#x}")


@pytest.mark.parametrize("jmp32", [False, True], ids=["jmp64", "jmp32"])
@pytest.mark.parametrize("op", JUMPS, ids=lambda o: o.name)
@settings(max_examples=EXAMPLES, deadline=None)
@given(dst=scalars(), src=scalars(), use_imm=st.booleans(), imm=st.integers(-(1 << 31), (1 << 31) - 1))
def test_branch_refinement_is_sound(op, jmp32, dst, src, use_imm, imm):
    """A pair that takes (or skips) the jump lies within the refined values of that side,
    and a decided outcome is never contradicted by a concrete pair."""
    (a, xs), (b, ys) = dst, src
    if use_imm:
        b, ys = Scalar.const(imm & U64), [imm & U64]
    result = branch(a, b, op, jmp32)
    taken = is_branch_taken(a, b, op, jmp32)
    assert result.taken == taken
    cond = jump_function(op, is64=not jmp32)
    for x in xs:
        for y in ys:
            went = cond(x, y)
            side = result.true if went else result.false
            what = f"{op.name}{32 if jmp32 else ''} {x:#x}, {y:#x} taken={went} pred={taken}"
            assert side is not None, what
            _check_sound(side[0], x, what + " (dst)")
            _check_sound(side[1], y, what + " (src)")


@pytest.mark.parametrize("jmp32", [False, True], ids=["jmp64", "jmp32"])
@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(dst=scalars(), src=scalars(), op=st.sampled_from(JUMPS + [JSET_FALSE]))
def test_refine_of_each_side_is_sound(jmp32, dst, src, op):
    """`refine` alone (also when the kernel would have decided the jump)."""
    (a, xs), (b, ys) = dst, src
    cond = jump_function(op if op != JSET_FALSE else JmpOp.JSET, is64=not jmp32)
    r1, r2 = refine(a, b, op, jmp32)
    for x in xs:
        for y in ys:
            holds = bool(cond(x, y)) != (op == JSET_FALSE)
            if holds:
                _check_sound(r1, x, f"refine {op} {x:#x} {y:#x}")
                _check_sound(r2, y, f"refine {op} {x:#x} {y:#x} (src)")


@pytest.mark.parametrize("jmp32", [False, True], ids=["jmp64", "jmp32"])
@settings(max_examples=EXAMPLES, deadline=None)
@given(dst=scalars(), op=st.sampled_from(JUMPS))
def test_same_register_jumps(jmp32, dst, op):
    a, xs = dst
    cond = jump_function(op, is64=not jmp32)
    res = branch(a, a, op, jmp32, same_reg=True)
    for x in xs:
        side = res.true if cond(x, x) else res.false
        assert side is not None and side[0].contains(x)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(vals=st.lists(st.sampled_from([0, U64]), min_size=1, max_size=2), k=u64s,
       alu32=st.booleans())
def test_fork_of_minus_one_or_zero(vals, k, alu32):
    if alu32:
        vals = [v & U32 for v in vals]
    d = Scalar.make(**{f: getattr(hull(vals), f) for f in Scalar.__slots__})
    split = fork_minus_one_or_zero(d)
    if len(set(vals)) == 2:
        assert split is not None
    if split is None:
        return
    zero, minus = split
    for v in vals:
        assert zero.contains(v) or minus.contains(v)
        for side in (zero, minus):
            if side.contains(v):
                _check_sound(side.alu(AluOp.AND, Scalar.const(k)), v & k, "and after fork")


# -- precision checks that need no kernel: exact results of simple cases -----

def test_constants_fold():
    for op in BINARY_OPS:
        if op in (AluOp.DIV, AluOp.MOD):
            continue
        a, b = 0x1234_5678_9ABC, 5
        out = Scalar.const(a).alu(op, Scalar.const(b))
        assert out.is_const and out.value == alu_function(op, is64=True)(a, b), op
        out32 = Scalar.const(a).alu(op, Scalar.const(b), alu64=False)
        assert out32.is_const and out32.value == alu_function(op, is64=False)(a, b), op


def test_division_is_unknown_like_the_running_kernel():
    out = Scalar.from_range(0, 255).alu(AluOp.DIV, Scalar.const(3))
    assert out.is_unbounded
    assert Scalar.from_range(0, 255).alu(AluOp.MOD, Scalar.const(7), alu64=False).is_unbounded


def test_alu_refuses_unary_ops():
    for op in (AluOp.MOV, AluOp.NEG, AluOp.END):
        with pytest.raises(ValueError, match="not a binary ALU operation"):
            Scalar.unknown().alu(op, Scalar.const(1))


def test_shift_by_unknown_or_too_far_is_unknown():
    assert Scalar.const(1).alu(AluOp.LSH, Scalar.from_range(0, 3)).is_unbounded
    assert Scalar.const(1).alu(AluOp.LSH, Scalar.const(40), alu64=False).is_unbounded


def test_branch_outcomes():
    x = Scalar.from_range(10, 20)
    assert is_branch_taken(x, Scalar.const(9), JmpOp.JGT, False) == 1
    assert is_branch_taken(x, Scalar.const(20), JmpOp.JGT, False) == 0
    assert is_branch_taken(x, Scalar.const(15), JmpOp.JGT, False) == -1
    assert is_branch_taken(Scalar.from_tnum(Tnum(0, 0xF0)), Scalar.const(1), JmpOp.JEQ, False) == 0
    assert is_branch_taken(Scalar.from_tnum(Tnum(1, 0xF0)), Scalar.const(1), JmpOp.JSET, False) == 1
    assert reverse_op(JmpOp.JSET) == JSET_FALSE and reverse_op(JSET_FALSE) == JmpOp.JSET
    b = branch(x, Scalar.const(15), JmpOp.JLE, False)
    assert (b.true[0].umin, b.true[0].umax) == (10, 15)
    assert (b.false[0].umin, b.false[0].umax) == (16, 20)


def test_tnum_step_pins_single_value():
    """``__update_reg64_bounds``: a range meeting the tnum in one value makes a constant."""
    s = Scalar.make(var_off=Tnum(0, 0x101), umin=2, umax=0x100)
    assert s.is_const and s.value == 0x100


def test_formatting_matches_kernel_style():
    assert str(Scalar.unknown()) == "scalar()"
    assert str(Scalar.const(-1000)) == "-1000"
    assert str(Scalar.const(0x8000)) == "0x8000"
    assert Scalar.const(5).fmt(precise=True) == "P5"
    s = Scalar.from_range(0, 7).alu(AluOp.SUB, Scalar.const(32769))
    assert "smin32=umin32=0xffff7fff" in str(s)
    assert str(Scalar.unknown().fmt(reg_id=3)) == "scalar(id=3)"


def test_sanity_and_subsumption():
    bad = Scalar(Tnum.const(5), 5, 5, 6, 6)
    assert bad.sanity_problem() == "const tnum out of sync with range bounds"
    assert bad.sanitized().is_const and bad.sanitized().umax == U64
    assert Scalar(umin=3, umax=2).sanity_problem() == "range bounds violation"
    assert Scalar.unknown().subsumes(Scalar.const(3))
    assert not Scalar.const(3).subsumes(Scalar.unknown())
    assert Scalar.const(3) == Scalar.const(3) and hash(Scalar.const(3)) == hash(Scalar.const(3))


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(seed=scalars(), lo=u64s, hi=u64s, lo32=st.integers(0, U32), hi32=st.integers(0, U32),
       mask=u64s)
def test_fast_bounds_sync_equals_reference(seed, lo, hi, lo32, hi32, mask):
    """`bounds_sync` (locals, early exit) computes exactly the step-by-step version."""
    from pybpf.verifier.bounds import sync as bounds_sync
    from pybpf.verifier.bounds import sync_reference as bounds_sync_reference
    from pybpf.verifier.tnum import s32 as _s32
    from pybpf.verifier.tnum import s64 as _s64

    s, _ = seed
    t = s.var_off.intersect(Tnum(0, mask)) if mask else s.var_off
    lo, hi = sorted((lo, hi))
    lo32, hi32 = sorted((lo32, hi32))
    cases = [s, Scalar(t, s.smin, s.smax, lo, hi, s.s32_min, s.s32_max, lo32, hi32),
             Scalar(t, min(_s64(lo), _s64(hi)), max(_s64(lo), _s64(hi)), s.umin, s.umax,
                    min(_s32(lo32), _s32(hi32)), max(_s32(lo32), _s32(hi32)), s.u32_min, s.u32_max)]
    for c in cases:
        a, b = c.copy(), c.copy()
        bounds_sync(a)
        bounds_sync_reference(b)
        assert a == b, (repr(c), repr(a), repr(b))
