"""The prometheus_client collector: on each scrape, every planned map is read in one batch
(``BPF_MAP_LOOKUP_BATCH``) and turned into metric families; the programs' own run time and
run count (BPF stats) and the cost of the scrape itself come with them.

Keys are decoded to label dicts once and cached by their bytes (a key whose labels can
change, a pid's process name or a cgroup's path, is re-decoded every few seconds), so a
scrape of a map whose keys did not change costs a batch read, one slice per key and one
sample per series.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from .plan import MapPlan, ValueField

__all__ = ["MapCollector", "ScrapeCost"]

_FMT: dict[tuple[int, bool], Literal["B", "H", "I", "Q", "b", "h", "i", "q"]] = {
    (1, False): "B", (2, False): "H", (4, False): "I", (8, False): "Q",
    (1, True): "b", (2, True): "h", (4, True): "i", (8, True): "q"}
_REDECODE_S = 5.0


@dataclass
class ScrapeCost:
    """What the last scrapes cost: per-map batch read time and entries, the collect's wall
    and CPU time, and (filled by the HTTP handler after encoding) whole-scrape totals."""

    map_read_s: dict[str, float] = field(default_factory=dict)
    map_entries: dict[str, int] = field(default_factory=dict)
    collect_s: float = 0.0
    collect_cpu_s: float = 0.0
    scrapes: int = 0
    scrape_s_total: float = 0.0
    scrape_cpu_s_total: float = 0.0
    last_scrape_s: float = 0.0


def _column(vraw: bytes, n: int, stride: int, f: ValueField, ncpu: int, cpu_stride: int) -> list[int]:
    """Field ``f`` of each of ``n`` values (summed over CPUs for a per-CPU map)."""
    if n == 0:
        return []
    code = _FMT.get((f.size, f.signed))
    aligned = code is not None and sys.byteorder == "little" and f.offset % f.size == 0 \
        and stride % f.size == 0 and cpu_stride % f.size == 0
    cols = []
    for c in range(ncpu):
        off = f.offset + c * cpu_stride
        if aligned and code is not None:
            view = memoryview(vraw).cast(code)
            cols.append(view[off // f.size::stride // f.size].tolist()[:n])
        else:
            cols.append([int.from_bytes(vraw[i * stride + off:i * stride + off + f.size], "little",
                                        signed=f.signed) for i in range(n)])
    if ncpu == 1:
        return cols[0]
    return [sum(x) for x in zip(*cols, strict=True)]


class _KeyCache:
    """Raw key bytes -> label dict (and the slot of a keyed histogram)."""

    def __init__(self, plan: MapPlan) -> None:
        self.plan = plan
        self.names = plan.label_names
        self.labels: dict[bytes, dict[str, str]] = {}
        self.stamp = time.monotonic()

    def get(self, raw: bytes) -> dict[str, str]:
        hit = self.labels.get(raw)
        if hit is None:
            values: list[str] = []
            for p in self.plan.parts:
                values.extend(p.decoder.fn(raw[p.offset:p.offset + p.size]))
            hit = dict(zip(self.names, values, strict=True))
            if len(self.labels) > 4 * 65536:
                self.labels.clear()
            self.labels[raw] = hit
        return hit

    def expire(self) -> None:
        if not self.plan.pure_keys and time.monotonic() - self.stamp > _REDECODE_S:
            self.labels.clear()
            self.stamp = time.monotonic()


class MapCollector:
    """Collects the planned maps (``kernel_maps`` by map name) and ``programs`` (a list of
    ``(probe name, pybpf.Program)``) for a `prometheus_client.CollectorRegistry`.

    ``stats_enabled()`` says whether the kernel is counting program run time now.
    """

    def __init__(self, plans: Sequence[MapPlan], kernel_maps: Mapping[str, Any],
                 programs: Sequence[tuple[str, Any]] = (), *, stats_enabled: Any = None) -> None:
        from ..kernel import possible_cpus

        self.plans = list(plans)
        self.kernel_maps = kernel_maps
        self.programs = list(programs)
        self.stats_enabled = stats_enabled
        self.cost = ScrapeCost()
        self._ncpu = possible_cpus()
        self._keys = {id(p): _KeyCache(p) for p in self.plans}
        self._max_slot: dict[int, int] = {}

    # -- reading ------------------------------------------------------------------------------
    def read(self, plan: MapPlan) -> tuple[bytes, list[list[int]], int, int]:
        """One batch read of ``plan``'s map: packed keys, one column per value field, count,
        key size."""
        m = self.kernel_maps[plan.map_name]
        t0 = time.perf_counter()
        kraw, vraw, n = m.lookup_batch_raw()
        self.cost.map_read_s[plan.map_name] = time.perf_counter() - t0
        self.cost.map_entries[plan.map_name] = n
        stride = len(vraw) // n if n else 0
        ncpu = self._ncpu if plan.percpu else 1
        cpu_stride = stride // ncpu if plan.percpu else 0
        cols = [_column(vraw, n, stride, f, ncpu, cpu_stride) for f in plan.values]
        ks = len(kraw) // n if n else plan.key_size
        return kraw, cols, n, ks

    # -- families -----------------------------------------------------------------------------
    def _scalar(self, plan: MapPlan) -> Iterator[Metric]:
        kraw, cols, n, ks = self.read(plan)
        cache = self._keys[id(plan)]
        cache.expire()
        get = cache.get
        labels = [get(kraw[i * ks:(i + 1) * ks]) for i in range(n)] if plan.parts else [{}] * n
        scale = plan.scale
        for f, col in zip(plan.values, cols, strict=True):
            metric = Metric(f.metric, plan.help, plan.kind)
            sname = f.metric + "_total" if plan.kind == "counter" else f.metric
            if scale == 1.0:
                metric.samples = [Sample(sname, lab, v) for lab, v in zip(labels, col, strict=True)]
            else:
                metric.samples = [Sample(sname, lab, v * scale) for lab, v in zip(labels, col, strict=True)]
            yield metric

    def _histogram(self, plan: MapPlan) -> Iterator[Metric]:
        kraw, cols, n, ks = self.read(plan)
        counts = cols[0]
        groups: dict[bytes, dict[int, int]] = {}
        cache = self._keys[id(plan)]
        cache.expire()
        bp = plan.bucket_part
        for i in range(n):
            raw = kraw[i * ks:(i + 1) * ks]
            if bp is None:  # an array: the key is the slot
                slot, gkey = int.from_bytes(raw[:4], "little"), b""
            else:
                slot = int.from_bytes(raw[bp.offset:bp.offset + bp.size], "little")
                gkey = bytes(raw[:bp.offset]) + b"\xff" + bytes(raw[bp.offset + bp.size:])
                if gkey not in groups:
                    cache.labels.setdefault(gkey, cache.get(raw))
            if counts[i]:
                groups.setdefault(gkey, {})
                groups[gkey][slot] = groups[gkey].get(slot, 0) + counts[i]
        if bp is None and not groups:
            groups[b""] = {}
        top = max((s for g in groups.values() for s in g), default=0)
        last = self._max_slot[id(plan)] = max(self._max_slot.get(id(plan), 0), top)
        buckets = plan.buckets
        assert buckets is not None
        name = plan.values[0].metric
        metric = Metric(name, plan.help + ("" if plan.sum_map else " (_sum estimated from bucket midpoints)"),
                        "histogram")
        exact_sum = self._read_sum(plan) if plan.sum_map else None
        bounds = [floatToGoString(buckets.upper(s) * plan.scale) for s in range(last + 1)]
        for gkey, slots in groups.items():
            base = cache.labels.get(gkey, {}) if bp is not None else {}
            acc = 0
            for s in range(last + 1):
                acc += slots.get(s, 0)
                metric.samples.append(Sample(name + "_bucket", {**base, "le": bounds[s]}, acc))
            total = sum(slots.values())
            metric.samples.append(Sample(name + "_bucket", {**base, "le": "+Inf"}, total))
            est = sum(c * buckets.mid(s) for s, c in slots.items()) * plan.scale
            metric.samples.append(Sample(name + "_count", base, total))
            metric.samples.append(Sample(name + "_sum", base, est if exact_sum is None else exact_sum))
        yield metric

    def _read_sum(self, plan: MapPlan) -> float:
        m = self.kernel_maps[plan.sum_map or ""]
        raw = m.lookup_raw((0).to_bytes(m.key_size, "little")) if m.key_size else m.lookup_raw(None)
        # one u64, or one per CPU (each in an 8-byte slot): the sum over them
        total = sum(int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw or b""), 8))
        return total * plan.scale

    def _programs(self) -> Iterator[Metric]:
        run_s = Metric("pybpf_prog_run_seconds", "Time the kernel spent running each program "
                       "(BPF stats: run_time_ns of bpf_prog_info; counted while stats are enabled)", "counter")
        runs = Metric("pybpf_prog_runs", "How many times each program ran (BPF stats: run_cnt)", "counter")
        insns = Metric("pybpf_prog_verified_insns", "Instructions the verifier processed at load", "gauge")
        for probe, prog in self.programs:
            info = prog.info()
            lab = {"prog": probe, "id": str(info.id)}
            run_s.samples.append(Sample("pybpf_prog_run_seconds_total", lab, info.run_time_ns / 1e9))
            runs.samples.append(Sample("pybpf_prog_runs_total", lab, info.run_cnt))
            insns.samples.append(Sample("pybpf_prog_verified_insns", lab, info.verified_insns))
        yield from (run_s, runs, insns)
        if self.stats_enabled is not None:
            on = Metric("pybpf_bpf_stats_enabled", "1 while the kernel counts program run time "
                        "(BPF_ENABLE_STATS held by this exporter, or kernel.bpf_stats_enabled)", "gauge")
            on.samples.append(Sample("pybpf_bpf_stats_enabled", {}, 1 if self.stats_enabled() else 0))
            yield on

    def _costs(self) -> Iterator[Metric]:
        c = self.cost
        read = Metric("pybpf_export_map_read_seconds", "Batch read time of each map in this scrape", "gauge")
        entries = Metric("pybpf_export_map_entries", "Entries read from each map in this scrape", "gauge")
        for name, s in c.map_read_s.items():
            read.samples.append(Sample("pybpf_export_map_read_seconds", {"map": name}, s))
            entries.samples.append(Sample("pybpf_export_map_entries", {"map": name}, c.map_entries[name]))
        coll = Metric("pybpf_export_collect_seconds", "Wall time to read the maps and build this "
                      "scrape's samples (before text encoding)", "gauge")
        coll.samples.append(Sample("pybpf_export_collect_seconds", {}, c.collect_s))
        cpu = Metric("pybpf_export_collect_cpu_seconds", "CPU time of the same", "gauge")
        cpu.samples.append(Sample("pybpf_export_collect_cpu_seconds", {}, c.collect_cpu_s))
        tot = Metric("pybpf_export_scrape_seconds", "Whole scrapes served (read, build, encode)", "summary")
        tot.samples += [Sample("pybpf_export_scrape_seconds_count", {}, c.scrapes),
                        Sample("pybpf_export_scrape_seconds_sum", {}, c.scrape_s_total)]
        tcpu = Metric("pybpf_export_scrape_cpu_seconds", "CPU time of whole scrapes served", "counter")
        tcpu.samples.append(Sample("pybpf_export_scrape_cpu_seconds_total", {}, c.scrape_cpu_s_total))
        yield from (read, entries, coll, cpu, tot, tcpu)

    def collect(self) -> Iterator[Metric]:
        """Every family, read now (the prometheus_client collector protocol)."""
        t0, c0 = time.perf_counter(), time.thread_time()
        out: list[Metric] = []
        for plan in self.plans:
            out.extend(self._histogram(plan) if plan.kind == "histogram" else self._scalar(plan))
        out.extend(self._programs())
        self.cost.collect_s = time.perf_counter() - t0
        self.cost.collect_cpu_s = time.thread_time() - c0
        out.extend(self._costs())
        return iter(out)

    def snapshot(self) -> dict[str, float]:
        """Every sample as ``{"name{labels}": value}`` (tests, ``--once``)."""
        out: dict[str, float] = {}
        for metric in self.collect():
            for s in metric.samples:
                lab = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{lab}}}" if lab else s.name] = s.value
        return out
