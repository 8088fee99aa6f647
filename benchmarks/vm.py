"""VM speed: instructions per second of pybpf's VM against the kernel's BPF_PROG_TEST_RUN.

The same loop-heavy programs (`pybpf.vm.samples`) run in the VM (best of a few runs, CPU time) and in the kernel
(XDP, behind the oracle's r1 = mem / r2 = len prologue, ``repeat`` runs, JIT if
enabled), and both must return the same r0 first. Instructions per run are the
VM's count; the kernel's rate is that count over its mean duration per run.
One JSON line per program, ``ratio = vm / kernel`` (> 1 would mean the VM is
faster; it is not, the figure is tracked):

- ``alu_loop``: 8-instruction ALU body, 20,000 iterations;
- ``mem_loop``: stack and packet loads/stores plus an atomic add, 10,000 iterations;
- ``call_loop``: a bpf-to-bpf call per iteration, 5,000 iterations.

Also ``trace_overhead``: the VM's rate with a no-op trace callback over its
plain rate (no peer); and ``<program>_insns_per_s`` against the VM of an earlier commit
(``--baseline REV``, default `BASELINE`: the VM before issue 20's work on its speed), its
``pybpf`` package taken from git into a temporary directory and timed the same way in a
subprocess, rounds alternating with this tree's VM (``--rounds``; the best of each side).

    .venv/bin/python benchmarks/vm.py [--baseline REV] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import emit, skip  # noqa: E402

from pybpf.asm import assemble  # noqa: E402
from pybpf.vm import VM  # noqa: E402
from pybpf.vm.samples import MEM, PROGRAMS  # noqa: E402


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


#: the main branch before the VM's speed work of issue 20 (fused blocks with registers in
#: locals, self-loops, inline atomics)
BASELINE = "9563966"

#: run in a subprocess against an older tree: argv = [programs JSON, mem hex]; prints rates
_BASELINE_SCRIPT = r"""
import json, sys, time
from pybpf.asm import assemble
from pybpf.vm import VM
programs, mem = json.loads(sys.argv[1]), bytes.fromhex(sys.argv[2])
out = {}
for name, text in programs.items():
    prog = assemble(text)
    vm = VM()
    res = vm.run(prog, mem=mem)
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        res = vm.run(prog, mem=mem)
        best = min(best, time.process_time() - start)
    out[name] = [res.insns / best, res.insns, res.r0]
print(json.dumps(out))
"""


def baseline_rates(rev: str, tmp: Path) -> dict[str, list[float]] | None:
    """``{program: [rate, insns, r0]}`` of the VM at git revision ``rev`` (None without git
    or that revision)."""
    root = Path(__file__).resolve().parent.parent
    tree = tmp / "tree"
    if not tree.exists():
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(root), "archive", rev, "pybpf"],
                                 capture_output=True)
        if archive.returncode:
            return None
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", _BASELINE_SCRIPT, json.dumps(PROGRAMS),
                           MEM.hex()], capture_output=True, text=True, env=env, cwd=tmp)
    if proc.returncode:
        raise SystemExit(f"the VM at {rev} failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def against_baseline(rev: str, rounds: int) -> None:
    """Each program's rate against the VM at ``rev``, rounds alternating, best of each."""
    mine: dict[str, float] = {}
    theirs: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pybpf-bench-vm-") as tmp:
        for _ in range(rounds):
            old = baseline_rates(rev, Path(tmp))
            if old is None:
                skip("vm", "insns_per_s (baseline)", f"no git revision {rev}")
                return
            for name, text in PROGRAMS.items():
                rate, insns, r0 = vm_rate(assemble(text), MEM)
                if [insns, r0] != old[name][1:]:
                    raise SystemExit(f"{name}: this VM ran {insns} insns to r0 {r0:#x}, the VM "
                                     f"at {rev} {old[name][1]} to {old[name][2]:#x}")
                mine[name] = max(mine.get(name, 0.0), rate)
                theirs[name] = max(theirs.get(name, 0.0), old[name][0])
    for name in PROGRAMS:
        emit("vm", f"{name}_insns_per_s", mine[name], f"pybpf VM at {rev}", theirs[name],
             lower_is_better=False, rounds=rounds)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE, help="git revision of the VM to compare "
                    "with (default: %(default)s); 'none' to skip")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if args.baseline != "none":
        against_baseline(args.baseline, args.rounds)
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
