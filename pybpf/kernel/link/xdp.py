"""XDP links: an XDP program on a network interface (BPF_LINK_CREATE, BPF_XDP).

The interface is named by ifindex or name, resolved in the calling thread's
network namespace (as the kernel does).

>>> lk = xdp(prog, "eth0")                 # doctest: +SKIP
>>> lk = xdp(prog, 3, mode="skb")          # generic XDP  # doctest: +SKIP
"""
from __future__ import annotations

import errno
import socket

from ...errors import KernelError
from ..syscall import Cmd
from . import _attr
from .base import HasFd, Link, kernel_call, prog_fd

__all__ = ["xdp", "resolve_ifindex"]

_MODES = {None: 0, "skb": _attr.XDP_FLAGS_SKB_MODE, "generic": _attr.XDP_FLAGS_SKB_MODE,
          "drv": _attr.XDP_FLAGS_DRV_MODE, "native": _attr.XDP_FLAGS_DRV_MODE,
          "hw": _attr.XDP_FLAGS_HW_MODE}


def resolve_ifindex(iface: int | str, kind: str) -> tuple[int, str]:
    """``(ifindex, "name (ifindex N)")`` for an interface given by index or name.

    Raises `KernelError` (ENODEV) naming the interface when this network
    namespace has no such interface.
    """
    try:
        if isinstance(iface, str) and not iface.isdigit():
            return socket.if_nametoindex(iface), f"{iface} (ifindex {socket.if_nametoindex(iface)})"
        index = int(iface)
        if index <= 0:
            raise OSError(errno.ENODEV, "bad ifindex")
        return index, f"{socket.if_indextoname(index)} (ifindex {index})"
    except OSError:
        what = f"ifindex {iface}" if not isinstance(iface, str) or iface.isdigit() else repr(iface)
        raise KernelError(f"BPF_LINK_CREATE ({kind})", errno.ENODEV,
                          hint=f"no network interface {what} in this network namespace") from None


def xdp(prog: HasFd | int, iface: int | str, *, mode: str | None = None) -> Link:
    """Attach an XDP program to interface ``iface`` (ifindex or name).

    ``mode``: None (driver if supported, else generic), "skb"/"generic", "drv"/"native", "hw".
    """
    if mode not in _MODES:
        raise ValueError(f"unknown XDP mode {mode!r}: expected one of skb, drv, hw")
    index, target = resolve_ifindex(iface, "xdp")
    attr = _attr.link_create(prog_fd(prog), index, _attr.AttachType.XDP, _MODES[mode])
    fd = kernel_call("xdp", Cmd.LINK_CREATE, attr, target=target, hints={
        errno.EBUSY: f"an XDP program is already attached to {target} (by another link or "
                     "netlink): detach it first",
        errno.EEXIST: f"an XDP program is already attached to {target}",
        errno.EINVAL: "the program must be of type xdp with expected attach type BPF_XDP, and the "
                      "mode flags must fit the device",
        errno.EOPNOTSUPP: f"{target} does not support XDP in mode {mode or 'native'}",
        errno.ENODEV: f"no network interface {target} in this network namespace",
    })
    return Link(fd, kind="xdp", target=target)
