"""A perf-buffer probe and a per-CPU map for tests/dsl/test_maps.py."""

from pybpf.dsl import Global, PerCpuArrayMap, PerfBuf, Struct, char, comm, pid, probe, u32, u64

TARGET = PerCpuArrayMap(u32, 1)  # slot 0: the pid to watch (set from userspace)


class Ev(Struct):
    pid: u32
    comm: char[16]


events = PerfBuf(Ev)
calls = PerCpuArrayMap(u64, 1)


@probe("tracepoint/syscalls/sys_enter_getppid")
def on_getppid(ctx):
    want = TARGET.get(0, 0)
    me = pid()
    if want != me:
        return 0
    calls[0] += 1
    e = Ev()
    e.pid = me
    e.comm = comm()
    events.output(ctx, e)
    return 0


total = Global(u64)
last_pid = Global(u32, initial=7)


@probe("tracepoint/syscalls/sys_enter_getppid")
def count_globally(ctx):
    if last_pid.value == 7:
        total.value += 100
    total.value += 1
    last_pid.value = pid()
    return 0
