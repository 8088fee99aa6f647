"""Lesson 10, scheduler tracing: ``tracepoint:sched:sched_switch { @[kstack] = count(); }``

    pybpf probe examples/oneliners/switch_stacks.py
"""

from pybpf.dsl import at, kstack, on

on("tracepoint:sched:sched_switch", at[kstack].count())
