"""Integer semantics of compiled probes against a Python model of C arithmetic, run on the
live kernel with BPF_PROG_TEST_RUN (raw tracepoint programs: ``ctx.args`` are the inputs)."""

from __future__ import annotations

import importlib.util
import struct
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.dsl import compile_probe
from pybpf.dsl.types import s8, s16, s32, s64, u8, u16, u32, u64

TYPES = {t.name: t for t in (u8, u16, u32, u64, s8, s16, s32, s64)}
OPS = {"add": "+", "sub": "-", "mul": "*", "div": "//", "mod": "%", "and": "&", "or": "|",
       "xor": "^", "shl": "<<", "shr": ">>"}
CMPS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def _source() -> str:
    out = ["from pybpf.dsl import ArrayMap, u8, u16, u32, u64, s8, s16, s32, s64\n",
           "out = ArrayMap(u64, 1)\n"]
    for tn in TYPES:
        for on, op in OPS.items():
            out.append(f"def {on}_{tn}(ctx):\n    a: {tn} = ctx.args[0]\n    b: {tn} = ctx.args[1]\n"
                       f"    c: {tn} = a {op} b\n    out[0] = c\n    return 0\n")
        for cn, op in CMPS.items():
            out.append(f"def {cn}_{tn}(ctx):\n    a: {tn} = ctx.args[0]\n    b: {tn} = ctx.args[1]\n"
                       f"    out[0] = 3\n    if {_cond(op)}:\n        out[0] = 7\n"
                       f"    return 0\n")
    return "\n".join(out)


def _cond(op: str) -> str:
    """A condition mixing the comparison with `and`, `not` and a chained comparison."""
    return f"a {op} b and not a {op} b - b + b + 0 == 0 or a {op} b and b > 5"


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def model(kind: str, t, a: int, b: int) -> int:
    a, b = t.wrap(a), t.wrap(b)
    if kind in CMPS:
        ok = eval(_cond(CMPS[kind]), {"a": a, "b": b})  # noqa: S307 - Python's own semantics
        return 7 if ok else 3
    if kind == "div":
        r = 0 if b == 0 else _trunc_div(a, b)
    elif kind == "mod":
        r = a if b == 0 else a - _trunc_div(a, b) * b
    elif kind == "shl":
        r = a << b
    elif kind == "shr":
        r = a >> b
    else:
        r = {"add": a + b, "sub": a - b, "mul": a * b, "and": a & b, "or": a | b,
             "xor": a ^ b}[kind]
    return t.wrap(r) & 0xFFFFFFFFFFFFFFFF


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    path = tmp_path_factory.mktemp("dsl") / "semantics_probes.py"
    path.write_text(_source())
    spec = importlib.util.spec_from_file_location("semantics_probes", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["semantics_probes"] = mod
    spec.loader.exec_module(mod)
    return {name: compile_probe(getattr(mod, name), "raw_tracepoint/sys_enter")
            for name in vars(mod) if "_" in name and callable(getattr(mod, name))
            and name.split("_")[0] in {**OPS, **CMPS}}


def test_every_program_is_accepted_by_pybpf_verifier(programs):
    assert len(programs) == len(TYPES) * (len(OPS) + len(CMPS))


@pytest.mark.kernel
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_arithmetic_matches_c_model_on_kernel(programs, data):
    from pybpf.kernel import load

    loaded = _loaded(programs, load)
    name = data.draw(st.sampled_from(sorted(programs)))
    kind, tn = name.split("_")
    t = TYPES[tn]
    a = data.draw(st.integers(0, (1 << 64) - 1) | st.sampled_from([0, 1, 2, 255, 1 << 31, (1 << 64) - 1]))
    if kind in ("shl", "shr"):
        b = data.draw(st.integers(0, t.bits - 1))
    else:
        b = data.draw(st.integers(0, (1 << 64) - 1) | st.sampled_from([0, 1, (1 << 64) - 1, 7]))
    prog = loaded[name]
    assert prog.test_run(ctx=struct.pack("<QQ", a, b), repeat=0, ctx_size_out=0).retval == 0
    got = prog.maps["out"].lookup_raw(bytes(4))
    got = int.from_bytes(got, "little")
    assert got == model(kind, t, a, b), (name, hex(a), hex(b))


_CACHE: dict[str, object] = {}


def _loaded(programs, load):
    if not _CACHE:
        for name, prog in programs.items():
            _CACHE[name] = load(prog)
    return _CACHE
