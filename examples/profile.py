"""A CPU profiler: 99 samples a second on every CPU, counted by process, kernel stack and user
stack, printed as flame-graph folded stacks (``comm;user frames;kernel frames_[k] count``:
feed it to flamegraph.pl). Kernel frames come from /proc/kallsyms, user frames from each
process's mappings and the ELF symbols of its files. ``PID=1234`` profiles one process.

    pybpf probe examples/profile.py --duration 5 > out.folded
"""

import os

from pybpf.dsl import Maps, comm, count, kstack, pid, probe, ustack
from pybpf.dsl.render import folded

at = Maps()
PID = int(os.environ.get("PID", "0"))


@probe("profile:hz:99")
def sample(ctx):
    if pid() and (PID == 0 or pid() == PID):  # not the idle task
        at.samples[comm(), ustack(), kstack()] = count()


def report(emit):
    lines = folded(at.samples)
    if emit.json:
        for line in lines:
            stack, _, n = line.rpartition(" ")
            emit({"stack": stack, "samples": int(n)})
    else:
        print("\n".join(lines))
