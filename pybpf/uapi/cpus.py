"""The number of possible CPUs: the length of every per-CPU value in the bpf() ABI.

The kernel copies one value per *possible* CPU (``for_each_possible_cpu``) for per-CPU
maps, and a perf event array has one slot per CPU, so front ends size these without a
kernel: the count is read from sysfs, not asked of bpf().
"""
from __future__ import annotations

import os

__all__ = ["possible_cpus"]


_POSSIBLE: list[int] = []  # the count, once read (functools is no import of a start-up)


def possible_cpus() -> int:
    """The number of possible CPUs (``/sys/devices/system/cpu/possible``), the length of
    every per-CPU value list.

    >>> possible_cpus() >= 1
    True
    """
    if _POSSIBLE:
        return _POSSIBLE[0]
    _POSSIBLE.append(_read_possible())
    return _POSSIBLE[0]


def _read_possible() -> int:
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            text = f.read().strip()
    except OSError:
        return os.cpu_count() or 1
    count = 0  # the kernel copies one value per possible CPU (for_each_possible_cpu)
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    return count
