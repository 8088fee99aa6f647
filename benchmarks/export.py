"""What one Prometheus scrape of ``pybpf export`` costs, for a map of 10,000 series.

A kernel hash map keyed by ``struct {char comm[16]; u32 cpu;}`` with u64 counts is filled
with ``--series`` entries; one scrape is what ``/metrics`` does: read the map in batches,
decode the keys to labels, build the samples, encode the text format
(``prometheus_client.generate_latest``). Figures, one JSON line each:

- ``scrape_s`` and ``scrape_cpu_s`` against **the floor**, a plain
  ``lookup_batch_raw()`` of the same map (the batch read every scrape starts with, and
  nothing else): ``ratio`` = floor / scrape, below 1 by construction; it says how many
  times the floor a whole scrape costs.
- ``collect_cpu_s``: pybpf's own part of a scrape (batch read, labels, samples; not the
  library's text encoding), against the same floor.
- ``scrape_cold_s``: the first scrape, every key decoded (later scrapes reuse the labels of
  keys already seen), against the same floor.
- ``scrape_vs_gauge_s``: against the same scrape written by hand with the official client
  library's instrumentation API (a labelled ``Gauge``, ``.labels(comm, cpu).set(v)`` for
  each entry read by the same batch call, then ``generate_latest``): ratio > 1 means pybpf's
  collector is cheaper than that.

Each side runs ``--repeat`` rounds alternately with the others (the machine is shared) and
each figure is the median of its rounds; CPU is this process's CPU time per scrape.

Run as root: ``.venv/bin/python benchmarks/export.py [--series N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import emit, skip  # noqa: E402

BENCH = "export"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    import os

    if os.geteuid() != 0:
        skip(BENCH, "scrape_s", "needs root (bpf())")
        return 0
    try:
        from prometheus_client import CollectorRegistry, Gauge, generate_latest
    except ImportError:
        skip(BENCH, "scrape_s", "prometheus_client is not installed (pip install pybpf[export])")
        return 0

    from pybpf.dsl import HashMap as DslHashMap
    from pybpf.dsl import Struct, char, u32, u64
    from pybpf.export import counter
    from pybpf.export.collector import MapCollector
    from pybpf.export.plan import plan_one
    from pybpf.kernel import HashMap, MapSpec

    class Key(Struct):
        comm: char[16]
        cpu: u32

    n = args.series
    with HashMap.create(MapSpec(key_size=Key.size, value_size=8, max_entries=n)) as m:
        keys = b"".join(Key.encode({"comm": f"proc-{i // 8}".encode(), "cpu": i % 8}) for i in range(n))
        values = b"".join((i * 7).to_bytes(8, "little") for i in range(n))
        assert m.update_batch_raw(keys, values, n) == n
        dsl_map = DslHashMap(Key, u64, max_entries=n)
        plans = plan_one("counts", dsl_map, counter("bench_counts"), prefix="bench", filename="bench.py")

        def make_registry() -> tuple[CollectorRegistry, MapCollector]:
            reg = CollectorRegistry(auto_describe=False)
            col = MapCollector(plans, {"counts": m})
            reg.register(col)
            return reg, col

        reg, col = make_registry()
        body = generate_latest(reg)
        assert body.count(b"\nbench_counts_total{") == n, "every entry is one series"

        gauge_reg = CollectorRegistry(auto_describe=False)
        gauge = Gauge("bench_counts", "by hand", ["comm", "cpu"], registry=gauge_reg)
        ks = Key.size

        def by_hand() -> bytes:
            kraw, vraw, cnt = m.lookup_batch_raw()
            vals = memoryview(vraw).cast("Q")
            for i in range(cnt):
                k = Key.decode(kraw[i * ks:(i + 1) * ks])
                gauge.labels(k.comm.decode(), str(k.cpu)).set(vals[i])
            return generate_latest(gauge_reg)

        def floor() -> object:
            return m.lookup_batch_raw()

        def scrape() -> bytes:
            return generate_latest(reg)

        def cold() -> bytes:
            fresh, _ = make_registry()
            return generate_latest(fresh)

        def collect() -> object:
            return list(col.collect())

        sides = {"floor": floor, "scrape": scrape, "collect": collect, "cold": cold, "by_hand": by_hand}
        wall: dict[str, list[float]] = {k: [] for k in sides}
        cpu: dict[str, list[float]] = {k: [] for k in sides}
        for fn in sides.values():
            fn()  # warm-up
        for _ in range(args.repeat):
            for name, fn in sides.items():
                w0, c0 = time.perf_counter(), time.process_time()
                fn()
                wall[name].append(time.perf_counter() - w0)
                cpu[name].append(time.process_time() - c0)
        med = {k: statistics.median(v) for k, v in wall.items()}
        medc = {k: statistics.median(v) for k, v in cpu.items()}
        extra = {"series": n, "repeat": args.repeat, "bytes_per_scrape": len(body)}
        emit(BENCH, "scrape_s", med["scrape"], "batch read (floor)", med["floor"], **extra)
        emit(BENCH, "scrape_cpu_s", medc["scrape"], "batch read (floor)", medc["floor"], **extra)
        emit(BENCH, "collect_cpu_s", medc["collect"], "batch read (floor)", medc["floor"], **extra)
        emit(BENCH, "scrape_cold_s", med["cold"], "batch read (floor)", med["floor"], **extra)
        emit(BENCH, "scrape_vs_gauge_s", med["scrape"], "prometheus_client Gauge.labels().set()",
             med["by_hand"], **extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
