"""The DSL's memory builtins (pybpf.dsl.memory and cat): ``ntop``, ``buf``, ``bswap``,
``deref`` and ``cat`` in a probe file run by ``pybpf probe``."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tests.bpftrace.sidebyside import child, unique

pytestmark = pytest.mark.kernel

CONSTANTS = '''
from pybpf.dsl import bswap, buf, cat, exit, ntop, printf, probe, u16, u32


@probe("BEGIN")
def begin(ctx):
    printf("[%r] [%s] [%s] [%x] [%x]\\n", buf("ab\\x01~", 4), ntop(0x0100007f), ntop(10, 1 << 24),
           bswap(u16(0x1122)), bswap(u32(0x11223344)))
    cat("PATH")
    exit()
'''

DEREF = '''
from pybpf.dsl import comm, deref, printf, probe, u8


@probe("tracepoint:syscalls:sys_enter_sched_setaffinity")
def mask(ctx):
    if comm() == "COMM":
        printf("%d %d\\n", deref(ctx.user_mask_ptr), deref(ctx.user_mask_ptr, u8))
'''


def _probe(path, trigger=None) -> str:
    proc = subprocess.Popen([sys.executable, "-m", "pybpf", "probe", str(path)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    first = proc.stderr.readline()
    assert first.startswith("attached "), first + proc.stderr.read()
    if trigger is not None:
        trigger()
        proc.send_signal(2)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    reader.join(10)
    return "".join(out)


def test_constants(tmp_path):
    data = tmp_path / "data"
    data.write_text("contents\n")
    probe = tmp_path / "constants.py"
    probe.write_text(CONSTANTS.replace("PATH", str(data)))
    out = _probe(probe)
    assert out.splitlines()[:2] == ["[ab\\x01~] [127.0.0.1] [0:1::] [2211] [44332211]", "contents"]


def test_deref_reads_what_the_pointer_points_to(tmp_path):
    comm = unique("dslderef-")
    probe = tmp_path / "deref.py"
    probe.write_text(DEREF.replace("COMM", comm))
    out = _probe(probe, lambda: child("os.sched_setaffinity(0, {0})\n", comm))
    assert out.splitlines()[0] == "1 1"
