"""Lesson 10, scheduler tracing: ``tracepoint:sched:sched_switch { @[kstack] = count(); }``

    pybpf probe examples/oneliners/switch_stacks.py
"""

from pybpf.dsl import at, count, kstack, probe


@probe("tracepoint:sched:sched_switch")
def switch(ctx):
    at[kstack()] = count()
