"""Block I/O latency, bpftrace's

    tracepoint:block:block_rq_issue { @start[args->dev, args->sector] = nsecs; }
    tracepoint:block:block_rq_complete /@start[args->dev, args->sector]/ {
        @usecs = hist((nsecs - @start[args->dev, args->sector]) / 1000);
        delete(@start[args->dev, args->sector]); }

as `on` probes:

    pybpf probe examples/oneliners/block_latency.py
"""

from pybpf.dsl import args, at, delete, nsecs, on

on("tracepoint:block:block_rq_issue", at.start[args.dev, args.sector].set(nsecs))
on(
    "tracepoint:block:block_rq_complete",
    at.usecs.hist((nsecs - at.start[args.dev, args.sector]) // 1000),
    delete(at.start[args.dev, args.sector]),
    when=at.start[args.dev, args.sector],
)
