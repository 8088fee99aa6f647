"""Raw tracepoint links (BPF_RAW_TRACEPOINT_OPEN): the program sees the tracepoint's raw args.

>>> lk = raw_tracepoint(prog, "sys_enter")   # doctest: +SKIP
"""
from __future__ import annotations

import errno

from ..syscall import Cmd
from . import _attr
from .base import HasFd, Link, cstr, kernel_call, prog_fd

__all__ = ["raw_tracepoint"]


def raw_tracepoint(prog: HasFd | int, name: str, *, cookie: int = 0) -> Link:
    """Attach a raw_tracepoint program (BPF_PROG_TYPE_RAW_TRACEPOINT) to tracepoint ``name``.

    ``name`` is the bare tracepoint name ("sys_enter", "sched_switch"); a
    ``category:`` prefix is accepted and dropped.
    """
    bare = name.rpartition(":")[2].rpartition("/")[2]
    if not bare:
        raise ValueError(f"bad raw tracepoint name {name!r}")
    keep, ptr = cstr(bare)
    fd = kernel_call("raw_tracepoint", Cmd.RAW_TRACEPOINT_OPEN,
                     _attr.raw_tracepoint_open(ptr, prog_fd(prog), cookie), target=bare, hints={
                         errno.ENOENT: f"unknown raw tracepoint {bare!r} (no such tracepoint in the "
                                       "kernel or its modules)",
                         errno.EINVAL: "the program must be of type raw_tracepoint (or raw_tracepoint "
                                       "writable) and not BTF-typed",
                     })
    del keep
    return Link(fd, kind="raw_tracepoint", target=bare)
