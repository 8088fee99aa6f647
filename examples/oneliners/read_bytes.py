"""Lesson 5, distribution of read() bytes of one process: ``tracepoint:syscalls:sys_exit_read
/pid == 18644/ { @bytes = hist(args->ret); }``

    PID=18644 pybpf probe examples/oneliners/read_bytes.py
"""

import os

from pybpf.dsl import at, hist, pid, probe

PID = int(os.environ.get("PID", "0"))


@probe("tracepoint:syscalls:sys_exit_read")
def reads(ctx):
    if pid() == PID:
        at.bytes = hist(ctx.ret)
