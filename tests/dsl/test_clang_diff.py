"""Typed expressions against clang-19: the same expression over u8/s16/u32/s32/u64/s8 locals
compiled by the DSL and by clang (-O2 -fwrapv: signed overflow wraps, as in BPF), both run
in pybpf's VM; the low 32 bits of the results (C returns an int) must agree."""

from __future__ import annotations

import importlib.util
import itertools
import os
import struct
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pybpf.dsl import compile_probe
from pybpf.elf import read_object
from pybpf.errors import DslError
from pybpf.vm import VM

pytestmark = [pytest.mark.clang, pytest.mark.tracefs]
VARS = {"a": ("u8", "__u8"), "b": ("s16", "__s16"), "c": ("u32", "__u32"), "d": ("s32", "__s32"),
        "e": ("u64", "__u64"), "f": ("s8", "__s8")}
_ids = itertools.count()

leaves = st.one_of(st.sampled_from(sorted(VARS)), st.integers(0, 70000).map(str))


def _combine(ch):
    bin_ = st.tuples(ch, st.sampled_from(["+", "-", "*", "&", "|", "^", "<", "==", ">="]), ch)
    shr = st.tuples(ch, st.integers(0, 9))
    return st.one_of(bin_.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
                     shr.map(lambda t: f"({t[0]} >> {t[1]})"),
                     ch.map(lambda e: f"(~{e})"), ch.map(lambda e: f"(-{e})"))


exprs = st.recursive(leaves, _combine, max_leaves=6)
# edges of every width, where sign and zero extension differ
values = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from(
    [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 2**64 - 1]))


def _python(exprs_: list[str]) -> str:
    out = ["from pybpf.dsl import u8, s8, s16, u32, s32, u64\n"]
    for i, ex in enumerate(exprs_):
        decls = "".join(f"    {v}: {t} = ctx.args[{k}]\n" for k, (v, (t, _)) in enumerate(VARS.items()))
        out.append(f"def f{i}(ctx):\n{decls}    return {ex}\n")
    return "\n".join(out)


def _c(exprs_: list[str]) -> str:
    out = ["#include <linux/types.h>\n#define SEC(n) __attribute__((section(n), used))\n"
           'char LICENSE[] SEC("license") = "GPL";\n']
    for i, ex in enumerate(exprs_):
        decls = "".join(f"\t{ct} {v} = ctx[{k + 2}];\n" for k, (v, (_, ct)) in enumerate(VARS.items()))
        cex = ex.replace("(~", "(~").replace(" and ", " && ")
        out.append(f'SEC("tracepoint/t{i}") int f{i}(__u64 *ctx)\n{{\n{decls}\treturn {cex};\n}}\n')
    return "\n".join(out)


@settings(max_examples=int(os.environ.get("PYBPF_FUZZ_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(exs=st.lists(exprs, min_size=6, max_size=6), args=st.lists(values, min_size=6, max_size=6))
@example(exs=["(c == d)", "(d < c)", "(~a)", "(-f)", "((a * b) >> 3)", "((d >= e) + f)"],
         args=[0xFF, 0x8000, 0xFFFFFFFF, 2**64 - 1, 5, 0x80])
def test_typed_expressions_agree_with_clang(tmp_path, exs, args):
    n = next(_ids)
    src = tmp_path / f"clang_diff_{n}.py"
    src.write_text(_python(exs))
    spec = importlib.util.spec_from_file_location(f"clang_diff_{n}", src)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    csrc = tmp_path / f"clang_diff_{n}.c"
    csrc.write_text(_c(exs))
    obj = tmp_path / f"clang_diff_{n}.o"
    subprocess.run(["clang-19", "-O2", "-fwrapv", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu",
                    "-c", str(csrc), "-o", str(obj)], check=True, capture_output=True)
    theirs = read_object(str(obj)).programs
    ctx = bytes(16) + struct.pack("<6Q", *args)
    for i, ex in enumerate(exs):
        try:
            ours = compile_probe(getattr(mod, f"f{i}"), "tracepoint/raw_syscalls/sys_enter",
                                 verify=False)
        except DslError as e:
            assume("negative number" not in e.message)
            raise
        got = VM().run(ours, ctx=ctx).r0 & 0xFFFFFFFF
        want = VM().run(theirs[f"f{i}"].program, ctx=ctx).r0 & 0xFFFFFFFF
        assert got == want, (ex, [hex(a) for a in args])
