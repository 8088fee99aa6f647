"""tcx links: a tc (sched_cls) program on an interface's ingress or egress (BPF_TCX_*).

>>> lk = tcx(prog, "eth0", "ingress")       # doctest: +SKIP
"""
from __future__ import annotations

import errno
import struct
from dataclasses import dataclass

from ...uapi import QUERY
from ..syscall import Cmd, address
from . import _attr
from .base import HasFd, Link, kernel_call, prog_fd
from .xdp import resolve_ifindex

__all__ = ["tcx", "query", "TcxChain"]

_DIRECTIONS = {"ingress": _attr.AttachType.TCX_INGRESS, "egress": _attr.AttachType.TCX_EGRESS}


def tcx(prog: HasFd | int, iface: int | str, direction: str = "ingress", *,
        before: Link | HasFd | None = None, after: Link | HasFd | None = None,
        expected_revision: int = 0) -> Link:
    """Attach a sched_cls program to ``iface`` (ifindex or name) on ``direction``.

    ``before``/``after`` place it relative to an attached `Link` or program;
    ``expected_revision`` makes the attach fail (ESTALE) if the chain changed.
    """
    if direction not in _DIRECTIONS:
        raise ValueError(f"tcx direction must be 'ingress' or 'egress', got {direction!r}")
    if before is not None and after is not None:
        raise ValueError("give before or after, not both")
    index, target = resolve_ifindex(iface, "tcx")
    target = f"{target} {direction}"
    flags, relative = 0, 0
    anchor = before if before is not None else after
    if anchor is not None:
        flags |= _attr.F_BEFORE if before is not None else _attr.F_AFTER
        if isinstance(anchor, Link):
            flags |= _attr.F_LINK
        relative = prog_fd(anchor)
    attr = _attr.link_create(prog_fd(prog), index, _DIRECTIONS[direction], flags,
                             tcx__relative_fd=relative, tcx__expected_revision=expected_revision)
    fd = kernel_call("tcx", Cmd.LINK_CREATE, attr, target=target, hints={
        errno.EINVAL: "the program must be of type sched_cls (tc), and the relative "
                      "program/link must be attached to the same hook",
        errno.ESTALE: "the hook's revision differs from expected_revision",
        errno.ENODEV: f"no network interface {target} in this network namespace",
        errno.EEXIST: "this program is already attached to that hook",
    })
    return Link(fd, kind="tcx", target=target)


@dataclass(frozen=True)
class TcxChain:
    """The programs on one tcx hook, in run order, and the hook's revision."""

    prog_ids: list[int]
    link_ids: list[int]
    revision: int


def query(iface: int | str, direction: str = "ingress", *, max_progs: int = 64) -> TcxChain:
    """The programs attached to ``iface``'s tcx ``direction``, in the order they run (BPF_PROG_QUERY).

    >>> query("eth0", "ingress").prog_ids      # doctest: +SKIP
    [42, 43]
    """
    if direction not in _DIRECTIONS:
        raise ValueError(f"tcx direction must be 'ingress' or 'egress', got {direction!r}")
    index, target = resolve_ifindex(iface, "tcx")
    progs = bytearray(4 * max_progs)
    links = bytearray(4 * max_progs)
    pa, pk = address(progs)
    la, lk = address(links)
    attr = QUERY.new(target_ifindex=index, attach_type=_DIRECTIONS[direction], prog_ids=pa,
                     link_ids=la, count=max_progs)
    kernel_call("tcx", Cmd.PROG_QUERY, attr, target=f"{target} {direction}", hints={
        errno.ENOSPC: f"more than {max_progs} programs on this hook: raise max_progs",
    })
    del pk, lk
    count = int(QUERY.get(attr, "count"))
    ids = struct.unpack_from(f"<{count}I", progs)
    lids = struct.unpack_from(f"<{count}I", links)
    return TcxChain(list(ids), list(lids), int(QUERY.get(attr, "revision")))
