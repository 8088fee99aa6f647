"""Time to the first event and peak memory: ``pybpf trace``, ``pybpf probe`` and bpftrace 0.17
on the same one-liner, run alternately.

The one-liner is the tutorial's file-opens lesson (``tracepoint:syscalls:sys_enter_openat {
printf("%s %s\\n", comm, str(args->filename)); }``; for ``pybpf probe``, its DSL twin
examples/oneliners/opens.py). From the moment the command starts, a thread of this process
opens a marker file every millisecond; the first event is the first line of the tool's output
that names a marker. Peak memory is the tool process's maximum resident set (``wait4``'s
``ru_maxrss``), after it is stopped with SIGINT.

Prints, per pybpf front end, JSON lines (ratio > 1: pybpf is better):

- ``first_event_s/trace``, ``first_event_s/probe``: median seconds to the first event, bpftrace
  the peer; ``spread`` gives min and max of each side;
- ``peak_rss_mb/trace``, ``peak_rss_mb/probe``: median peak RSS in MB;
- ``cpu_s/trace``, ``cpu_s/probe``: median CPU time (user + system, ``wait4``) of the tool's
  whole run, start to the first event and the stop right after it: what start-up costs,
  steadier than wall time on a shared machine (the wall time waits for the CPUs others use).

    .venv/bin/python benchmarks/trace.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from _common import ROOT, emit, need, pybpf_cmd, pybpf_env, skip

BENCH = "trace"
ONE_LINER = 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args->filename)); }'


def commands() -> dict[str, list[str]]:
    return {"bpftrace": ["bpftrace", "-e", ONE_LINER],
            "trace": [*pybpf_cmd(), "trace", "-e", ONE_LINER],
            "probe": [*pybpf_cmd(), "probe", str(ROOT / "examples" / "oneliners" / "opens.py")]}


def one_run(argv: list[str], env: dict[str, str], marker: str) -> tuple[float, float, float]:
    """(seconds from start to the first marker line, peak RSS in MB, CPU seconds of the
    whole run) of one run."""
    stop = threading.Event()

    def opener() -> None:  # a file open every millisecond until the marker shows up
        n = 0
        while not stop.is_set():
            try:
                os.close(os.open(f"{marker}-{n}", os.O_RDONLY | os.O_CREAT, 0o600))
            except OSError:
                pass
            n += 1
            time.sleep(0.001)

    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            text=True, bufsize=1)
    thread = threading.Thread(target=opener, daemon=True)
    thread.start()
    first = None
    try:
        deadline = start + 60
        for line in proc.stdout:  # type: ignore[union-attr]
            if marker in line:
                first = time.perf_counter() - start
                break
            if time.perf_counter() > deadline:
                break
    finally:
        stop.set()
        proc.send_signal(signal.SIGINT)
        threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()  # type: ignore[union-attr]
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
    if first is None:
        raise RuntimeError(f"{' '.join(argv[:3])}: no event in 60 s")
    return first, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    reason = need("bpftrace")
    if reason or os.geteuid() != 0:
        skip(BENCH, "first_event_s", reason or "needs root")
        return
    cmds = commands()
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **pybpf_env(cache)}
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cmds}
        for name, argv in cmds.items():  # warm-up: bytecode caches, page cache
            one_run(argv, env, os.path.join(tmp, f"warm-{name}"))
        order = list(cmds)
        for i in range(args.runs):
            for name in order[i % 3:] + order[:i % 3]:  # alternate who goes first
                results[name].append(one_run(cmds[name], env, os.path.join(tmp, f"m{i}-{name}")))
    peer = results["bpftrace"]
    for front in ("trace", "probe"):
        ours = results[front]
        for idx, metric in ((0, "first_event_s"), (1, "peak_rss_mb"), (2, "cpu_s")):
            a = [r[idx] for r in ours]
            b = [r[idx] for r in peer]
            emit(BENCH, f"{metric}/{front}", statistics.median(a), "bpftrace 0.17",
                 statistics.median(b), runs=args.runs,
                 spread={"pybpf": [round(min(a), 4), round(max(a), 4)],
                         "peer": [round(min(b), 4), round(max(b), 4)]},
                 ratios=[round(y / x, 3) for x, y in zip(a, b, strict=True)])


if __name__ == "__main__":
    sys.exit(main())
