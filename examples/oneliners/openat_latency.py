"""openat() latency with the file name, bpftrace's

    tracepoint:syscalls:sys_enter_openat { @start[tid] = nsecs; @filename[tid] = str(args->filename); }
    tracepoint:syscalls:sys_exit_openat /@start[tid]/ { $latency = (nsecs - @start[tid]) / 1000;
        printf("%-20s %-6d %10d us %s\\n", comm, pid, $latency, @filename[tid]);
        delete(@start[tid]); delete(@filename[tid]); }

as `on` probes (the second's line is split where ruff's formatter splits it):

    pybpf probe examples/oneliners/openat_latency.py
"""

from pybpf.dsl import args, at, comm, delete, nsecs, on, pid, printf, tid

on("tracepoint:syscalls:sys_enter_openat", at.start[tid].set(nsecs), at.filename[tid].set(str(args.filename)))
on(
    "tracepoint:syscalls:sys_exit_openat",
    printf("%-20s %-6d %10d us %s\n", comm, pid, (nsecs - at.start[tid]) // 1000, at.filename[tid]),
    delete(at.start[tid], at.filename[tid]),
    when=at.start[tid],
)
