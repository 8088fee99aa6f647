"""Perf event links: a perf_event program run on each sample of a perf event.

The default event samples the CPU clock (software event ``cpu-clock``): the
program runs about ``frequency`` times a second on each CPU it is attached to.

>>> group = perf_event(prog, frequency=99)                  # one link per online CPU  # doctest: +SKIP
>>> lk = perf_event(prog, cpu=0, period=1_000_000)          # doctest: +SKIP
"""
from __future__ import annotations

import errno

from .base import HasFd, Link
from .group import LinkGroup
from .perf import PERF_COUNT_SW_CPU_CLOCK, PERF_TYPE_SOFTWARE, PerfEventAttr, perf_event_open
from .tracepoint import attach_perf_event_fd

__all__ = ["perf_event", "online_cpus"]


def online_cpus() -> list[int]:
    """The online CPUs (``/sys/devices/system/cpu/online``, e.g. "0-3,6")."""
    with open("/sys/devices/system/cpu/online") as f:
        text = f.read().strip()
    cpus: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def perf_event(prog: HasFd | int, *, cpu: int | None = None, frequency: int | None = None,
               period: int | None = None, type: int = PERF_TYPE_SOFTWARE,
               config: int = PERF_COUNT_SW_CPU_CLOCK, pid: int = -1,
               cookie: int = 0) -> Link | LinkGroup:
    """Attach a perf_event program (BPF_PROG_TYPE_PERF_EVENT) to a sampling perf event.

    Give either ``frequency`` (samples per second, default 99) or ``period``
    (events per sample: nanoseconds for the CPU clock). With ``cpu=None`` one
    link per online CPU is made and a `LinkGroup` returned; else one `Link`.
    """
    if frequency is not None and period is not None:
        raise ValueError("give frequency or period, not both")
    freq = period is None
    value = (frequency or 99) if freq else period
    if value is None or value <= 0:
        raise ValueError(f"sampling {'frequency' if freq else 'period'} must be positive, got {value}")
    cpus = online_cpus() if cpu is None else [cpu]
    links: list[Link] = []
    try:
        for c in cpus:
            target = f"type {type} config {config} cpu {c}"
            attr = PerfEventAttr(type=type, config=config, sample_period=value, freq=freq)
            pfd = perf_event_open(attr, pid=pid, cpu=c, what=f"perf event {target}")
            links.append(attach_perf_event_fd(prog, pfd, kind="perf_event", target=target,
                                              cookie=cookie, hints={
                errno.EINVAL: "the program must be of type perf_event (BPF_PROG_TYPE_PERF_EVENT)",
            }))
    except BaseException:
        for lk in links:
            lk.close()
        raise
    if cpu is not None:
        return links[0]
    return LinkGroup(links, kind="perf_event", target=f"type {type} config {config} all cpus")
