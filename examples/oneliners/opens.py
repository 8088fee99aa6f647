"""Lesson 3, file opens: ``tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm,
str(args->filename)); }``

    pybpf probe examples/oneliners/opens.py
"""

from pybpf.dsl import args, comm, on, printf

on("tracepoint:syscalls:sys_enter_openat", printf("%s %s\n", comm, str(args.filename)))
