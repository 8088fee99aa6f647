"""Start-up: whole-process time of a small tracepoint counter, pybpf against C libbpf, BCC
and ebpfcat; and of ``pybpf --help`` and ``pybpf asm`` of a two-line file.

The counter counts ``syscalls:sys_enter_getpid`` in a one-entry array map; each process
starts, builds its program, creates the map, loads, attaches, calls getpid ten times,
reads the count (at least 10, or the run fails), detaches and exits:

- pybpf, four front ends: the instruction builder (``builder``, `pybpf.asm.builder`), the
  assembler (``asm``, text through `pybpf.assemble`), the Python DSL (``dsl``, a
  `pybpf.dsl.Session`) and clang's object (``object``, `pybpf.elf.loader.BpfObject`);
- C libbpf: the same clang object through ``bpf_object__open_file``, ``__load``,
  ``bpf_program__attach`` (``gcc -lbpf``, libbpf-dev);
- BCC: ``/usr/bin/python3`` (Debian's python3-bpfcc) with ``BPF(text=...)`` and a
  ``TRACEPOINT_PROBE``;
- ebpfcat (PyPI): the program built by subclassing its ``EBPF``, attached with
  ``perf_event_open`` and two ioctls through ctypes (ebpfcat has no tracepoint attach of
  its own).

The DSL counter's warm-up run compiles its probe and keeps the program (`pybpf.dsl.cache`,
as any probe file run again on the same kernel does); the timed runs load the kept program,
without the compiler. ``dsl_compile`` is the same probe run with ``PYBPF_DSL_CACHE=0``: its
first run's time, the compiler's included, in every run.

Every process pays the kernel's tracepoint detach (the perf event's release waits for an
RCU grace period): tens of milliseconds, the same for everyone. pybpf runs as an installed
package does (`_common.installed_python`: no editable-install hook, bytecode cached).

Figures (JSON lines; ratio > 1: pybpf is better; the commands run round-robin, each
round in a rotated order, so the machine's load weighs on all alike):

- ``counter_s/<front end>`` against each peer: median wall seconds, with ``spread``
  (min, max of each side), the CPU medians and, with ``--instructions``, the instructions
  each process executes (valgrind's callgrind: the same on every run, whatever the load);
- ``help_s`` (peer ``bpftool help``) and ``asm_2line_s`` (peer ``llvm-mc-19``), and the
  same two against the 60 ms target (peer ``target``): in wall time, and in CPU time
  (``.../target_cpu``).

On a shared machine the wall figures are mostly time spent waiting for a CPU, not time
pybpf blocks: ``pybpf --help`` at a load average of 13 spent 27-30 ms on the CPU,
113-127 ms in the run queue and 5-9 ms elsewhere (exec, page faults) by its
``/proc/self/schedstat``, and 240-450 ms in the run queue under ``nice -n 10``. The CPU
figures are the ones that move little with the load; the counters' wall time also holds
the kernel's tracepoint detach (above), which no CPU figure shows.

Run as root: ``.venv/bin/python benchmarks/startup.py [--runs 7] [--instructions]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import bcc_env, emit, installed_python, instructions, need, pybpf_env, skip

BENCH = "startup"
TRACEPOINT = "syscalls:sys_enter_getpid"

BPF_C = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int count(void *ctx)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&counts, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
"""

LIBBPF_C = r"""
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The counter: open and load the object, attach, count ten getpids, detach, exit. */
int main(int argc, char **argv)
{
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || libbpf_get_error(obj) || bpf_object__load(obj)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "count");
	struct bpf_link *link = prog ? bpf_program__attach(prog) : NULL;
	if (!link || libbpf_get_error(link)) {
		fprintf(stderr, "attach failed\n");
		return 1;
	}
	for (int i = 0; i < 10; i++)
		syscall(SYS_getpid);
	__u32 key = 0;
	__u64 value = 0;
	int fd = bpf_object__find_map_fd_by_name(obj, "counts");
	if (bpf_map_lookup_elem(fd, &key, &value) || value < 10) {
		fprintf(stderr, "count %llu < 10\n", (unsigned long long)value);
		return 1;
	}
	printf("%llu\n", (unsigned long long)value);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
"""

COUNTER_BUILDER = '''"""The counter built with pybpf's instruction builder."""
import os

import pybpf
from pybpf.asm.builder import (R0, R1, R2, R10, Add, Atomic, Call, Exit, JEq, LoadMapPtr, Mov,
                               ProgramBuilder, Stx)
from pybpf.kernel.link import tracepoint

b = ProgramBuilder(prog_type="tracepoint")
b.map("counts", "array", 4, 8, 1)
b.emit(Mov.imm(R1, 0), Stx.w(R10, -4, R1), Mov.reg(R2, R10), Add.imm(R2, -4),
       LoadMapPtr(R1, "counts"), Call.helper("map_lookup_elem"), JEq.imm(R0, 0, "out"),
       Mov.imm(R1, 1), Atomic.add(R0, 0, R1))
b.label("out").emit(Mov.imm(R0, 0), Exit())

with pybpf.load(b.build()) as prog, tracepoint(prog, "syscalls:sys_enter_getpid"):
    for _ in range(10):
        os.getpid()
    n = int.from_bytes(prog.maps["counts"][0], "little")
if n < 10:
    raise SystemExit(f"count {n} < 10")
print(n)
'''

COUNTER_ASM = '''"""The counter in pybpf's assembler."""
import os

import pybpf
from pybpf.kernel.link import tracepoint

PROGRAM = """
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = counts ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = 0
exit
.map counts array key=4 value=8 max_entries=1
"""

with pybpf.load(pybpf.assemble(PROGRAM), "tracepoint") as prog, \\
        tracepoint(prog, "syscalls:sys_enter_getpid"):
    for _ in range(10):
        os.getpid()
    n = int.from_bytes(prog.maps["counts"][0], "little")
if n < 10:
    raise SystemExit(f"count {n} < 10")
print(n)
'''

COUNTER_DSL = '''"""The counter in pybpf's Python DSL."""
import os

from pybpf.dsl import ArrayMap, Session, probe, u64

counts = ArrayMap(u64)


@probe("tracepoint/syscalls/sys_enter_getpid")
def count(ctx):
    counts[0] += 1


with Session([count]):
    for _ in range(10):
        os.getpid()
    n = counts[0]
if n < 10:
    raise SystemExit(f"count {n} < 10")
print(n)
'''

COUNTER_OBJECT = '''"""The counter from clang's object, loaded by pybpf."""
import os
import sys

from pybpf.elf.loader import BpfObject

with BpfObject.open(sys.argv[1]).load() as obj:
    obj.attach()
    for _ in range(10):
        os.getpid()
    n = int.from_bytes(obj.maps["counts"][0], "little")
if n < 10:
    raise SystemExit(f"count {n} < 10")
print(n)
'''

COUNTER_BCC = '''"""The counter in BCC."""
import ctypes
import os

from bcc import BPF

b = BPF(text="""
BPF_ARRAY(counts, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
    int key = 0;
    u64 *value = counts.lookup(&key);
    if (value)
        __sync_fetch_and_add(value, 1);
    return 0;
}
""")
for _ in range(10):
    os.getpid()
n = b["counts"][ctypes.c_int(0)].value
b.cleanup()
if n < 10:
    raise SystemExit(f"count {n} < 10")
print(n)
'''

COUNTER_EBPFCAT = '''"""The counter in ebpfcat (its program built in Python; attached by hand: ebpfcat has no
tracepoint attach, so perf_event_open and two ioctls through ctypes)."""
import ctypes
import os
import struct

from ebpfcat.arraymap import ArrayMap
from ebpfcat.bpf import ProgType
from ebpfcat.ebpf import EBPF


class Counter(EBPF):
    m = ArrayMap()
    count = m.globalVar("Q")

    def program(self):
        self.count += 1
        self.r0 = 0
        self.exit()


c = Counter(ProgType.TRACEPOINT, "GPL")
c.load()
with open("/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id") as f:
    tp_id = int(f.read())
libc = ctypes.CDLL(None, use_errno=True)
# perf_event_attr: PERF_TYPE_TRACEPOINT, size, config = the tracepoint id, sample_period 1
attr = ctypes.create_string_buffer(struct.pack("<IIQQ", 2, 128, tp_id, 1).ljust(128, b"\\0"))
fd = libc.syscall(298, attr, -1, 0, -1, 8)  # pid -1, cpu 0, no group, PERF_FLAG_FD_CLOEXEC
# PERF_EVENT_IOC_SET_BPF, then PERF_EVENT_IOC_ENABLE
if fd < 0 or libc.ioctl(fd, 0x40042408, c.file_descriptor) or libc.ioctl(fd, 0x2400, 0):
    raise OSError(ctypes.get_errno(), "attaching the tracepoint")
for _ in range(10):
    os.getpid()
n = c.count
os.close(fd)
if n < 10:
    raise SystemExit(f"count {n} < 10")
print(n)
'''


def run_once(argv: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; RuntimeError naming the command on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace').strip()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def round_robin(commands: dict[str, tuple[list[str], dict[str, str] | None]], runs: int
                ) -> dict[str, list[tuple[float, float]]]:
    """``runs`` rounds over every command (after one warm-up round), each round starting
    one further along, so that the machine's load falls on all alike."""
    names = list(commands)
    for name in names:
        run_once(*commands[name])
    out: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for i in range(runs):
        for name in names[i % len(names):] + names[:i % len(names)]:
            out[name].append(run_once(*commands[name]))
    return out


def spread(values: list[float]) -> list[float]:
    return [round(min(values), 4), round(max(values), 4)]


def figure(metric: str, ours: list[tuple[float, float]], peer_name: str,
           theirs: list[tuple[float, float]], **extra: object) -> None:
    a = [w for w, _ in ours]
    b = [w for w, _ in theirs]
    emit(BENCH, metric, statistics.median(a), peer_name, statistics.median(b),
         runs=len(a), spread={"pybpf": spread(a), "peer": spread(b)},
         cpu_s={"pybpf": round(statistics.median(c for _, c in ours), 4),
                "peer": round(statistics.median(c for _, c in theirs), 4)}, **extra)


def build(work: Path) -> tuple[Path | None, Path | None, str | None]:
    """The clang object and the C libbpf counter (None and the reason when not buildable)."""
    missing = need("clang-19", "gcc")
    if missing:
        return None, None, missing
    (work / "counter.bpf.c").write_text(BPF_C)
    (work / "counter_libbpf.c").write_text(LIBBPF_C)
    obj = work / "counter.bpf.o"
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", f"-I/usr/include/{os.uname().machine}-linux-gnu",
                    "-c", str(work / "counter.bpf.c"), "-o", str(obj)], check=True)
    if not Path("/usr/include/bpf/libbpf.h").exists():
        return obj, None, "libbpf-dev is not installed"
    exe = work / "counter_libbpf"
    subprocess.run(["gcc", "-O2", str(work / "counter_libbpf.c"), "-o", str(exe), "-lbpf"],
                   check=True)
    return obj, exe, None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--instructions", action="store_true",
                    help="also count each process's instructions with valgrind (slow)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        skip(BENCH, "counter_s", "needs root (bpf, tracepoints)")
        return 0
    python = installed_python()
    with tempfile.TemporaryDirectory(prefix="pybpf-bench-startup-") as tmp:
        work = Path(tmp)
        env = {**os.environ, **pybpf_env(work / "pycache")}
        obj, libbpf_exe, why = build(work)
        ours: dict[str, tuple[list[str], dict[str, str] | None]] = {}
        for name, text in (("builder", COUNTER_BUILDER), ("asm", COUNTER_ASM),
                           ("dsl", COUNTER_DSL), ("object", COUNTER_OBJECT)):
            script = work / f"counter_{name}.py"
            script.write_text(text)
            if name == "object":
                if obj is None:
                    skip(BENCH, "counter_s/object", why or "no object")
                    continue
                ours[name] = ([python, str(script), str(obj)], env)
            else:
                ours[name] = ([python, str(script)], env)
            if name == "dsl":  # the same probe compiled in every run (no kept program)
                ours["dsl_compile"] = ([python, str(script)], {**env, "PYBPF_DSL_CACHE": "0"})
        peers: dict[str, tuple[list[str], dict[str, str] | None]] = {}
        if libbpf_exe is not None and obj is not None:
            peers["C libbpf 1.1"] = ([str(libbpf_exe), str(obj)], None)
        else:
            skip(BENCH, "counter_s (C libbpf)", why or "no libbpf")
        if subprocess.run(["/usr/bin/python3", "-c", "import bcc"], capture_output=True).returncode == 0:
            (work / "counter_bcc.py").write_text(COUNTER_BCC)
            peers["bcc"] = (["/usr/bin/python3", str(work / "counter_bcc.py")], bcc_env(work))
        else:
            skip(BENCH, "counter_s (bcc)", "python3-bpfcc is not installed")
        if subprocess.run([python, "-c", "import ebpfcat"], capture_output=True).returncode == 0:
            (work / "counter_ebpfcat.py").write_text(COUNTER_EBPFCAT)
            peers["ebpfcat"] = ([python, str(work / "counter_ebpfcat.py")], env)
        else:
            skip(BENCH, "counter_s (ebpfcat)", "ebpfcat is not installed (pip install ebpfcat)")
        results = round_robin({**{f"pybpf {n}": c for n, c in ours.items()}, **peers}, args.runs)
        counts: dict[str, int | None] = {}
        if args.instructions:
            for name, (argv, e) in {**{f"pybpf {n}": c for n, c in ours.items()}, **peers}.items():
                counts[name] = instructions(argv, env={k: v for k, v in (e or {}).items()
                                                       if k.startswith(("PYTHON", "BCC", "PYBPF"))})
        for front in ours:
            for peer in peers:
                extra: dict[str, object] = {}
                if counts:
                    extra["instructions"] = {"pybpf": counts.get(f"pybpf {front}"),
                                             "peer": counts.get(peer)}
                figure(f"counter_s/{front}", results[f"pybpf {front}"], peer, results[peer],
                       **extra)
        cli_figures(python, env, work, args.runs, args.instructions)
    return 0


def cli_figures(python: str, env: dict[str, str], work: Path, runs: int, count: bool) -> None:
    """``pybpf --help`` against ``bpftool help``; ``pybpf asm`` of two lines against llvm-mc-19."""
    src = work / "two.s"
    src.write_text("r0 = 1\nexit\n")
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "help": ([python, "-m", "pybpf", "--help"], env),
        "asm": ([python, "-m", "pybpf", "asm", str(src), "-o", str(work / "two.bin")], env)}
    peers = {"help": ["bpftool", "help"],
             "asm": ["llvm-mc-19", "-triple", "bpfel", "-filetype=obj", "-o", str(work / "two.o"),
                     str(src)]}
    for name, argv in peers.items():
        if shutil.which(argv[0]) is not None:
            commands[f"peer {name}"] = (argv, None)
    results = round_robin(commands, runs)
    for name, metric in (("help", "help_s"), ("asm", "asm_2line_s")):
        extra: dict[str, object] = {}
        if count:
            extra["instructions"] = instructions(commands[name][0], env={
                k: v for k, v in env.items() if k.startswith("PYTHON")})
        if f"peer {name}" in results:
            figure(metric, results[name], " ".join(peers[name][:2] if name == "help" else
                                                   peers[name][:1]), results[f"peer {name}"],
                   **extra)
        target = [(0.060, 0.060)] * len(results[name])
        figure(f"{metric}/target", results[name], "target", target, **extra)
        figure(f"{metric}/target_cpu", [(cpu, cpu) for _, cpu in results[name]], "target",
               target, **extra)


if __name__ == "__main__":
    sys.exit(main())
