"""The example user suite (examples/testing) run as a user runs it: pytest in a child process,
the plugin from its entry point. It passes on the real probes, and each planted bug (a wrong
port byte order and an off-by-one length check in xdp_drop.py, an off-by-one filename
buffer in opensnoop.py) is found within 200 examples in the VM and in the kernel."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

BUGS = {("port_byte_order", "vm"), ("port_byte_order", "kernel"),
        ("length_check_off_by_one", "vm"), ("length_check_off_by_one", "kernel"),
        ("filename_off_by_one", "VM"), ("filename_off_by_one", "kernel")}


def test_example_suite_passes_and_finds_every_planted_bug():
    env = {k: v for k, v in os.environ.items() if k != "PYBPF_REQUIRE_KERNEL"}
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                          "examples/testing", "-rs"], cwd=ROOT, capture_output=True, text=True,
                         env=env, timeout=900)
    out = res.stdout
    assert res.returncode == 0, out[-4000:] + res.stderr[-2000:]
    assert "skipped" not in out.splitlines()[-1], out[-2000:]
    found = {(bug, where): int(n) for bug, where, n in
             re.findall(r"(\w+) found by the (vm|VM|kernel) after (\d+) examples", out)}
    assert set(found) == BUGS, found
    assert all(n <= 200 for n in found.values()), found
