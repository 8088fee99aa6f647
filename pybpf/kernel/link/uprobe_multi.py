"""Multi-uprobe links: one kprobe program on many functions of one binary (BPF_TRACE_UPROBE_MULTI).

Unlike `pybpf.kernel.link.uprobe`, no perf event is involved: the link itself
holds the probes, and one link covers every offset.

>>> lk = uprobe_multi(prog, "/usr/bin/bash", ["readline", "add_history"])   # doctest: +SKIP
"""
from __future__ import annotations

import errno
from collections.abc import Sequence

from ..syscall import Cmd, address
from . import _attr
from .base import HasFd, Link, cstr, kernel_call, prog_fd
from .symbols import resolve_binary, resolve_symbol

__all__ = ["uprobe_multi"]

#: BPF_F_UPROBE_MULTI_RETURN
UPROBE_MULTI_RETURN = 1


def uprobe_multi(prog: HasFd | int, binary: str, symbols: Sequence[str | int], *,
                 retprobe: bool = False, pid: int = 0, cookies: Sequence[int] | None = None) -> Link:
    """Attach a kprobe program (expected attach type ``trace_uprobe_multi``) to ``symbols``
    (names or file offsets) of ``binary``; ``pid`` > 0 limits it to one process."""
    if not symbols:
        raise ValueError("uprobe_multi needs at least one symbol or offset")
    if cookies is not None and len(cookies) != len(symbols):
        raise ValueError(f"{len(cookies)} cookies for {len(symbols)} symbols")
    path = resolve_binary(binary)
    offsets = [s if isinstance(s, int) else resolve_symbol(path, s).offset for s in symbols]
    keep_path, path_addr = cstr(path)
    offs = b"".join(o.to_bytes(8, "little") for o in offsets)
    offs_addr, offs_keep = address(offs)
    cookie_bytes = b"".join(c.to_bytes(8, "little") for c in cookies) if cookies else b""
    cookies_addr, cookies_keep = address(cookie_bytes)
    target = f"{path}:" + ",".join(str(s) for s in symbols)
    attr = _attr.link_create(prog_fd(prog), 0, _attr.AttachType.TRACE_UPROBE_MULTI, 0,
                             uprobe_multi__path=path_addr, uprobe_multi__offsets=offs_addr,
                             uprobe_multi__cookies=cookies_addr, uprobe_multi__cnt=len(offsets),
                             uprobe_multi__flags=UPROBE_MULTI_RETURN if retprobe else 0,
                             uprobe_multi__pid=max(pid, 0))
    fd = kernel_call("uprobe_multi", Cmd.LINK_CREATE, attr, target=target, hints={
        errno.EINVAL: "the program must be of type kprobe with expected attach type "
                      "trace_uprobe_multi, and every offset must be inside the file",
        errno.ESRCH: f"no process with pid {pid}",
        errno.EOPNOTSUPP: "this kernel has no multi-uprobe links",
    })
    del keep_path, offs_keep, cookies_keep
    return Link(fd, kind="uprobe_multi", target=target)
