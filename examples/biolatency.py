"""Block I/O latency as a log2 histogram (block:block_rq_issue -> block:block_rq_complete).

    pybpf probe examples/biolatency.py --duration 10
"""

from pybpf.dsl import HashMap, Histogram, Struct, ktime_ns, probe, u32, u64


class Rq(Struct):
    dev: u32
    sector: u64


start = HashMap(Rq, u64, max_entries=10240)
usecs = Histogram(64)


@probe("tracepoint/block/block_rq_issue")
def rq_issue(ctx):
    k = Rq()
    k.dev = ctx.dev
    k.sector = ctx.sector
    start[k] = ktime_ns()


@probe("tracepoint/block/block_rq_complete")
def rq_complete(ctx):
    k = Rq()
    k.dev = ctx.dev
    k.sector = ctx.sector
    ts = start.get(k, 0)
    if ts == 0:
        return 0
    usecs.log2((ktime_ns() - ts) // 1000)
    del start[k]
    return 0


def report(emit):
    """One JSON row with the buckets under --json, else a bpftrace-style histogram."""
    if emit.json:
        emit({"usecs_log2_buckets": usecs.buckets()})
    else:
        print("@usecs:")
        print(usecs.format("us"))
