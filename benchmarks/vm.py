"""VM speed: instructions per second of pybpf's VM against the kernel's BPF_PROG_TEST_RUN.

The same loop-heavy programs run in the VM (best of a few runs, CPU time) and in the kernel
(XDP, behind the oracle's r1 = mem / r2 = len prologue, ``repeat`` runs, JIT if
enabled), and both must return the same r0 first. Instructions per run are the
VM's count; the kernel's rate is that count over its mean duration per run.
One JSON line per program, ``ratio = vm / kernel`` (> 1 would mean the VM is
faster; it is not, the figure is tracked):

- ``alu_loop``: 8-instruction ALU body, 20,000 iterations;
- ``mem_loop``: stack and packet loads/stores plus an atomic add, 10,000 iterations;
- ``call_loop``: a bpf-to-bpf call per iteration, 5,000 iterations.

Also ``trace_overhead``: the VM's rate with a no-op trace callback over its
plain rate (no peer).

    .venv/bin/python benchmarks/vm.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import emit, skip  # noqa: E402

from pybpf.asm import assemble  # noqa: E402
from pybpf.vm import VM  # noqa: E402

PROGRAMS = {
    "alu_loop": """
        r0 = 0
        r2 = 20000
    loop:
        r3 = r0
        r3 *= 7
        r0 += r2
        r0 ^= r3
        r3 >>= 3
        w0 += w3
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """,
    "mem_loop": """
        r6 = r1
        r0 = 0
        *(u64 *)(r10 - 8) = r0
        r2 = 10000
    loop:
        r3 = *(u32 *)(r6 + 0)
        r3 += r2
        *(u32 *)(r6 + 4) = r3
        *(u64 *)(r10 - 16) = r3
        r4 = *(u64 *)(r10 - 16)
        lock *(u64 *)(r10 - 8) += r4
        r2 -= 1
        if r2 != 0 goto loop
        r0 = *(u64 *)(r10 - 8)
        exit
    """,
    "call_loop": """
        r0 = 0
        r6 = 5000
    loop:
        r1 = r6
        r2 = r0
        call f
        r6 -= 1
        if r6 != 0 goto loop
        exit
    f:
        r0 = r1
        r0 *= 3
        r0 += r2
        exit
    """,
}
MEM = bytes(range(16))


def vm_rate(prog, mem: bytes, *, trace=None, repeat: int = 5) -> tuple[float, int, int]:
    """Best rate over ``repeat`` runs, timed in CPU seconds of this process (the kernel's
    test-run duration likewise excludes time it was scheduled out)."""
    vm = VM()
    res = vm.run(prog, mem=mem)  # warm up: decode, and fuse the hot blocks
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        res = vm.run(prog, mem=mem, trace=trace)
        best = min(best, time.process_time() - start)
    return res.insns / best, res.insns, res.r0


def kernel_rate(prog, mem: bytes, insns: int, repeat: int = 200) -> tuple[float, int]:
    from pybpf.kernel.oracle import MIN_PACKET, run_kernel, xdp_wrap
    from pybpf.kernel.prog import load

    r0 = run_kernel(prog, mem).r0
    data = mem + bytes(max(0, MIN_PACKET - len(mem)))
    with load(xdp_wrap(prog, len(mem), high=False), "xdp") as p:
        p.test_run(data, repeat=10)
        tr = p.test_run(data, repeat=repeat)
    return insns / (tr.duration_ns / 1e9), r0


def main() -> int:
    for name, text in PROGRAMS.items():
        prog = assemble(text)
        rate, insns, r0 = vm_rate(prog, MEM)
        if os.geteuid() != 0:
            skip("vm", f"{name}_insns_per_s", "not root: no BPF_PROG_TEST_RUN")
            continue
        krate, kr0 = kernel_rate(prog, MEM, insns)
        if kr0 != r0:
            raise SystemExit(f"{name}: the VM returned {r0:#x} but the kernel {kr0:#x}")
        emit("vm", f"{name}_insns_per_s", rate, "kernel BPF_PROG_TEST_RUN (xdp)", krate,
             lower_is_better=False, insns_per_run=insns)
    prog = assemble(PROGRAMS["alu_loop"])
    plain, _, _ = vm_rate(prog, MEM)
    traced, _, _ = vm_rate(prog, MEM, trace=lambda step: None, repeat=1)
    emit("vm", "alu_loop_traced_insns_per_s", traced, "pybpf VM without trace", plain,
         lower_is_better=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
