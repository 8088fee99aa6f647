"""Probe kinds beyond tracepoints, side by side with bpftrace 0.17: USDT notes (a semaphore
the binary checks), uprobes and uretprobes on a test binary, profile and interval."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from .sidebyside import BPFTRACE, canonical, run_both

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(BPFTRACE is None, reason="bpftrace is not installed (make deps)")]
PYTHON = "/usr/bin/python3.11"  # Debian's, built with its USDT notes
PROGS = Path(__file__).resolve().parents[1] / "progs"


def test_usdt_with_a_semaphore():
    """python3.11's gc__start note has a semaphore: the probe must raise it for the marker to
    fire. The child's collections come out with its pid and the generation."""
    if not os.path.exists(PYTHON):
        pytest.skip("Debian's python3.11 (with its USDT notes) is not installed")
    pids: list[int] = []

    def go():
        out = subprocess.run([PYTHON, "-c", "import gc, os\nfor _ in range(3): gc.collect()\n"
                              "print(os.getpid())"], capture_output=True, text=True, check=True)
        pids.append(int(out.stdout))

    prog = f"usdt:{PYTHON}:python:gc__start {{ @[pid, arg0] = count(); }}"
    b, p = run_both(["-e", prog], go)
    mine = [ln for ln in p.lines if ln.startswith(f"@[{pids[0]}, ")]
    assert sorted(mine) == sorted(ln for ln in b.lines if ln.startswith(f"@[{pids[0]}, "))
    gen2 = [ln for ln in mine if ln.startswith(f"@[{pids[0]}, 2]: ")]
    assert len(gen2) == 1 and int(gen2[0].rsplit(": ", 1)[1]) >= 3  # ours, and startup's


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    d = tmp_path_factory.mktemp("uprobe")
    binary = d / "pybpf-utarget"
    subprocess.run(["cc", "-O1", "-o", str(binary), str(PROGS / "uprobe_target.c")], check=True)
    return binary


def test_uprobe_and_uretprobe_on_a_test_binary(target):
    prog = (f"uprobe:{target}:pybpf_uprobe_target {{ @calls[arg0] = count(); }} "
            f"uretprobe:{target}:pybpf_uprobe_target {{ @ret = stats(retval); }}")
    b, p = run_both(["-e", prog], lambda: subprocess.run([str(target), "5"], check=True,
                                                           capture_output=True))
    assert canonical(p.lines) == canonical(b.lines)
    assert "@calls[4]: 1" in p.lines and "@ret: count 5, average " in p.stdout


def test_interval_prints_on_time():
    prog = 'interval:ms:200 { @ticks++; if (@ticks == 3) { printf("three\\n"); exit(); } }'
    b, p = run_both(["-e", prog], self_exit=True, settle=0)
    assert p.stdout == b.stdout == "Attaching 1 probe...\nthree\n\n\n@ticks: 3\n"


def test_profile_counts_by_cpu():
    b, p = run_both(["-e", "profile:hz:49 { @[cpu] = count(); }"], settle=0.6)
    for run in (b, p):
        rows = [ln for ln in run.lines if ln.startswith("@[")]
        assert rows and all(re.fullmatch(r"@\[\d+\]: \d+", ln) for ln in rows)


def test_rawtracepoint_with_a_string_filter():
    """bpftrace 0.17 has no rawtracepoint probes ("Invalid probe type"): pybpf alone."""
    import signal
    import sys

    from .sidebyside import NOTIFY, ROOT, child, unique

    comm = unique("rtp-")
    prog = f'rawtracepoint:sys_enter /comm == "{comm}"/ {{ @[arg1] = count(); }}'
    proc = subprocess.Popen([sys.executable, "-m", "pybpf", "trace", "-e", prog], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, NOTIFY: "1"})
    assert NOTIFY in proc.stderr.readline()
    child("for _ in range(30): os.getppid()\n", comm)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "@[110]: 30" in out.splitlines()  # getppid, from the child alone
