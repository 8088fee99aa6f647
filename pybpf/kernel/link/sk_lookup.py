"""sk_lookup links: an sk_lookup program on a network namespace (BPF_SK_LOOKUP).

The program runs when the kernel looks up a listening/receiving socket for an
incoming packet in that namespace and may pick another socket.

>>> lk = sk_lookup(prog)                               # this thread's netns  # doctest: +SKIP
>>> lk = sk_lookup(prog, "/run/netns/blue")            # doctest: +SKIP
"""
from __future__ import annotations

import errno
import os

from ...errors import KernelError
from ..syscall import Cmd
from . import _attr
from .base import HasFd, Link, kernel_call, prog_fd

__all__ = ["sk_lookup", "netns_link"]


def netns_link(prog: HasFd | int, netns: str | int | None, attach_type: int, kind: str) -> Link:
    """Attach ``prog`` to a network namespace (a path such as /run/netns/x, an fd, or None)."""
    path = "/proc/thread-self/ns/net" if netns is None else netns
    if isinstance(path, int):
        ns_fd, owned, where = path, False, f"netns fd {path}"
    else:
        try:
            ns_fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            raise KernelError(f"BPF_LINK_CREATE ({kind})", e.errno or errno.ENOENT,
                              hint=f"cannot open network namespace {path}: {e.strerror}") from None
        owned, where = True, f"netns {path}"
    try:
        fd = kernel_call(kind, Cmd.LINK_CREATE, _attr.link_create(prog_fd(prog), ns_fd, attach_type),
                         target=where, hints={
            errno.EINVAL: f"{where} is not a network namespace, or the program is not of type "
                          f"{kind} with expected attach type BPF_{_attr.AttachType(attach_type).name}",
            errno.E2BIG: f"too many {kind} programs on {where}",
        })
    finally:
        if owned:
            os.close(ns_fd)
    return Link(fd, kind=kind, target=where)


def sk_lookup(prog: HasFd | int, netns: str | int | None = None) -> Link:
    """Attach an sk_lookup program to ``netns`` (default: the calling thread's namespace)."""
    return netns_link(prog, netns, _attr.AttachType.SK_LOOKUP, "sk_lookup")
