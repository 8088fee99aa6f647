"""openat() latency with the file name: ``sys_enter_openat { @start[tid] = nsecs;
@filename[tid] = str(args->filename); } sys_exit_openat /@start[tid]/ { $latency = (nsecs -
@start[tid]) / 1000; printf("%-20s %-6d %10d us %s\\n", comm, pid, $latency, @filename[tid]);
delete(@start[tid]); delete(@filename[tid]); }``

    pybpf probe examples/oneliners/openat_latency.py
"""

from pybpf.dsl import at, comm, nsecs, pid, printf, probe, tid


@probe("tracepoint:syscalls:sys_enter_openat")
def enter(ctx):
    at.start[tid()] = nsecs()
    at.filename[tid()] = str(ctx.filename)


@probe("tracepoint:syscalls:sys_exit_openat")
def leave(ctx):
    if at.start[tid()]:
        latency = (nsecs() - at.start[tid()]) // 1000
        printf("%-20s %-6d %10d us %s\n", comm(), pid(), latency, at.filename[tid()])
        del at.start[tid()], at.filename[tid()]
