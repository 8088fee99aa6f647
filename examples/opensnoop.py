"""Trace openat(): pid, comm, filename, latency and return value, through a ring buffer.

    pybpf probe examples/opensnoop.py --duration 5
"""

from pybpf.dsl import (
    HashMap,
    RingBuf,
    Struct,
    char,
    comm,
    ktime_ns,
    pid,
    probe,
    probe_read_user_str,
    s64,
    tid,
    u32,
    u64,
)


class Start(Struct):
    ts: u64
    fname: u64  # the user's filename pointer


class Event(Struct):
    pid: u32
    tid: u32
    ret: s64
    lat_ns: u64
    comm: char[16]
    filename: char[128]


start = HashMap(u32, Start, max_entries=10240)
events = RingBuf(Event, size=1 << 18)


@probe("tracepoint/syscalls/sys_enter_openat")
def openat_enter(ctx):
    s = Start()
    s.ts = ktime_ns()
    s.fname = ctx.filename
    start[tid()] = s


@probe("tracepoint/syscalls/sys_exit_openat")
def openat_exit(ctx):
    t = tid()
    s = start.lookup(t)
    if s is None:
        return 0
    e = Event()
    e.pid = pid()
    e.tid = t
    e.ret = ctx.ret
    e.lat_ns = ktime_ns() - s.ts
    e.comm = comm()
    e.filename = probe_read_user_str(s.fname)
    del start[t]
    events.output(e)
    return 0


def format_event(e):
    return (f"{e.pid:<7} {e.comm.decode(errors='replace'):<16} {e.ret:>4} "
            f"{e.lat_ns / 1000:8.1f}us {e.filename.decode(errors='replace')}")
