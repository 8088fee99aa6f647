"""Lesson 8, count process-level events for 5 seconds: ``tracepoint:sched:sched* { @[probe] =
count(); } interval:s:5 { exit(); }``

    pybpf probe examples/oneliners/sched_events.py
"""

from pybpf.dsl import at, exit, on, probe_name

on("tracepoint:sched:sched*", at[probe_name].count())
on("interval:s:5", exit())
