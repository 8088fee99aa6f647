"""The issue's three one-liners in the DSL (examples/oneliners/) stay within twice bpftrace's
line count. How lines are counted (docs/dsl.md, "Examples"): a Python file's logical lines
(its statements as the tokenizer ends them: NEWLINE tokens) and its physical lines (not
blank) as ruff's formatter lays them out, the module docstring aside; a bpftrace program's
lines as the one-liner is typed (one probe a line)."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from pybpf.bpftrace.parser import parse

ROOT = Path(__file__).resolve().parents[2]
ONELINERS = ROOT / "examples" / "oneliners"

#: the issue's one-liners, as bpftrace runs them (tests/bpftrace runs them side by side)
BPFTRACE = {
    "syscount": "tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }",
    "openat_latency":
        "tracepoint:syscalls:sys_enter_openat { @start[tid] = nsecs; "
        "@filename[tid] = str(args->filename); }\n"
        "tracepoint:syscalls:sys_exit_openat /@start[tid]/ { $latency = (nsecs - @start[tid]) "
        "/ 1000; printf(\"%-20s %-6d %10d us %s\\n\", comm, pid, $latency, @filename[tid]); "
        "delete(@start[tid]); delete(@filename[tid]); }",
    "block_latency":
        "tracepoint:block:block_rq_issue { @start[args->dev, args->sector] = nsecs; }\n"
        "tracepoint:block:block_rq_complete /@start[args->dev, args->sector]/ { @usecs = "
        "hist((nsecs - @start[args->dev, args->sector]) / 1000); "
        "delete(@start[args->dev, args->sector]); }",
}
#: bpftrace's tutorial lessons that this kernel runs, as the tutorial types them (lesson 8's
#: two probes on one line)
LESSONS = {
    "hello": 'BEGIN { printf("hello world\\n"); }',
    "opens": 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args->filename)); }',
    "read_bytes": "tracepoint:syscalls:sys_exit_read /pid == 18644/ { @bytes = hist(args->ret); }",
    "sched_events": "tracepoint:sched:sched* { @[probe] = count(); } interval:s:5 { exit(); }",
    "kernel_stacks": "profile:hz:99 { @[kstack] = count(); }",
    "switch_stacks": "tracepoint:sched:sched_switch { @[kstack] = count(); }",
    "block_sizes": "tracepoint:block:block_rq_issue { @ = hist(args->bytes); }",
}
#: (logical, physical) lines of each DSL file, as docs/dsl.md states them
DSL_LINES = {"syscount": (2, 2), "openat_latency": (3, 8), "block_latency": (3, 8),
             "hello": (2, 2), "opens": (2, 2), "read_bytes": (2, 2), "sched_events": (3, 3),
             "kernel_stacks": (2, 2), "switch_stacks": (2, 2), "block_sizes": (2, 2)}


def _code(path: Path) -> str:
    """The file's text after its module docstring."""
    text = path.read_text()
    first = ast.parse(text).body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return "".join(text.splitlines(True)[first.end_lineno:]).lstrip("\n")


def logical_lines(code: str) -> int:
    return sum(t.type == tokenize.NEWLINE for t in tokenize.generate_tokens(io.StringIO(code).readline))


def physical_lines(code: str) -> int:
    return sum(bool(ln.strip()) for ln in code.splitlines())


@pytest.mark.parametrize("name", sorted(BPFTRACE))
def test_within_twice_bpftrace(name):
    code = _code(ONELINERS / f"{name}.py")
    bpftrace_lines = len(BPFTRACE[name].splitlines())
    assert len(parse(BPFTRACE[name]).probes) == bpftrace_lines  # one probe a line
    assert (logical_lines(code), physical_lines(code)) == DSL_LINES[name]
    assert logical_lines(code) <= 2 * bpftrace_lines


@pytest.mark.parametrize("name", sorted(LESSONS))
def test_lessons_within_twice_bpftrace(name):
    """Each lesson: one ``on`` line a probe, beside the import: within twice bpftrace's lines
    typed one probe a line (lesson 8 types its two probes on one line: 3 lines against 1)."""
    code = _code(ONELINERS / f"{name}.py")
    probes = len(parse(LESSONS[name]).probes)
    assert (logical_lines(code), physical_lines(code)) == DSL_LINES[name]
    assert logical_lines(code) == probes + 1 <= 2 * probes


@pytest.mark.parametrize("name", sorted(BPFTRACE) + sorted(LESSONS))
def test_laid_out_as_ruff_formats_it(name):
    code = _code(ONELINERS / f"{name}.py")
    out = subprocess.run([sys.executable, "-m", "ruff", "format", "--config",
                          str(ROOT / "pyproject.toml"), "-"], input=code, capture_output=True,
                         text=True, check=True).stdout
    assert out == code


def test_counting():
    assert logical_lines("import os\n\nf(1,\n  2)\nx = 1; y = 2\n") == 3
    assert physical_lines("import os\n\nf(1,\n  2)\n") == 3
