"""Lesson 8, count process-level events for 5 seconds: ``tracepoint:sched:sched* { @[probe] =
count(); } interval:s:5 { exit(); }``

    pybpf probe examples/oneliners/sched_events.py
"""

from pybpf.dsl import at, count, exit, probe, probe_name


@probe("tracepoint:sched:sched*")
def sched(ctx):
    at[probe_name()] = count()


@probe("interval:s:5")
def stop(ctx):
    exit()
