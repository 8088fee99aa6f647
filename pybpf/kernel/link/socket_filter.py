"""Socket filters: a socket_filter program on one socket (setsockopt SO_ATTACH_BPF).

This is not a bpf_link: the program stays attached to the socket until
SO_DETACH_BPF or the socket's last fd closes. The returned link holds a
duplicate of the socket's fd; closing the link detaches the filter (and drops
the duplicate). It cannot be pinned or queried; `update` atomically swaps the
program with another SO_ATTACH_BPF.

>>> lk = socket_filter(prog, sock)        # doctest: +SKIP
"""
from __future__ import annotations

import errno
import os
import socket
from typing import Protocol

from ...errors import KernelError
from .base import HasFd, Link, prog_fd
from .info import LinkInfo

__all__ = ["socket_filter", "SocketFilterLink"]

SOL_SOCKET = socket.SOL_SOCKET
SO_ATTACH_BPF = 50
SO_DETACH_BPF = 27  # = SO_DETACH_FILTER


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


def _setsockopt(fd: int, name: int, value: int, what: str, hints: dict[int, str]) -> None:
    from ..._native import ffi, lib  # lazy: the compiled module loads on first syscall

    val = ffi.new("int *", value)
    err = ffi.new("int *")
    if lib.pybpf_setsockopt(fd, SOL_SOCKET, name, val, ffi.sizeof("int"), err) < 0:
        raise KernelError(what, err[0], hint=hints.get(err[0]))


class SocketFilterLink(Link):
    """A program attached to a socket with SO_ATTACH_BPF (see the module docstring)."""

    def _not_a_link(self, op: str) -> KernelError:
        return KernelError(f"{op} (socket_filter)", errno.EOPNOTSUPP,
                           hint="a socket filter is attached with SO_ATTACH_BPF, not a bpf_link: "
                           "it cannot be pinned or queried; close() detaches it")

    def info(self) -> LinkInfo:
        raise self._not_a_link("BPF_OBJ_GET_INFO_BY_FD")

    def pin(self, path: str) -> str:
        raise self._not_a_link("BPF_OBJ_PIN")

    def unpin(self) -> None:
        raise self._not_a_link("unpin")

    def update(self, prog: HasFd | int, *, old: HasFd | int | None = None) -> None:
        """Swap the socket's program atomically (SO_ATTACH_BPF again); ``old`` is not checked."""
        _setsockopt(self.fd, SO_ATTACH_BPF, prog_fd(prog), "setsockopt(SO_ATTACH_BPF)",
                    {errno.EINVAL: "the program must be of type socket_filter"})

    def detach(self) -> None:
        """Remove the filter from the socket now (SO_DETACH_BPF)."""
        _setsockopt(self.fd, SO_DETACH_BPF, 0, "setsockopt(SO_DETACH_BPF)",
                    {errno.ENOENT: "no filter is attached to this socket any more"})

    def close(self) -> None:
        """Detach the filter (if still attached) and drop the socket fd duplicate. Idempotent."""
        if not self.closed:
            try:
                self.detach()
            except KernelError:
                pass  # already detached, or the socket was shut down: nothing left to undo
        super().close()


def socket_filter(prog: HasFd | int, sock: socket.socket | _HasFileno | int) -> SocketFilterLink:
    """Attach a socket_filter program to ``sock`` (a socket object or fd).

    The program's return value is the number of bytes of each packet to keep
    (0 drops it).
    """
    fileno = sock if isinstance(sock, int) else sock.fileno()
    if fileno < 0:
        raise KernelError("setsockopt(SO_ATTACH_BPF)", errno.EBADF, hint="the socket is closed")
    dup = os.dup(fileno)
    try:
        _setsockopt(dup, SO_ATTACH_BPF, prog_fd(prog), "setsockopt(SO_ATTACH_BPF) (socket_filter)", {
            errno.EINVAL: "the program must be of type socket_filter",
            errno.ENOTSOCK: f"fd {fileno} is not a socket",
            errno.EBADF: f"fd {fileno} is not open",
        })
    except BaseException:
        os.close(dup)
        raise
    return SocketFilterLink(dup, kind="socket_filter", target=f"socket fd {fileno}")
