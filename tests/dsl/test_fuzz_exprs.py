"""Random integer expressions: the compiled probe (run in pybpf's VM) against Python's value
of the same expression in u64 arithmetic (BPF's x // 0 == 0 and x % 0 == x)."""

from __future__ import annotations

import importlib.util
import itertools
import os
import struct
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pybpf.dsl import compile_probe
from pybpf.errors import DslError
from pybpf.vm import VM

M64 = (1 << 64) - 1
_ids = itertools.count()

# literals are u64(N): in C (and the DSL) a bare literal is an int, whose overflow is not u64's
leaves = st.one_of(st.sampled_from(["a", "b", "c"]),
                   st.one_of(st.integers(0, 1 << 40), st.sampled_from([0, 1, 7, 255, 4294967295]))
                   .map(lambda n: f"u64({n})"))


def _combine(children):
    binop = st.tuples(children, st.sampled_from(["+", "-", "*", "&", "|", "^", "//", "%"]), children)
    shift = st.tuples(children, st.sampled_from(["<<", ">>"]), st.integers(0, 63).map(lambda n: f"u64({n})"))
    return st.one_of(binop.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                     shift.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                     children.map(lambda e: f"(~{e})"))


exprs = st.recursive(leaves, _combine, max_leaves=8)


def model(expr: str, a: int, b: int) -> int:
    class U:
        def __init__(self, v: int) -> None:
            self.v = v & M64

        def _o(self, o: object) -> int:
            return o.v if isinstance(o, U) else int(o) & M64

        def __add__(self, o): return U(self.v + self._o(o))
        def __radd__(self, o): return U(self._o(o) + self.v)
        def __sub__(self, o): return U(self.v - self._o(o))
        def __rsub__(self, o): return U(self._o(o) - self.v)
        def __mul__(self, o): return U(self.v * self._o(o))
        def __rmul__(self, o): return U(self._o(o) * self.v)
        def __and__(self, o): return U(self.v & self._o(o))
        def __rand__(self, o): return U(self._o(o) & self.v)
        def __or__(self, o): return U(self.v | self._o(o))
        def __ror__(self, o): return U(self._o(o) | self.v)
        def __xor__(self, o): return U(self.v ^ self._o(o))
        def __rxor__(self, o): return U(self._o(o) ^ self.v)
        def __floordiv__(self, o): return U(self.v // self._o(o) if self._o(o) else 0)
        def __rfloordiv__(self, o): return U(self._o(o)) // self
        def __mod__(self, o): return U(self.v % self._o(o) if self._o(o) else self.v)
        def __rmod__(self, o): return U(self._o(o)) % self
        def __lshift__(self, o): return U(self.v << (self._o(o) & 63))
        def __rlshift__(self, o): return U(self._o(o)) << self
        def __rshift__(self, o): return U(self.v >> (self._o(o) & 63))
        def __rrshift__(self, o): return U(self._o(o)) >> self
        def __invert__(self): return U(~self.v)

    env = {"u64": U, "a": U(a), "b": U(b), "c": U(a ^ 0x5555)}
    return eval(expr, env).v  # noqa: S307 - our own generated expression


def compile_expr(expr: str, tmp_dir) -> object:
    name = f"fuzz_expr_{next(_ids)}"
    path = tmp_dir / f"{name}.py"
    path.write_text("from pybpf.dsl import u64\n\n\ndef probe(ctx):\n"
                    "    a: u64 = ctx.args[0]\n    b: u64 = ctx.args[1]\n    c: u64 = a ^ 0x5555\n"
                    f"    return {expr}\n")
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return compile_probe(mod.probe, "tracepoint/raw_syscalls/sys_enter")


@pytest.mark.tracefs
@settings(max_examples=int(os.environ.get("PYBPF_FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expr=exprs, a=st.integers(0, M64), b=st.integers(0, M64))
def test_random_expression_matches_u64_model(tmp_path, expr, a, b):
    if expr.isidentifier():
        expr = f"({expr} + u64(0))"
    try:
        prog = compile_expr(expr, tmp_path)
    except DslError as e:  # a constant zero divisor is reported, by design
        assume("division by zero" not in e.message)
        raise
    got = VM().run(prog, ctx=bytes(16) + struct.pack("<QQ", a, b) + bytes(32)).r0
    assert got == model(expr, a, b), expr
