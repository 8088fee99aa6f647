"""``pybpf probe --disasm``: bytecode under the Python lines, without loading anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_disasm_interleaves_python_lines_and_bytecode():
    out = subprocess.run([sys.executable, "-m", "pybpf", "probe", str(EXAMPLES / "opensnoop.py"),
                          "--disasm"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "openat_exit (tracepoint/syscalls/sys_exit_openat):" in text
    body = text.split("openat_exit (")[1].splitlines()
    src = next(i for i, ln in enumerate(body) if ln.endswith("del start[t]"))
    assert any(ln.endswith("r1 = start ll") for ln in body[src + 1:src + 8])
    assert any("call 0x3" in ln for ln in body[src + 1:src + 8])  # map_delete_elem


def test_probe_file_with_a_mistake_prints_the_python_line():
    bad = Path(__file__).parent / "wrong_probes.py"
    out = subprocess.run([sys.executable, "-m", "pybpf", "probe", str(bad), "--disasm"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "wrong_probes.py:" in out.stderr and "^" in out.stderr


def test_disasm_source_shows_python_lines(capsys):
    from pathlib import Path

    from pybpf.cli import main

    example = Path(__file__).resolve().parents[2] / "examples" / "syscount.py"
    assert main(["disasm", "--source", str(example)]) == 0
    out = capsys.readouterr().out
    assert "count_syscalls (tracepoint/raw_syscalls/sys_enter)" in out
    assert "syscount.py:13: counts[comm()] += 1" in out
    assert "lock *(u64 *)(r0 + 0x0) += r1" in out
