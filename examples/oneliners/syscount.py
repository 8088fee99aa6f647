"""Lesson 4, syscall counts by process: ``tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }``

    pybpf probe examples/oneliners/syscount.py
"""

from pybpf.dsl import at, comm, count, probe


@probe("tracepoint:raw_syscalls:sys_enter")
def syscalls(ctx):
    at[comm()] = count()
