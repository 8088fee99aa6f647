"""Lesson 11, block I/O sizes: ``tracepoint:block:block_rq_issue { @ = hist(args->bytes); }``

    pybpf probe examples/oneliners/block_sizes.py
"""

from pybpf.dsl import at, hist, probe


@probe("tracepoint:block:block_rq_issue")
def issue(ctx):
    at.bytes = hist(ctx.bytes)
