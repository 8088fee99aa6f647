"""Pinning BPF objects (maps, programs, links) on bpffs.

Paths may be absolute (they must lie inside a bpffs mount) or relative (then
they are taken under the bpffs root, which is found or mounted with
`pybpf.kernel.fs.ensure_bpffs`).

>>> from pybpf.kernel.pin import pin, get_pinned, unpin      # doctest: +SKIP
>>> pin(m.fd, "counts")                                      # doctest: +SKIP
'/sys/fs/bpf/counts'
"""
from __future__ import annotations

import errno
import os

from ..errors import KernelError
from ..uapi import OBJ
from .fs import ensure_bpffs
from .syscall import Cmd, address, bpf

__all__ = ["pin", "get_pinned", "unpin", "pin_path", "BPF_F_RDONLY", "BPF_F_WRONLY"]

BPF_F_RDONLY = 1 << 3
BPF_F_WRONLY = 1 << 4


def pin_path(path: str) -> str:
    """The absolute pin path for ``path`` (relative paths go under the bpffs root)."""
    if not isinstance(path, str) or not path:
        raise KernelError("BPF_OBJ_PIN", errno.EINVAL, hint="a pin path must be a non-empty string")
    root = ensure_bpffs()
    return path if os.path.isabs(path) else os.path.join(root, path)


def pin(fd: int, path: str) -> str:
    """Pin object ``fd`` at ``path``; returns the absolute path. The parent directory must exist
    (create it with ``os.makedirs``). KernelError EEXIST when the path is taken."""
    full = pin_path(path)
    data = os.fsencode(full) + b"\0"
    addr, keep = address(data)
    bpf(Cmd.OBJ_PIN, OBJ.new(pathname=addr, bpf_fd=fd), detail=full)
    del keep
    return full


def get_pinned(path: str, *, flags: int = 0) -> int:
    """A new fd for the object pinned at ``path`` (``BPF_OBJ_GET``); the caller owns it."""
    full = pin_path(path)
    data = os.fsencode(full) + b"\0"
    addr, keep = address(data)
    fd = bpf(Cmd.OBJ_GET, OBJ.new(pathname=addr, file_flags=flags), detail=full)
    del keep
    return fd


def unpin(path: str) -> None:
    """Remove a pin (the object lives on while anything else holds it)."""
    full = pin_path(path)
    try:
        os.unlink(full)
    except OSError as e:
        raise KernelError("unpin", e.errno or errno.EIO, hint=f"cannot remove pin {full}") from e
