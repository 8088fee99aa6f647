"""Lesson 4, syscall counts by process: ``tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }``

    pybpf probe examples/oneliners/syscount.py
"""

from pybpf.dsl import at, comm, on

on("tracepoint:raw_syscalls:sys_enter", at[comm].count())
