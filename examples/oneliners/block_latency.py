"""Block I/O latency: ``block_rq_issue { @start[args->dev, args->sector] = nsecs; }
block_rq_complete /@start[args->dev, args->sector]/ { @usecs = hist((nsecs -
@start[args->dev, args->sector]) / 1000); delete(@start[args->dev, args->sector]); }``

    pybpf probe examples/oneliners/block_latency.py
"""

from pybpf.dsl import at, hist, nsecs, probe


@probe("tracepoint:block:block_rq_issue")
def issue(ctx):
    at.start[ctx.dev, ctx.sector] = nsecs()


@probe("tracepoint:block:block_rq_complete")
def complete(ctx):
    if at.start[ctx.dev, ctx.sector]:
        at.usecs = hist((nsecs() - at.start[ctx.dev, ctx.sector]) // 1000)
        del at.start[ctx.dev, ctx.sector]
