"""The compiler on its own: control flow, locals and spills, inlining, loops, types, line map.

Each probe runs in pybpf's VM (no kernel needed) after pybpf's verifier accepted it.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.dsl import Struct, compile_probe, format_histogram, u8, u32, u64
from pybpf.dsl.codegen import LOCAL_REGS
from pybpf.isa import Class, Mode
from pybpf.vm import VM

from . import compiler_probes as P

pytestmark = pytest.mark.tracefs  # the probes read raw_syscalls/sys_enter's format
SECTION = "tracepoint/raw_syscalls/sys_enter"  # ctx.args: unsigned long args[6] at 16
_CACHE: dict[str, object] = {}


def run(fn, a: int = 0, b: int = 0) -> int:
    prog = _CACHE.get(fn.__name__) or compile_probe(fn, SECTION)
    _CACHE[fn.__name__] = prog
    return VM().run(prog, ctx=bytes(16) + struct.pack("<QQ", a, b) + bytes(32)).r0


@given(st.integers(0, 1 << 40))
@settings(max_examples=30, deadline=None)
def test_more_locals_than_registers_spill_to_the_stack(a):
    assert run(P.many_locals, a) == (6 * a + 15) & (2**64 - 1)
    prog = _CACHE["many_locals"]
    spills = [i for i in prog.insns if i.opcode == (Class.STX | Mode.MEM | 0x18) and i.dst == 10]
    assert len(LOCAL_REGS) == 3 and spills  # a..f do not fit in r7-r9


@pytest.mark.parametrize("a,b,want", [(3, 5, 32), (50, 0, 101), (10, (1 << 64) - 7, 100)])
def test_inlined_functions_with_early_returns(a, b, want):
    assert run(P.inlined, a, b) == want


@given(st.integers(0, 300))
@settings(max_examples=25, deadline=None)
def test_bounded_while_with_and(a):
    total, i = 0, 0
    while i < 20 and total < a:
        total += i
        i += 1
    assert run(P.while_sum, a) == total


@given(st.integers(0, 60))
@settings(max_examples=25, deadline=None)
def test_for_with_break_is_a_counted_loop(a):
    assert run(P.for_break, a) == 2 * min(a, 40)
    backward = [i for i in _CACHE["for_break"].insns if i.opcode & 0x07 == Class.JMP and i.off < 0]
    assert backward  # not unrolled


def test_small_loop_unrolls_with_constant_indexes():
    assert run(P.for_unrolled_struct, 21) == 42 + 8 + 1
    prog = _CACHE["for_unrolled_struct"]
    assert not [i for i in prog.insns if i.opcode & 0x07 == Class.JMP and i.off < 0]


@pytest.mark.parametrize("v,want", [(0, 1), (9, 1), (10, 2), (99, 2), (500, 4), (999, 3), (5000, 4)])
def test_if_elif_else(v, want):
    assert run(P.elif_chain, v) == want


@pytest.mark.parametrize("a,b,want", [(5, 3, 100), (0, 4, 11), (3, 9, 1), (1, 1, 0)])
def test_comparisons_and_not_as_values(a, b, want):
    assert run(P.bool_values, a, b) == want


@given(st.integers(0, 1 << 20))
@settings(max_examples=30, deadline=None)
def test_narrow_types_wrap_like_c(a):
    a8 = a & 0xFF
    b16 = (a8 * 300) & 0xFFFF
    c32 = -a8
    assert run(P.narrow_types, a) == (b16 + c32) & (2**64 - 1)


def test_every_instruction_has_its_python_line():
    prog = compile_probe(P.elif_chain, SECTION)
    assert set(prog.lines) == set(range(len(prog.insns)))
    texts = {ln.text.strip() for ln in prog.lines.values()}
    assert "elif v < 1000 and not v == 500:" in texts
    assert all(ln.filename == P.__file__ for ln in prog.lines.values())


def test_compiling_twice_gives_the_same_program():
    # (its compile time is a figure of benchmarks/dsl.py, never a timed assertion here)
    a = compile_probe(P.inlined, SECTION)
    b = compile_probe(P.inlined, SECTION)
    assert a.insns == b.insns and a.refs == b.refs


def test_struct_layout_and_decoding_follow_c():
    class Ev(Struct):
        a: u8
        b: u64
        c: u32

    assert (Ev.field("b").offset, Ev.field("c").offset, Ev.size) == (8, 16, 24)
    raw = Ev.encode({"a": 7, "b": 2**40, "c": 3})
    assert Ev.decode(raw).as_dict() == {"a": 7, "b": 2**40, "c": 3}


def test_histogram_text_has_one_row_per_bucket_in_range():
    """bpftrace's layout: the label in 16 columns, the count in 8, a 52-wide bar; the unit
    stays out of the labels; slot 0 (log2 of 0 and of 1) is [0, 2)."""
    text = format_histogram([0, 2, 0, 8, 0], "us")
    rows = text.splitlines()
    assert len(rows) == 3 and rows[0].startswith("[2, 4)          ") and rows[2].count("@") == 52
    assert rows[0] == "[2, 4)                 2 |@@@@@@@@@@@@@                                       |"
    assert all(len(r) == 79 and "us" not in r for r in rows)
    assert format_histogram([3, 1]).splitlines()[0].startswith("[0, 2)      ")


@pytest.mark.parametrize("a,want", [(1, 6 * 1000 + 8), (50, 153 * 1000 + 151)])
def test_struct_field_assigned_from_an_inlined_call(a, want):
    assert run(P.pointer_in_a_slot, a) == want


def test_spilled_map_pointer_survives_a_call_in_the_assigned_value():
    # p lives in a stack slot (r7-r9 hold a, b, c): its reload must outlive the helper call
    prog = compile_probe(P.lookup_pointer_spilled, SECTION)  # the verifier accepts it
    assert len(prog.insns) > 20


@pytest.mark.parametrize("a,want", [(9, 10), (4, 0), (1, 1)])
def test_conditions_with_calls_as_values(a, want):
    assert run(P.bool_from_calls, a) == want
