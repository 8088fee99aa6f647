"""Probes for tests/dsl/test_reach.py: variable indexes, subprograms, bpf_loop."""

from pybpf.dsl import ArrayMap, HashMap, Struct, loop, pid, probe, subprog, u8, u32, u64

TARGET = ArrayMap(u32, 1)  # the test's pid: the probes ignore every other process


class Slots(Struct):
    b: u8[64]
    w: u64[8]


class Sums(Struct):
    total: u64
    calls: u64


slots = ArrayMap(Slots, 1)
out = HashMap(u32, u64, max_entries=64)


@probe("tracepoint:syscalls:sys_enter_kill")
def variable_index(ctx):
    """kill(pid, sig) with a pid of our choosing: its low bits index arrays."""
    if pid() != TARGET.get(0, 0):
        return 0
    idx = ctx.pid & 0xFF
    p = slots.lookup(0)
    if p is None:
        return 0
    if idx < 64:
        p.b[idx] = 1
    p.w[idx] += 1  # an index past the end is not stored
    s = Slots()
    s.w[idx] = idx + 100  # a stack array, variable offset
    out[1] = s.w[idx]
    out[2] = p.w[idx]
    out[3] = p.b[idx]
    return 0


@subprog
def clamp(v: u64, hi: u64) -> u64:
    if v > hi:
        return hi
    return v


@subprog
def add_index(i: u64, s: Sums) -> u64:
    s.total += i
    s.calls += 1
    if s.calls == 50:
        return 1  # stops the loop
    return 0


@probe("tracepoint:syscalls:sys_enter_getppid")
def calls_and_loops(ctx):
    if pid() != TARGET.get(0, 0):
        return 0
    s = Sums()
    n = loop(100, add_index, s)
    out[10] = s.total
    out[11] = n
    out[12] = clamp(s.calls, 7)
    out[13] = clamp(3, 7)
    return 0
