"""Lesson 3, file opens: ``tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm,
str(args->filename)); }``

    pybpf probe examples/oneliners/opens.py
"""

from pybpf.dsl import comm, printf, probe


@probe("tracepoint:syscalls:sys_enter_openat")
def opens(ctx):
    printf("%s %s\n", comm(), str(ctx.filename))
