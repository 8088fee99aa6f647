"""Uprobe and uretprobe links: a program on a function of a user-space binary.

The symbol's file offset comes from the binary's ELF symbol table
(`pybpf.kernel.link.symbols`); a perf event of the ``uprobe`` PMU (type from
``/sys/bus/event_source/devices/uprobe/type``) is opened with ``config1`` = the
path and ``config2`` = the offset, then bound with BPF_LINK_CREATE.

>>> lk = uprobe(prog, "/usr/bin/bash", "readline")          # doctest: +SKIP
>>> lk = uretprobe(prog, "libc.so.6", "malloc", pid=1234)    # doctest: +SKIP
"""
from __future__ import annotations

import errno

from .base import HasFd, Link, cstr
from .perf import PerfEventAttr, perf_event_open, retprobe_bit, uprobe_pmu_type
from .symbols import resolve_binary, resolve_symbol
from .tracepoint import attach_perf_event_fd

__all__ = ["uprobe", "uretprobe"]


def uprobe(prog: HasFd | int, binary: str, symbol: str | None = None, *, offset: int = 0,
           pid: int = -1, retprobe: bool = False, cookie: int = 0) -> Link:
    """Attach a kprobe-type program to ``symbol`` (+ ``offset``) in ``binary``.

    Without ``symbol``, ``offset`` is the file offset itself. ``pid=-1`` probes
    every process running the binary, else only that process. Raises `ElfError`
    naming the symbol and the file when the symbol is missing.
    """
    kind = "uretprobe" if retprobe else "uprobe"
    if symbol is not None:
        resolved = resolve_symbol(binary, symbol)
        path, file_offset = resolved.path, resolved.offset + offset
        target = f"{path}:{symbol}" + (f"+{offset:#x}" if offset else "")
    else:
        path, file_offset = resolve_binary(binary), offset
        target = f"{path}:{offset:#x}"
    config = (1 << retprobe_bit("uprobe")) if retprobe else 0
    keep, path_ptr = cstr(path)
    attr = PerfEventAttr(type=uprobe_pmu_type(), config=config, config1=path_ptr, config2=file_offset)
    pfd = perf_event_open(attr, pid=pid if pid >= 0 else -1, cpu=0 if pid < 0 else -1,
                          what=f"{kind} {target}")
    del keep
    return attach_perf_event_fd(prog, pfd, kind=kind, target=target, cookie=cookie, hints={
        errno.EINVAL: "the program must be of type kprobe (BPF_PROG_TYPE_KPROBE), which also "
                      "serves uprobes",
    })


def uretprobe(prog: HasFd | int, binary: str, symbol: str | None = None, *, offset: int = 0,
              pid: int = -1, cookie: int = 0) -> Link:
    """Attach a kprobe-type program to the return of ``symbol`` in ``binary`` (see `uprobe`)."""
    return uprobe(prog, binary, symbol, offset=offset, pid=pid, retprobe=True, cookie=cookie)
