"""BPF run-time statistics: while an fd from ``BPF_ENABLE_STATS(BPF_STATS_RUN_TIME)`` is
open, the kernel adds each program run's time and count to ``run_time_ns``/``run_cnt`` of
its `pybpf.kernel.ProgInfo` (as ``sysctl kernel.bpf_stats_enabled=1`` does, without
touching the system setting: closing the fd, or the process ending, turns it off again).

>>> with RunTimeStats() as stats:                  # doctest: +SKIP
...     prog.info().run_cnt
"""

from __future__ import annotations

import os

from ..errors import KernelError

__all__ = ["RunTimeStats", "sysctl_stats_enabled"]

_SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"


def sysctl_stats_enabled() -> bool:
    """Whether ``kernel.bpf_stats_enabled`` is set (by anyone: an fd or the sysctl)."""
    try:
        with open(_SYSCTL) as f:
            return f.read().strip() not in ("", "0")
    except OSError:
        return False


class RunTimeStats:
    """Holds run-time statistics on while open; ``error`` says why they could not be
    turned on (then `enabled` falls back to what the sysctl says)."""

    def __init__(self) -> None:
        from ..kernel.syscall import Cmd, bpf
        from ..uapi import ENABLE_STATS, STATS_TYPES

        self.fd: int | None = None
        self.error: str | None = None
        try:
            self.fd = bpf(Cmd.ENABLE_STATS, ENABLE_STATS.new(type=STATS_TYPES["run_time"]),
                          detail="BPF_STATS_RUN_TIME")
        except KernelError as e:
            self.error = str(e)

    def enabled(self) -> bool:
        return self.fd is not None or sysctl_stats_enabled()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RunTimeStats:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
