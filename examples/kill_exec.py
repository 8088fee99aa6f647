"""Tetragon-style enforcement: SIGKILL every process that execs a forbidden binary path.

    PYBPF_KILL_PATH=/tmp/forbidden pybpf probe examples/kill_exec.py --duration 30

The forbidden paths are keys of ``blocked`` (filled by ``setup()`` from PYBPF_KILL_PATH,
or by a program through ``blocked[path] = 1``); each kill is counted in ``killed`` by pid.
"""

import os

from pybpf.dsl import HashMap, Struct, char, pid, probe, probe_read_kernel_str, send_signal, u8, u32, u64

SIGKILL = 9


class Path(Struct):
    name: char[256]


blocked = HashMap(char[256], u8, max_entries=64)
killed = HashMap(u32, u64, max_entries=1024)


@probe("tracepoint/sched/sched_process_exec")
def on_exec(ctx):
    p = Path()
    p.name = probe_read_kernel_str(ctx.filename)
    if blocked.get(p.name, 0):
        send_signal(SIGKILL)
        killed[pid()] += 1
    return 0


def setup():
    path = os.environ.get("PYBPF_KILL_PATH")
    if path:
        blocked[path.encode()] = 1


def report(emit):
    for p, n in killed.items():
        emit({"killed_pid": p, "times": n})
