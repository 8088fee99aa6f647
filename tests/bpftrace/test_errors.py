"""Mistakes in a bpftrace script are one error line naming the script's line and column, with
the source line and a caret; nothing is loaded."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pybpf.bpftrace import compile_script
from pybpf.bpftrace.parser import parse
from pybpf.errors import DslError, ScriptError


@pytest.mark.parametrize("program,line,col,words", [
    ('BEGIN { printf("x" }', 1, 20, "expected ')'"),
    ("BEGIN { @x = nope(1); }", 1, 14, "unknown function nope()"),
    ("BEGIN {\n  $a = 1;\n  $b = $a +* 2;\n}", 3, 12, "dereferencing a constant (2)"),
    ("BEGIN { @x = 1 }\nEND { print(@x) ", 2, 17, "missing '}'"),
    ('BEGIN { printf("%d\\n", "s"); }', 1, 24, "takes a number, this is a string"),
    ("BEGIN { @x = TASK_RUNNING; }", 1, 14, "unknown identifier 'TASK_RUNNING'"),
    ('BEGIN { system("ls"); }', 1, 9, "system() runs a shell command"),
    ("BEGIN { @x = $2; }", 1, 14, "the program has 0 positional parameters"),
])
def test_error_names_line_and_column(program, line, col, words):
    with pytest.raises(DslError) as info:
        prog = compile_script(program, "<program>")
        for p in prog.probes:  # compile (no kernel needed for BEGIN)
            p.programs()
    err = info.value
    assert (err.line, err.column) == (line, col), str(err)
    assert words in err.message, str(err)
    assert err.source and "^" in str(err).splitlines()[-1]


def test_parse_error_is_a_script_error_with_the_file_name(tmp_path):
    script = tmp_path / "bad.bt"
    script.write_text("#!/usr/bin/env bpftrace\n// comment\nBEGIN\n{\n\tprintf(\"a\"\n}\n")
    out = subprocess.run([sys.executable, "-m", "pybpf", "trace", str(script)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"{script}:6:1: expected ')'" in out.stderr
    with pytest.raises(ScriptError):
        parse(script.read_text(), str(script))


def test_tools_parse_as_debian_ships_them():
    """Every script bpftrace's package ships parses, kernel enumerators (TCP_FIN_WAIT1,
    SKB_DROP_REASON_*) read from BTF, but for what pybpf does not do and the macros of C
    headers this machine lacks (bpftrace itself fails on those scripts here)."""
    from pathlib import Path

    tools = sorted(Path("/usr/sbin").glob("*.bt"))
    if not tools:
        pytest.skip("bpftrace's tools are not installed")
    failures = {}
    for t in tools:
        try:
            parse(t.read_text(), str(t))
        except ScriptError as e:
            failures[t.name] = e.message
    unsupported: dict[str, str] = {}  # loads.bt (*p), oomkill.bt (cat), undump.bt (buf) parse
    for name, message in failures.items():
        if name in unsupported:
            assert unsupported[name] in message
        else:  # #defines of linux/sched.h and sys/socket.h: not in BTF
            assert re.search(r"unknown identifier '(TASK_RUNNING|AF_INET6?)'", message), (name, message)
