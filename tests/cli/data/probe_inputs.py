"""A pybpf DSL file: the Python input of tests/cli (every command takes every input)."""
from pybpf.dsl import ArrayMap, probe, u64

hits = ArrayMap(u64, max_entries=1)


@probe("raw_tracepoint/sys_enter")
def count_syscalls(ctx):
    hits[0] += 1
