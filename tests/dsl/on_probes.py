"""One-line probes (`pybpf.dsl.on`) beside the same probes written with ``@probe`` and a ``def``:
tests/dsl/test_on.py compiles both and compares the programs. Importing this module compiles
nothing (the lines are compiled when a test asks)."""

from pybpf.dsl import (
    XDP_DROP,
    XDP_PASS,
    Maps,
    args,
    at,
    comm,
    count,
    delete,
    nsecs,
    on,
    pid,
    print,  # noqa: A004 - bpftrace's print(@m); Python's would print at import
    printf,
    probe,
    retval,
    tid,
)

syscalls = on("tracepoint:raw_syscalls:sys_enter", at[comm].count())
enter = on("tracepoint:syscalls:sys_enter_openat", at.start[tid].set(nsecs), at.filename[tid].set(str(args.filename)))
leave = on(
    "tracepoint:syscalls:sys_exit_openat",
    printf("%-20s %-6d %10d us %s\n", comm, pid, (nsecs - at.start[tid]) // 1000, at.filename[tid]),
    delete(at.start[tid], at.filename[tid]),
    when=at.start[tid],
)
named = on(
    "tracepoint:syscalls:sys_exit_openat",
    printf("%d %d\n", (lat := (nsecs - at.start[tid]) // 1000), lat * 2),
    at.lat.hist(lat),
    when=at.start[tid] and pid > 1,
    name="named",
)
two_a, two_b = on("raw_tracepoint:sys_enter", at.a.count()), on("raw_tracepoint:sys_enter", at.b.sum(pid))
printer = on("interval:s:1", print(at.a))
verdict = on("xdp", XDP_DROP if pid == 1 else XDP_PASS, iface="lo")
returns = on("uretprobe:/bin/true:main", at.r.set(retval), name="returns")

bt = Maps()


@probe("tracepoint:raw_syscalls:sys_enter")
def syscalls_def(ctx):
    bt[comm()] = count()


@probe("tracepoint:syscalls:sys_enter_openat")
def enter_def(ctx):
    bt.start[tid()] = nsecs()
    bt.filename[tid()] = str(ctx.filename)


@probe("tracepoint:syscalls:sys_exit_openat")
def leave_def(ctx):
    if bt.start[tid()]:
        printf("%-20s %-6d %10d us %s\n", comm(), pid(), (nsecs() - bt.start[tid()]) // 1000, bt.filename[tid()])
        del bt.start[tid()], bt.filename[tid()]


@probe("tracepoint:syscalls:sys_exit_openat")
def bare_def(ctx):
    if bt.start[tid]:  # bpftrace's builtins without parentheses in a def too
        printf("%-20s %-6d %10d us %s\n", comm, pid, (nsecs - bt.start[tid]) // 1000, bt.filename[tid])
        del bt.start[tid], bt.filename[tid]


@probe("tracepoint:raw_syscalls:sys_enter")
def local_shadows(ctx):
    pid = 7  # a local named like a builtin stays the local
    bt.shadow[pid] = count()


