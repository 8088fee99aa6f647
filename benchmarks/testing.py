"""Testing speed: examples per second of the XDP example's test, in the VM and in the kernel,
against a plain C loop of BPF_PROG_TEST_RUN calls on the same program and packets.

The packets are drawn once (``xdp_packets(ports=[9999])``, seeded) and replayed by every
contestant; each example is what examples/testing/test_xdp_drop.py does for one frame:

- ``vm``: `BpfProgram.run(packet, backend="vm")` on examples/xdp_drop.py (its maps emptied
  first, the map read back after): the path a test takes without root;
- ``kernel``: the same through ``BPF_PROG_TEST_RUN`` (maps emptied and read back by bpf()
  calls): the path of the ``vm_vs_kernel`` marker's kernel half;
- peer, ``C loop``: a C program (compiled here with gcc, or clang-19 when there is no gcc)
  that calls ``BPF_PROG_TEST_RUN``
  once per packet on the same loaded program, nothing else: the floor of the kernel path.

Each figure is examples per CPU second (user + system, so the time the kernel spends in the
test runs counts for both; on a shared machine CPU time moves much less than wall time),
the median of ``--rounds`` alternating rounds. ``ratio`` > 1 would mean pybpf's path beats
the bare C loop; it does not, the figures track what the Python layers cost. Each round
gives its own ratio (pybpf's rate in that round over the C loop's in the same round):
``ratio_spread`` is their least and greatest.

    sudo .venv/bin/python benchmarks/testing.py [--examples 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import ROOT, emit, need, skip  # noqa: E402

C_LOOP = r"""
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* argv: prog fd, packets file (u32 length + bytes, repeated); prints runs and drops */
int main(int argc, char **argv)
{
	int fd = atoi(argv[1]);
	FILE *f = fopen(argv[2], "rb");
	static unsigned char buf[1 << 24], out[4096 + 256];
	size_t n = fread(buf, 1, sizeof(buf), f);
	unsigned long runs = 0, drops = 0;
	for (size_t pos = 0; pos + 4 <= n;) {
		uint32_t len;
		memcpy(&len, buf + pos, 4);
		pos += 4;
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.test.prog_fd = fd;
		attr.test.data_in = (uint64_t)(uintptr_t)(buf + pos);
		attr.test.data_size_in = len;
		attr.test.data_out = (uint64_t)(uintptr_t)out;
		attr.test.data_size_out = sizeof(out);
		attr.test.repeat = 1;
		if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &attr, sizeof(attr)) < 0) {
			perror("BPF_PROG_TEST_RUN");
			return 1;
		}
		runs++;
		drops += attr.test.retval == 1;
		pos += len;
	}
	printf("%lu %lu\n", runs, drops);
	return 0;
}
"""


def draw_packets(n: int, seed: int) -> list[bytes]:
    import random

    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    from pybpf.testing import xdp_packets

    out: list[bytes] = []

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=["generate"],
              suppress_health_check=list(HealthCheck))
    @given(xdp_packets(ports=[9999]))
    def collect(pkt: bytes) -> None:
        out.append(bytes(pkt))

    collect()
    rnd = random.Random(seed)
    while len(out) < n:  # hypothesis may stop early when it runs out of distinct examples
        out.append(rnd.choice(out))
    return out[:n]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def python_rate(prog, packets: list[bytes], backend: str) -> tuple[float, int]:
    """(examples per CPU second, drops) of reset + run + map read for every packet."""
    drops = 0
    start = cpu()
    for pkt in packets:
        prog.reset()
        out = prog.run(packet=pkt, backend=backend)
        drops += out.retval == 1
        prog.view(out, "drops")
    return len(packets) / max(cpu() - start, 1e-9), drops


def c_rate(binary: Path, prog_fd: int, data: Path, n: int) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([str(binary), str(prog_fd), str(data)], capture_output=True, text=True,
                         pass_fds=(prog_fd,), check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs, drops = map(int, res.stdout.split())
    assert runs == n, res.stdout
    took = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return n / max(took, 1e-9), drops


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    from pybpf.testing import BpfProgram

    packets = draw_packets(args.examples, args.seed)
    prog = BpfProgram.load(ROOT / "examples" / "xdp_drop.py")
    python_rate(prog, packets[:200], "vm")  # warm-up: the VM compiles the program once
    vm_rates = []
    for _ in range(args.rounds):
        rate, vm_drops = python_rate(prog, packets, "vm")
        vm_rates.append(rate)
    why = None if os.geteuid() == 0 else "not root: no BPF_PROG_TEST_RUN"
    cc = "gcc" if need("gcc") is None else "clang-19"
    why = why or need(cc)
    if why:
        skip("testing", "xdp_vm_examples_per_cpu_s", why)
        print(f"(VM alone: {statistics.median(vm_rates):.0f} examples/s)", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp, prog:
        binary = Path(tmp) / "test_run_loop"
        src = Path(tmp) / "test_run_loop.c"
        src.write_text(C_LOOP)
        subprocess.run([cc, "-O2", "-o", str(binary), str(src)], check=True)
        data = Path(tmp) / "packets.bin"
        data.write_bytes(b"".join(struct.pack("<I", len(p)) + p for p in packets))
        python_rate(prog, packets[:200], "kernel")  # loads it, warms up
        kprog = prog.group.kernel.progs[prog.name]
        fd = kprog.fd
        os.set_inheritable(fd, True)
        k_rates, c_rates, vm_more = [], [], []
        for _ in range(args.rounds):  # alternate, so a change of load weighs on all alike
            rate, k_drops = python_rate(prog, packets, "kernel")
            k_rates.append(rate)
            rate, c_drops = c_rate(binary, fd, data, len(packets))
            c_rates.append(rate)
            vm_more.append(python_rate(prog, packets, "vm")[0])
            time.sleep(0.1)
        assert vm_drops == k_drops == c_drops, (vm_drops, k_drops, c_drops)
    peer = statistics.median(c_rates)
    common = {"examples": len(packets), "drops": vm_drops, "rounds": args.rounds,
              "unit": "examples per CPU second", "compiler": cc}

    def ratio_spread(mine: list[float]) -> list[float]:
        per_round = [a / b for a, b in zip(mine, c_rates, strict=True)]
        return [round(min(per_round), 4), round(max(per_round), 4)]

    # the VM's figure is from the rounds that alternate with the C loop's, like the kernel's
    vm = statistics.median(vm_more)
    emit("testing", "xdp_vm_examples_per_cpu_s", vm, "C loop of BPF_PROG_TEST_RUN", peer,
         lower_is_better=False, spread=[round(min(vm_more)), round(max(vm_more))],
         ratio_spread=ratio_spread(vm_more), **common)
    emit("testing", "xdp_kernel_examples_per_cpu_s", statistics.median(k_rates),
         "C loop of BPF_PROG_TEST_RUN", peer, lower_is_better=False,
         spread=[round(min(k_rates)), round(max(k_rates))], peer_spread=[round(min(c_rates)), round(max(c_rates))],
         ratio_spread=ratio_spread(k_rates), **common)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
