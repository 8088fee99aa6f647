"""``pybpf probe --disasm``: bytecode under the Python lines, without loading anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.tracefs
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


@pytest.mark.tracefs
def test_disasm_source_shows_python_lines(capsys):
    from pathlib import Path

    from pybpf.cli import main

    example = Path(__file__).resolve().parents[2] / "examples" / "syscount.py"
    assert main(["disasm", "--source", str(example)]) == 0
    out = capsys.readouterr().out
    assert "count_syscalls (tracepoint/raw_syscalls/sys_enter)" in out
    assert "syscount.py:13: counts[comm()] += 1" in out
    assert "lock *(u64 *)(r0 + 0x0) += r1" in out


def _probe_file(tmp_path, text):
    path = tmp_path / "probe_file.py"
    path.write_text(text)
    return path


@pytest.mark.kernel
def test_sigterm_prints_the_maps_like_sigint(tmp_path):
    """A supervisor stops with SIGTERM: the maps are printed all the same, sorted by value."""
    import signal

    path = _probe_file(tmp_path, "from pybpf.dsl import HashMap, char, comm, probe, u64\n"
                                 "counts = HashMap(char[16], u64)\n\n\n"
                                 "@probe('tracepoint:raw_syscalls:sys_enter')\n"
                                 "def count(ctx):\n"
                                 "    counts[comm()] += 1\n")
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc = subprocess.Popen([sys.executable, "-m", "pybpf", "probe", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr.readline().startswith("attached count")
        for _ in range(200):
            os.getppid()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        rows = [ln for ln in out.splitlines() if ln.startswith("@counts[")]
        assert rows, (sig, out)
        values = [int(ln.rsplit(": ", 1)[1]) for ln in rows]
        assert values == sorted(values)


@pytest.mark.kernel
def test_xdp_probe_without_an_interface_names_the_file_and_line(tmp_path):
    path = _probe_file(tmp_path, "from pybpf.dsl import XDP_PASS, probe\n\n\n"
                                 "@probe('xdp')\n"
                                 "def passes(ctx):\n"
                                 "    return XDP_PASS\n")
    out = subprocess.run([sys.executable, "-m", "pybpf", "probe", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert f"{path}:4" in out.stderr and "needs the interface" in out.stderr  # @probe's line
    assert "iface=" in out.stderr and "Traceback" not in out.stderr
