"""Probes as Prometheus metrics: ``pybpf export FILE.py`` serves a probe file's maps on
``/metrics`` with the official client library (``pip install pybpf[export]``).

A probe file exports with no extra lines (defaults in `pybpf.export.plan`); to choose
names, help, labels and kinds it sets ``METRICS``:

>>> from pybpf.export import counter, histogram, log2_buckets
>>> METRICS = {
...     "counts": counter("syscalls", help="System calls by process name", labels=["comm"]),
...     "usecs": histogram("bio_latency_seconds", buckets=log2_buckets(), scale=1e-6),
... }
>>> METRICS["usecs"].kind, METRICS["usecs"].buckets.upper(10)
('histogram', 2047)

Modules: `spec` (the declarations), `usage` and `plan` (maps to metric plans),
`labels` (key bytes to label values), `collector` (batch reads to metric families),
`stats` (BPF run-time statistics), `pins` (handover through bpffs), `exporter`
(`Exporter`: load, attach, collect), `server` (``/metrics``, ``/healthz``, ``/readyz``).
"""

from typing import TYPE_CHECKING

from .spec import Buckets, MetricSpec, counter, gauge, histogram, linear_buckets, log2_buckets

__all__ = ["Buckets", "Exporter", "MetricSpec", "counter", "gauge", "histogram", "linear_buckets",
           "log2_buckets"]


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .exporter import Exporter


def __getattr__(name: str) -> object:
    if name == "Exporter":  # imported on use: a probe file importing the declarations stays light
        from .exporter import Exporter

        return Exporter
    raise AttributeError(name)
