"""Lesson 2, hello world: ``bpftrace -e 'BEGIN { printf("hello world\\n"); }'``

    pybpf probe examples/oneliners/hello.py
"""

from pybpf.dsl import on, printf

on("BEGIN", printf("hello world\n"))
