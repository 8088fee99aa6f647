"""Tracepoint links: a tracepoint program on ``category:name`` through a perf event.

The tracepoint's id (from tracefs) opens a perf event of type TRACEPOINT, and
BPF_LINK_CREATE (attach type BPF_PERF_EVENT) binds the program to it. The link
holds the perf event, so closing the link detaches.

>>> lk = tracepoint(prog, "syscalls:sys_enter_getpid")   # doctest: +SKIP
"""
from __future__ import annotations

import errno
import os

from ..syscall import Cmd
from ..tracefs import parse_name, tracepoint_id
from . import _attr
from .base import HasFd, Link, kernel_call, prog_fd
from .perf import (
    PERF_EVENT_IOC_ENABLE,
    PERF_TYPE_TRACEPOINT,
    PerfEventAttr,
    perf_event_open,
    perf_ioctl,
)

__all__ = ["tracepoint", "attach_perf_event_fd"]


def attach_perf_event_fd(prog: HasFd | int, perf_fd: int, *, kind: str, target: str,
                         cookie: int = 0, hints: dict[int, str] | None = None) -> Link:
    """Bind ``prog`` to an open perf event (BPF_LINK_CREATE, BPF_PERF_EVENT) and enable it.

    The returned `Link` owns ``perf_fd`` (it is closed with the link, also on failure).
    """
    try:
        attr = _attr.link_create(prog_fd(prog), perf_fd, _attr.ATTACH_PERF_EVENT, 0,
                                 perf_event__bpf_cookie=cookie)
        fd = kernel_call(kind, Cmd.LINK_CREATE, attr, target=target, hints=hints)
    except BaseException:
        os.close(perf_fd)
        raise
    link = Link(fd, kind=kind, target=target, companions=(perf_fd,))
    try:
        perf_ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, what=f"{kind} {target}")
    except BaseException:
        link.close()
        raise
    return link


def tracepoint(prog: HasFd | int, name: str, *, cookie: int = 0) -> Link:
    """Attach a tracepoint program (BPF_PROG_TYPE_TRACEPOINT) to ``"category:name"``.

    ``cookie`` is returned by ``bpf_get_attach_cookie()`` in the program.
    Raises `KernelError` naming the tracepoint when it does not exist.

    >>> with tracepoint(prog, "syscalls:sys_enter_getpid"):   # doctest: +SKIP
    ...     os.getpid()
    """
    category, event = parse_name(name)
    spec = f"{category}:{event}"
    tp_id = tracepoint_id(category, event)
    pfd = perf_event_open(PerfEventAttr(type=PERF_TYPE_TRACEPOINT, config=tp_id), pid=-1, cpu=0,
                          what=f"tracepoint {spec}")
    return attach_perf_event_fd(prog, pfd, kind="tracepoint", target=spec, cookie=cookie, hints={
        errno.EINVAL: "the program must be of type tracepoint (BPF_PROG_TYPE_TRACEPOINT), "
                      "loaded without an expected attach type",
        errno.EEXIST: f"this program is already attached to {spec}",
    })
