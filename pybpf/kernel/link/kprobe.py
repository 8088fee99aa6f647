"""Kprobe links: a kprobe program on a kernel function, one at a time or many at once.

`kprobe`/`kretprobe` open a perf event of the ``kprobe`` PMU (``config1`` = the
function name, ``config2`` = the offset) and bind it with BPF_LINK_CREATE;
`kprobe_multi` attaches one program to many functions with a single
BPF_TRACE_KPROBE_MULTI link (fprobe). A kernel built without kprobes (no
``kprobe`` PMU) or without fprobe refuses with a `KernelError` saying so.

>>> lk = kprobe(prog, "do_unlinkat")                       # doctest: +SKIP
>>> lk = kprobe_multi(prog, ["vfs_read", "vfs_write"])      # doctest: +SKIP
"""
from __future__ import annotations

import errno
import os
from collections.abc import Sequence

from ..syscall import Cmd, address
from . import _attr
from .base import HasFd, Link, cstr, kernel_call, prog_fd
from .perf import PerfEventAttr, kprobe_pmu_type, perf_event_open, retprobe_bit
from .tracepoint import attach_perf_event_fd

__all__ = ["kprobe", "kretprobe", "kprobe_multi"]

#: BPF_F_KPROBE_MULTI_RETURN
KPROBE_MULTI_RETURN = 1


def kprobe(prog: HasFd | int, function: str, *, offset: int = 0, retprobe: bool = False,
           cookie: int = 0) -> Link:
    """Attach a kprobe program to kernel ``function`` (+ ``offset``)."""
    kind = "kretprobe" if retprobe else "kprobe"
    target = function + (f"+{offset:#x}" if offset else "")
    pmu = kprobe_pmu_type()
    config = (1 << retprobe_bit("kprobe")) if retprobe else 0
    keep, name_ptr = cstr(function)
    pfd = perf_event_open(PerfEventAttr(type=pmu, config=config, config1=name_ptr, config2=offset),
                          pid=-1, cpu=0, what=f"{kind} {target}")
    del keep
    return attach_perf_event_fd(prog, pfd, kind=kind, target=target, cookie=cookie, hints={
        errno.EINVAL: "the program must be of type kprobe",
    })


def kretprobe(prog: HasFd | int, function: str, *, cookie: int = 0) -> Link:
    """Attach a kprobe program to the return of kernel ``function``."""
    return kprobe(prog, function, retprobe=True, cookie=cookie)


def kprobe_multi(prog: HasFd | int, functions: Sequence[str], *, retprobe: bool = False,
                 cookies: Sequence[int] | None = None) -> Link:
    """Attach a kprobe program (loaded with expected attach type ``trace_kprobe_multi``)
    to every function in ``functions`` with one link."""
    if not functions:
        raise ValueError("kprobe_multi needs at least one function")
    if cookies is not None and len(cookies) != len(functions):
        raise ValueError(f"{len(cookies)} cookies for {len(functions)} functions")
    names = [os.fsencode(f) + b"\0" for f in functions]
    keeps = [address(n) for n in names]
    syms = b"".join(addr.to_bytes(8, "little") for addr, _ in keeps)
    syms_addr, syms_keep = address(syms)
    cookie_bytes = b"".join(c.to_bytes(8, "little") for c in cookies) if cookies else b""
    cookies_addr, cookies_keep = address(cookie_bytes)
    target = ",".join(functions) if len(functions) <= 4 else f"{functions[0]},... ({len(functions)})"
    attr = _attr.link_create(prog_fd(prog), 0, _attr.AttachType.TRACE_KPROBE_MULTI, 0,
                             kprobe_multi__flags=KPROBE_MULTI_RETURN if retprobe else 0,
                             kprobe_multi__cnt=len(functions), kprobe_multi__syms=syms_addr,
                             kprobe_multi__cookies=cookies_addr)
    fd = kernel_call("kprobe_multi", Cmd.LINK_CREATE, attr, target=target, hints={
        errno.EOPNOTSUPP: "this kernel has no multi-kprobe links (built without fprobe / "
                          "CONFIG_FPROBE, or without dynamic ftrace)",
        errno.ENOENT: "a function is not in the kernel's ftrace-able function list",
        errno.EINVAL: "the program must be of type kprobe with expected attach type "
                      "trace_kprobe_multi",
    })
    del keeps, syms_keep, cookies_keep
    return Link(fd, kind="kprobe_multi", target=target)
