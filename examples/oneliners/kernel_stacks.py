"""Lesson 9, on-CPU kernel stacks: ``profile:hz:99 { @[kstack] = count(); }``

    pybpf probe examples/oneliners/kernel_stacks.py
"""

from pybpf.dsl import at, kstack, on

on("profile:hz:99", at[kstack].count())
