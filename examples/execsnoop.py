"""Trace exec: pid, parent pid (task->real_parent->tgid through BTF), comm, filename, argv[0].

    pybpf probe examples/execsnoop.py --duration 5
"""

from pybpf.dsl import (
    RingBuf,
    Struct,
    char,
    comm,
    pid,
    probe,
    probe_read_user,
    probe_read_user_str,
    task,
    u32,
    u64,
)


class Event(Struct):
    pid: u32
    ppid: u32
    comm: char[16]
    filename: char[128]
    argv0: char[64]


class Argv(Struct):
    first: u64[1]  # argv[0], the user's pointer


events = RingBuf(Event, size=1 << 18)


@probe("tracepoint/syscalls/sys_enter_execve")
def exec_enter(ctx):
    e = Event()
    e.pid = pid()
    e.ppid = task().real_parent.tgid
    e.comm = comm()
    e.filename = probe_read_user_str(ctx.filename)
    argv = Argv()
    argv.first = probe_read_user(ctx.argv)
    e.argv0 = probe_read_user_str(argv.first[0])
    events.output(e)
    return 0


def format_event(e):
    return f"{e.pid:<7} {e.ppid:<7} {e.comm.decode(errors='replace'):<16} {e.filename.decode()} {e.argv0.decode()}"
