"""Run bpftrace 0.17 and ``pybpf trace`` side by side on the same program and trigger.

Both start together with ``__BPFTRACE_NOTIFY_PROBES_ATTACHED`` set; once both have said their
probes are attached, the trigger runs (a child process with a comm of its own), then both get
SIGINT (or end by themselves with ``exit()``). Both see the same events from the trigger, so
what they print about it must be the same.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NOTIFY = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"
BPFTRACE = shutil.which("bpftrace")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    """What one tool printed."""

    name: str
    stdout: str
    stderr: str
    rc: int

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def _cmd(tool: str, args: list[str]) -> list[str]:
    if tool == "bpftrace":
        assert BPFTRACE is not None
        return [BPFTRACE, *args]
    return [sys.executable, "-m", "pybpf", "trace", *args]


def run_both(args: list[str], trigger: Callable[[], object] | None = None, *, settle: float = 0.2,
             self_exit: bool = False, timeout: float = 60.0) -> tuple[Run, Run]:
    """(bpftrace's run, pybpf's run) of ``bpftrace ARGS`` / ``pybpf trace ARGS``."""
    env = dict(os.environ, **{NOTIFY: "1"})
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # errors="replace": a path another process opens need not be UTF-8 (a fuzzer's file names),
    # and a strict decoder would end the reader thread and lose the rest of the tool's output
    procs = {t: subprocess.Popen(_cmd(t, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, errors="replace", env=env, cwd=ROOT)
             for t in ("bpftrace", "pybpf")}
    errs: dict[str, list[str]] = {t: [] for t in procs}
    ready = {t: threading.Event() for t in procs}

    def read_err(t: str) -> None:
        for line in procs[t].stderr:  # type: ignore[union-attr]
            if NOTIFY in line:
                ready[t].set()
            else:
                errs[t].append(line)
        ready[t].set()

    outs: dict[str, list[str]] = {t: [] for t in procs}

    def read_out(t: str) -> None:  # a full pipe would stall the tool and lose its events
        for chunk in iter(lambda: procs[t].stdout.read(4096), ""):  # type: ignore[union-attr]
            outs[t].append(chunk)

    readers = [threading.Thread(target=f, args=(t,), daemon=True)
               for t in procs for f in (read_err, read_out)]
    for r in readers:
        r.start()
    try:
        for t in procs:
            if not ready[t].wait(timeout):
                raise AssertionError(f"{t} did not attach in {timeout} s: {''.join(errs[t])}")
            if procs[t].poll() is not None and not self_exit:
                raise AssertionError(f"{t} ended before the trigger (rc {procs[t].returncode}):\n"
                                     f"{''.join(outs[t])}{''.join(errs[t])}")
        if trigger is not None:
            trigger()
        time.sleep(settle)
        if not self_exit:
            for p in procs.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
        for t, p in procs.items():
            try:
                p.wait(timeout=4)  # bpftrace sometimes stays in epoll_wait after one SIGINT
            except subprocess.TimeoutExpired:  # (the signal can land on a thread other than the
                # one in epoll_wait with no timeout): note where it sits, then ask again
                where = _wchan(p.pid)
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    raise AssertionError(f"{t} did not stop after SIGINT (twice); it waited in "
                                         f"{where}") from None
                errs[t].append(f"(needed a second SIGINT; the first found it in {where})\n")
        for r in readers:
            r.join(10)
        runs = [Run(t, "".join(outs[t]), "".join(errs[t]), p.returncode) for t, p in procs.items()]
        return runs[0], runs[1]
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()


def _wchan(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/wchan") as f:
            wchan = f.read()
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().split()[2]
        return f"{wchan} (state {state})"
    except OSError:
        return "?"


def child(code: str, comm: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Python ``code`` in a child process named ``comm`` (prctl), to completion."""
    prelude = ("import ctypes, os, sys\n"
               f"ctypes.CDLL(None).prctl(15, {comm.encode()!r}, 0, 0, 0)\n")
    return subprocess.run([sys.executable, "-c", prelude + code, *args], check=True,
                          capture_output=True, text=True, timeout=120)


def unique(prefix: str) -> str:
    """A name no other test run uses (15 characters at most, a comm's size)."""
    return f"{prefix}{os.getpid() % 100000}"[:15]


def canonical(lines: list[str]) -> list[str]:
    """``lines`` with each run of map entries of one map and one value sorted: bpftrace sorts
    entries by value and leaves equal values in hash order, which differs run to run."""
    import re

    out: list[str] = []
    group: list[str] = []
    key = None
    for ln in lines + [""]:
        m = re.fullmatch(r"(@\w*)\[.*\]: (-?\d+)", ln)
        k = (m.group(1), m.group(2)) if m else None
        if k is None or k != key:
            out.extend(sorted(group))
            group = []
        if k is None:
            out.append(ln)
        else:
            group.append(ln)
        key = k
    return out[:-1]
