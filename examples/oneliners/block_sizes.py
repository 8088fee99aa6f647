"""Lesson 11, block I/O sizes: ``tracepoint:block:block_rq_issue { @ = hist(args->bytes); }``

    pybpf probe examples/oneliners/block_sizes.py
"""

from pybpf.dsl import args, at, on

on("tracepoint:block:block_rq_issue", at.bytes.hist(args.bytes))
