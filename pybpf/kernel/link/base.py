"""`Link`: one attached program, the same methods for every attach kind.

A link is an fd (a ``bpf_link`` wherever the kernel has one): closing it, or the
process exiting, detaches the program unless the link was pinned on bpffs.
Every kind returns a `Link` with ``pin``, ``unpin``, ``update``, ``detach``,
``info`` and ``close``; what the kernel cannot do for a kind comes back as a
`KernelError` naming the kind and the reason.

>>> from pybpf.kernel import link                            # doctest: +SKIP
>>> with link.tracepoint(prog, "syscalls:sys_enter_getpid") as lk:   # doctest: +SKIP
...     lk.info().type
<LinkType.PERF_EVENT: 7>
"""
from __future__ import annotations

import errno
import os
import sys

from ...errors import KernelError
from ..fd import FD
from ..syscall import Cmd, address, bpf, hint_for
from . import _attr

__all__ = ["Link", "LinkInfo", "HasFd", "prog_fd", "link_ids", "from_id", "from_pinned"]

#: the names of this module made at their first use, and the module of this package that
#: defines each: what a link reports about itself and the links of a process (`info`), the
#: several links of one call (`group`); attaching a probe needs neither
_LAZY = {**dict.fromkeys(("LinkInfo", "link_ids", "from_id", "from_pinned"), "info"),
         "LinkGroup": "group"}


def __getattr__(name: str) -> Any:
    if name in ("AttachType", "LinkType", "PerfEventType"):  # `_attr`'s, made on first use
        return getattr(_attr, name)
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # (__import__, not importlib's import_module: importlib imports warnings)
    __import__(f"{__package__}.{where}")
    value = globals()[name] = getattr(sys.modules[f"{__package__}.{where}"], name)
    return value


TYPE_CHECKING = False  # (not typing's: attaching a probe is a start-up path)
if TYPE_CHECKING:
    from typing import Any, Protocol

    from .group import LinkGroup
    from .info import LinkInfo, from_id, from_pinned, link_ids

    class HasFd(Protocol):
        @property
        def fd(self) -> int: ...
else:
    class HasFd:
        """Anything with an int ``fd`` (a `Program`): the type of the programs links take."""


def prog_fd(prog: HasFd | int) -> int:
    """The fd of a loaded program (a `Program` or anything with ``.fd``, or an int fd)."""
    if isinstance(prog, int):
        return prog
    fd = getattr(prog, "fd", None)
    if not isinstance(fd, int):
        raise TypeError(f"expected a loaded program (with an int .fd) or an fd, got {type(prog).__name__}")
    return fd


def cstr(text: str | bytes) -> tuple[Any, int]:
    """A NUL-terminated copy of ``text`` and its address (keep the first item alive)."""
    data = (os.fsencode(text) if isinstance(text, str) else bytes(text)) + b"\0"
    addr, keep = address(data)
    return (data, keep), addr


#: Link kinds whose kernel link type has no program update (BPF_LINK_UPDATE says EINVAL).
_NO_UPDATE = frozenset({"tracepoint", "uprobe", "uretprobe", "kprobe", "kretprobe", "perf_event",
                        "raw_tracepoint", "tp_btf", "fentry", "fexit", "fmod_ret", "lsm",
                        "uprobe_multi", "kprobe_multi"})


def kernel_call(kind: str, cmd: Cmd, attr: bytearray, *, target: str = "",
                hints: dict[int, str] | None = None) -> int:
    """bpf(cmd, attr), re-raising a failure as a KernelError that names the link kind and target."""
    try:
        return bpf(cmd, attr)
    except KernelError as e:
        err = e.errno or errno.EIO
        hint = (hints or {}).get(err) or hint_for(cmd, err)
        raise KernelError(f"BPF_{cmd.name} ({kind})", err, hint=hint,
                          detail=target or None) from None


class Link(FD):
    """An attached program. Close it (or leave the ``with`` block) to detach.

    ``kind`` names the attach kind ("tracepoint", "xdp", "cgroup"...) and
    ``target`` what it is attached to ("syscalls:sys_enter_getpid", "ifindex 3").
    ``companions`` are fds closed together with the link (the perf event behind
    a perf-event link).
    """

    kind: str = "link"

    def __init__(self, fd: int, *, kind: str, target: str = "", companions: tuple[int, ...] = ()) -> None:
        super().__init__(fd, kind=kind if kind == "link" else f"{kind} link")
        self.kind = kind
        self.target = target
        self.pinned_path: str | None = None
        self._companions = list(companions)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self.fd}"
        return f"<{type(self).__name__} {self.kind} {self.target} {state}>"

    # -- lifetime -------------------------------------------------------------
    def _close_companions(self) -> None:
        while self._companions:
            fd = self._companions.pop()
            try:
                os.close(fd)
            except OSError:
                pass

    def _release(self) -> None:
        self._close_companions()

    # -- the common API -------------------------------------------------------
    @property
    def id(self) -> int:
        """The kernel's id of this link."""
        return self.info().id

    def info(self) -> LinkInfo:
        """The kernel's `LinkInfo` for this link (type, id, prog id, kind details)."""
        from .info import query_info  # (lazy: attaching a probe asks no info)

        return query_info(self.fd, self.kind)

    def pin(self, path: str) -> str:
        """Pin the link on bpffs so it outlives this fd (and this process); return the path.

        A relative ``path`` is taken under the bpffs mount (mounted if needed).
        """
        from ..pin import pin as pin_object  # (lazy: pinning is no part of an attach's start-up)

        self.pinned_path = pin_object(self.fd, path)
        return self.pinned_path

    def unpin(self) -> None:
        """Remove the pin made by `pin`; the program detaches once no fd refers to it."""
        if self.pinned_path is None:
            raise KernelError(f"unpin ({self.kind})", errno.ENOENT, hint="this link is not pinned")
        from ..pin import unpin as unpin_path  # (lazy, as in pin)

        unpin_path(self.pinned_path)
        self.pinned_path = None

    def update(self, prog: HasFd | int, *, old: HasFd | int | None = None) -> None:
        """Replace the attached program in place (BPF_LINK_UPDATE) without a detach gap.

        ``old``, when given, makes the swap conditional on it being attached.
        """
        flags = _attr.F_REPLACE if old is not None else 0
        attr = _attr.link_update(self.fd, prog_fd(prog), flags, prog_fd(old) if old is not None else 0)
        cannot = (f"{self.kind} links cannot swap their program (the kernel has no update for "
                  "this link type): close it and attach the new program")
        kernel_call(self.kind, Cmd.LINK_UPDATE, attr, target=self.target, hints={
            errno.EOPNOTSUPP: cannot,
            errno.EINVAL: cannot if self.kind in _NO_UPDATE else
            f"the new program's type/attach type does not fit this {self.kind} link",
            errno.EPERM: "old program is not the one attached",
        })

    def detach(self) -> None:
        """Detach now (BPF_LINK_DETACH) although the fd stays open; `close` still has to follow.

        Only links bound to an object that can go away (cgroup, netns, XDP, tcx,
        netfilter...) support this; others raise `KernelError` (EOPNOTSUPP).
        """
        kernel_call(self.kind, Cmd.LINK_DETACH, _attr.link_detach(self.fd), target=self.target,
                    hints={errno.EOPNOTSUPP: f"the kernel cannot force-detach a {self.kind} link: "
                           "close() it (and unpin it) instead"})
