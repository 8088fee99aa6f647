"""Lesson 9, on-CPU kernel stacks: ``profile:hz:99 { @[kstack] = count(); }``

    pybpf probe examples/oneliners/kernel_stacks.py
"""

from pybpf.dsl import at, count, kstack, probe


@probe("profile:hz:99")
def sample(ctx):
    at[kstack()] = count()
