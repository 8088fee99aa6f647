"""Lesson 5, distribution of read() bytes of one process: ``tracepoint:syscalls:sys_exit_read
/pid == 18644/ { @bytes = hist(args->ret); }``

    pybpf probe examples/oneliners/read_bytes.py   (after replacing 18644 by the
    process's PID, as the tutorial says)
"""

from pybpf.dsl import args, at, on, pid

on("tracepoint:syscalls:sys_exit_read", at.bytes.hist(args.ret), when=pid == 18644)
