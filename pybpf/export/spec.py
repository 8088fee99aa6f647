"""What a probe file says about its metrics: `counter`, `gauge`, `histogram` and their buckets.

A probe file may set ``METRICS``, a dict from a map (its variable name, or the map itself)
to the metric it becomes, or to ``None`` to keep the map out::

    from pybpf.export import counter, histogram, log2_buckets
    METRICS = {
        "counts": counter("syscalls", help="System calls by process name", labels=["comm"]),
        "usecs": histogram("bio_latency_seconds", buckets=log2_buckets(), scale=1e-6),
        "start": None,
    }

Maps it does not name get the defaults of `pybpf.export.defaults`. Nothing here imports
prometheus_client: a probe file that declares metrics still runs under ``pybpf probe``.

>>> c = counter("syscalls", help="System calls", labels=["comm"])
>>> c.kind, c.name, c.labels
('counter', 'syscalls', ('comm',))
>>> b = log2_buckets()
>>> [b.upper(i) for i in range(4)], b.lower(3)
([1, 3, 7, 15], 8)
>>> lin = linear_buckets(0, 10)
>>> [lin.upper(i) for i in range(3)], lin.lower(2)
([9, 19, 29], 20)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ExportError

__all__ = ["Buckets", "MetricSpec", "counter", "gauge", "histogram", "linear_buckets", "log2_buckets",
           "DECODERS", "METRIC_NAME", "LABEL_NAME"]

#: the Prometheus data model's names (metric and label)
METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

#: label decoders a probe may name (``decode={"saddr": "ipv4"}``); see `pybpf.export.labels`
DECODERS = ("int", "hex", "string", "comm", "pid", "ipv4", "ipv6", "port", "cgroup", "ksym", "bool")


@dataclass(frozen=True)
class Buckets:
    """How a histogram map's slots map to values: ``log2`` (slot i holds [2^i, 2^(i+1)),
    slot 0 holds 0 and 1, as ``hist.log2(v)`` fills them) or ``linear`` (slot i holds
    [start + i*step, start + (i+1)*step)). Values are integers, so a slot's inclusive
    upper bound (its Prometheus ``le``) is one less than the next slot's lower bound."""

    kind: str
    start: int = 0
    step: int = 1

    def lower(self, slot: int) -> int:
        if self.kind == "log2":
            return 0 if slot == 0 else 1 << slot
        return self.start + slot * self.step

    def upper(self, slot: int) -> int:
        """The largest integer value slot ``slot`` counts."""
        return self.lower(slot + 1) - 1

    def mid(self, slot: int) -> float:
        """The middle of slot ``slot`` (for a ``_sum`` estimated from the buckets)."""
        return (self.lower(slot) + self.upper(slot)) / 2


def log2_buckets() -> Buckets:
    """The buckets of a `pybpf.dsl.Histogram` (``hist.log2(v)``)."""
    return Buckets("log2")


def linear_buckets(start: int, step: int) -> Buckets:
    """Slot i counts values in [start + i*step, start + (i+1)*step); the probe computes
    ``(v - start) // step`` and clamps it to the last slot."""
    if not isinstance(step, int) or step <= 0:
        raise ExportError(f"linear buckets need a positive integer step, got {step!r}")
    return Buckets("linear", int(start), step)


@dataclass(frozen=True)
class MetricSpec:
    """One map as one metric family (or, for a struct value, one family per field).

    ``labels`` names the key's parts in key order (struct fields, or the one scalar key);
    ``decode`` chooses a label's decoder by label name (``"pid"`` adds the process name);
    ``fields`` picks and renames value struct fields; ``scale`` multiplies every value
    (``1e-9`` turns nanoseconds into seconds); ``bucket`` names the key field that holds the
    slot of a keyed histogram; ``sum`` names a map (one u64) that holds a histogram's
    exact sum, else ``_sum`` is estimated from bucket midpoints; ``key``/``value`` give the
    DSL types of a map loaded from an object file (a DSL map knows its own).
    """

    kind: str
    name: str | None = None
    help: str = ""
    labels: tuple[str, ...] | None = None
    decode: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] | None = None
    scale: float = 1.0
    buckets: Buckets | None = None
    bucket: str | None = None
    sum: str | None = None
    key: Any = None
    value: Any = None

    def named(self, name: str) -> MetricSpec:
        return replace(self, name=name)

    def check(self, filename: str | None, map_name: str) -> None:
        """Refuse names Prometheus would refuse and decoders pybpf does not have."""
        def bad(msg: str) -> ExportError:
            return ExportError(msg, filename=filename, map=map_name)

        if self.kind not in ("counter", "gauge", "histogram"):
            raise bad(f"metric kind must be counter, gauge or histogram, got {self.kind!r}")
        if self.name is not None and not METRIC_NAME.match(self.name):
            raise bad(f"metric name {self.name!r} is not a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*)")
        for label in (self.labels or ()):
            if not LABEL_NAME.match(label) or label.startswith("__"):
                raise bad(f"label name {label!r} is not a Prometheus label name")
        if self.labels is not None and len(set(self.labels)) != len(self.labels):
            dup = next(x for x in self.labels if self.labels.count(x) > 1)
            raise bad(f"label {dup!r} is given twice")
        for label, dec in self.decode.items():
            if dec not in DECODERS:
                raise bad(f"label {label!r}: unknown decoder {dec!r} (one of {', '.join(DECODERS)})")
        if self.kind == "histogram" and self.labels and "le" in self.labels:
            raise bad("a histogram cannot have a label named 'le' (Prometheus uses it for buckets)")
        if self.scale <= 0:
            raise bad(f"scale must be positive, got {self.scale!r}")


def _spec(kind: str, name: str | None, help: str, labels: Sequence[str] | None,
          decode: Mapping[str, str] | None, **kw: Any) -> MetricSpec:
    if isinstance(labels, str):
        labels = [labels]
    return MetricSpec(kind, name, help, tuple(labels) if labels is not None else None,
                      dict(decode or {}), **kw)


def counter(name: str | None = None, help: str = "", *, labels: Sequence[str] | None = None,
            decode: Mapping[str, str] | None = None, fields: Mapping[str, str] | None = None,
            scale: float = 1.0, key: Any = None, value: Any = None) -> MetricSpec:
    """A map of running totals as a Prometheus counter (``_total`` is added to the name)."""
    return _spec("counter", name, help, labels, decode, fields=fields, scale=scale, key=key, value=value)


def gauge(name: str | None = None, help: str = "", *, labels: Sequence[str] | None = None,
          decode: Mapping[str, str] | None = None, fields: Mapping[str, str] | None = None,
          scale: float = 1.0, key: Any = None, value: Any = None) -> MetricSpec:
    """A map of current values (sizes, last seen times, states) as a Prometheus gauge."""
    return _spec("gauge", name, help, labels, decode, fields=fields, scale=scale, key=key, value=value)


def histogram(name: str | None = None, help: str = "", *, buckets: Buckets | None = None,
              labels: Sequence[str] | None = None, decode: Mapping[str, str] | None = None,
              bucket: str | None = None, sum: str | None = None, scale: float = 1.0,
              key: Any = None, value: Any = None) -> MetricSpec:
    """A histogram map (slot -> count) as a Prometheus histogram: ``_bucket{le=...}``,
    ``_sum`` and ``_count``. ``buckets`` defaults to `log2_buckets`; for a hash map keyed
    by a struct, ``bucket`` names the field holding the slot and the other fields are labels."""
    return _spec("histogram", name, help, labels, decode, buckets=buckets or log2_buckets(),
                 bucket=bucket, sum=sum, scale=scale, key=key, value=value)
