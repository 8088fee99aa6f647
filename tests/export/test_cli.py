"""``pybpf export`` as a command: --once, --json, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pybpf", "export", *args], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


@pytest.mark.kernel
def test_once_json_is_one_document():
    out = _run("examples/syscount.py", "--once", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["pybpf_bpf_stats_enabled"] == 1
    assert any(k.startswith('pybpf_prog_runs_total{id="') for k in doc)


@pytest.mark.parametrize("args,message", [
    (("nope.py",), "nope.py: no such probe file"),
    (("examples/demo.py",), "examples/demo.py: no @probe functions in this file"),
    (("examples/syscount.py", "--listen", "localhost:http"), "--listen wants ADDR:PORT"),
])
def test_errors_are_one_line(args, message):
    out = _run(*args)
    assert out.returncode == 1
    assert out.stderr.strip() == f"pybpf export: error: {message}" or message in out.stderr.strip()
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
