"""BTF speed: parse the running kernel's vmlinux BTF and print it as C, whole process.

Times ``python -m pybpf btf dump --format c /sys/kernel/btf/vmlinux`` against
``bpftool btf dump file /sys/kernel/btf/vmlinux format c`` (median of whole-process
runs, output to /dev/null), checks that the two outputs are identical, and also reports
pybpf's in-process parse (index) time and the raw-listing time against bpftool's default
listing. Wall time and CPU time (user+system of the process: steadier when the machine is
shared) are both reported. ratio = bpftool time / pybpf time (> 1: pybpf is faster).

    python benchmarks/btf.py [--repeat R] [--file PATH]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys

from _common import ROOT, emit, need, pybpf_cmd, skip, time_call, time_command

sys.path.insert(0, str(ROOT))

BENCH = "btf"


def cpu_seconds(argv: list[str], *, repeat: int, env: dict[str, str] | None = None) -> float:
    """Median user+system CPU time of whole-process runs (robust on a shared, loaded machine,
    where wall time mostly measures the other tenants)."""
    full_env = {**os.environ, **(env or {})}
    times = []
    for _ in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times[1:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--file", default="/sys/kernel/btf/vmlinux")
    args = ap.parse_args()
    reason = need("bpftool")
    if reason:
        skip(BENCH, "vmlinux_h_s", reason)
        return 0
    ours = pybpf_cmd() + ["btf", "dump", "--format", "c", args.file]
    peer = ["bpftool", "btf", "dump", "file", args.file, "format", "c"]
    a = subprocess.run(ours, capture_output=True, check=True).stdout
    b = subprocess.run(peer, capture_output=True, check=True).stdout
    diff_lines = sum(1 for x, y in zip(a.splitlines(), b.splitlines(), strict=False) if x != y) + abs(
        a.count(b"\n") - b.count(b"\n"))
    # bytecode caching on (a normal install has .pyc files; this environment may disable them)
    pyc = {"PYTHONDONTWRITEBYTECODE": ""}
    t_ours = time_command(ours, repeat=args.repeat, env=pyc)
    t_peer = time_command(peer, repeat=args.repeat)
    emit(BENCH, "vmlinux_h_s", t_ours, "bpftool", t_peer, lines=a.count(b"\n"), differing_lines=diff_lines)
    emit(BENCH, "vmlinux_h_cpu_s", cpu_seconds(ours, repeat=args.repeat, env=pyc), "bpftool",
         cpu_seconds(peer, repeat=args.repeat))

    raw_ours = pybpf_cmd() + ["btf", "dump", "--format", "raw", args.file]
    raw_peer = ["bpftool", "btf", "dump", "file", args.file]
    emit(BENCH, "raw_listing_s", time_command(raw_ours, repeat=max(1, args.repeat // 2), env=pyc), "bpftool",
         time_command(raw_peer, repeat=max(1, args.repeat // 2)))

    from pybpf.btf import Btf

    with open(args.file, "rb") as f:
        data = f.read()
    t_parse = time_call(lambda: Btf(data), repeat=args.repeat)
    btf = Btf(data)
    emit(BENCH, "index_vmlinux_s", t_parse, "bpftool (whole c dump)", t_peer, types=btf.nr_types - 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
