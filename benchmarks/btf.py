"""BTF speed: parse the running kernel's vmlinux BTF and print it as C, whole process.

Times ``python -m pybpf btf dump --format c /sys/kernel/btf/vmlinux`` against
``bpftool btf dump file /sys/kernel/btf/vmlinux format c`` (median of whole-process
runs, the two commands alternating, output to /dev/null), checks that the two outputs are
identical, and also reports pybpf's in-process parse (index) time and the raw-listing time
against bpftool's default listing. Wall time and CPU time (user+system of the process:
steadier when the machine is shared) are both reported, and, with valgrind installed, the
instructions each run executes (the same on every run: a steady figure for a machine whose
speed changes under other tenants' load). ratio = bpftool / pybpf (> 1: pybpf is faster).

    python benchmarks/btf.py [--repeat R] [--file PATH] [--no-instructions]
"""
from __future__ import annotations

import argparse
import subprocess
import sys

from _common import ROOT, emit, instructions, measure_pair, need, pybpf_cmd, skip, time_call, time_command

sys.path.insert(0, str(ROOT))

BENCH = "btf"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--file", default="/sys/kernel/btf/vmlinux")
    ap.add_argument("--instructions", action=argparse.BooleanOptionalAction, default=True,
                    help="also count instructions with valgrind (steady on a loaded machine; ~1 min)")
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
    (w_ours, c_ours), (w_peer, c_peer) = measure_pair(ours, peer, repeat=args.repeat, env=pyc)
    emit(BENCH, "vmlinux_h_s", w_ours, "bpftool", w_peer, lines=a.count(b"\n"), differing_lines=diff_lines)
    emit(BENCH, "vmlinux_h_cpu_s", c_ours, "bpftool", c_peer)
    if args.instructions:
        i_ours, i_peer = instructions(ours, env=pyc), instructions(peer)
        if i_ours and i_peer:
            emit(BENCH, "vmlinux_h_instructions", i_ours, "bpftool", i_peer)

    raw_ours = pybpf_cmd() + ["btf", "dump", "--format", "raw", args.file]
    raw_peer = ["bpftool", "btf", "dump", "file", args.file]
    emit(BENCH, "raw_listing_s", time_command(raw_ours, repeat=max(1, args.repeat // 2), env=pyc), "bpftool",
         time_command(raw_peer, repeat=max(1, args.repeat // 2)))

    from pybpf.btf import Btf

    with open(args.file, "rb") as f:
        data = f.read()
    t_parse = time_call(lambda: Btf(data), repeat=args.repeat)
    btf = Btf(data)
    emit(BENCH, "index_vmlinux_s", t_parse, "bpftool (whole c dump)", w_peer, types=btf.nr_types - 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
