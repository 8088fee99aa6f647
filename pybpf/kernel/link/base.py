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

from ..._record import field, record
from ...errors import KernelError
from ..fd import FD
from ..fs import ensure_bpffs
from ..syscall import Cmd, address, bpf, hint_for
from . import _attr

__all__ = ["Link", "LinkInfo", "HasFd", "prog_fd", "link_ids", "from_id", "from_pinned"]

#: ``enum bpf_perf_event_type`` by name, as plain ints (the IntEnum is `_attr.PerfEventType`)
_PERF_EVENT = _attr._ENUMS["PerfEventType"]


def __getattr__(name: str) -> Any:
    if name in ("AttachType", "LinkType", "PerfEventType"):  # `_attr`'s, made on first use
        return getattr(_attr, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


TYPE_CHECKING = False  # (not typing's: attaching a probe is a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Protocol

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


@record(frozen=True)
class LinkInfo:
    """What the kernel says about a link (``struct bpf_link_info``).

    ``details`` holds the kind-specific fields (ifindex, attach_type, cgroup_id,
    tp_name, file_name/offset for uprobes...).
    """

    type: int
    id: int
    prog_id: int
    details: dict[str, Any] = field(default_factory=dict)


def _enum(cls: Any, value: int) -> Any:
    try:
        return cls(value)
    except ValueError:
        return value


_STRING_FIELD = {  # link type -> (pointer field, length field) of its name string
    "RAW_TRACEPOINT": ("raw_tracepoint.tp_name", "raw_tracepoint.tp_name_len"),
    "ITER": ("iter.target_name", "iter.target_name_len"),
    "UPROBE_MULTI": ("uprobe_multi.path", "uprobe_multi.path_size"),
}
_PERF_STRING_FIELD = {
    _PERF_EVENT["uprobe"]: ("perf_event.uprobe.file_name", "perf_event.uprobe.name_len"),
    _PERF_EVENT["uretprobe"]: ("perf_event.uprobe.file_name", "perf_event.uprobe.name_len"),
    _PERF_EVENT["tracepoint"]: ("perf_event.tracepoint.tp_name", "perf_event.tracepoint.name_len"),
}
#: link type -> the (layout field, details key) pairs reported in LinkInfo.details
_DETAIL_FIELDS = {
    "RAW_TRACEPOINT": ("raw_tracepoint.cookie",),
    "TRACING": ("tracing.attach_type", "tracing.target_obj_id", "tracing.target_btf_id",
                "tracing.cookie"),
    "CGROUP": ("cgroup.cgroup_id", "cgroup.attach_type"),
    "ITER": (),
    "NETNS": ("netns.netns_ino", "netns.attach_type"),
    "XDP": ("xdp.ifindex",),
    "TCX": ("tcx.ifindex", "tcx.attach_type"),
    "NETKIT": ("netkit.ifindex", "netkit.attach_type"),
    "UPROBE_MULTI": ("uprobe_multi.count", "uprobe_multi.flags", "uprobe_multi.pid"),
    "KPROBE_MULTI": ("kprobe_multi.count", "kprobe_multi.flags", "kprobe_multi.missed"),
    "NETFILTER": ("netfilter.pf", "netfilter.hooknum", "netfilter.priority", "netfilter.flags"),
}
_PERF_DETAIL_FIELDS = {
    _PERF_EVENT["uprobe"]: ("perf_event.uprobe.offset", "perf_event.uprobe.cookie"),
    _PERF_EVENT["uretprobe"]: ("perf_event.uprobe.offset", "perf_event.uprobe.cookie"),
    _PERF_EVENT["tracepoint"]: ("perf_event.tracepoint.cookie",),
    _PERF_EVENT["event"]: ("perf_event.event.config", "perf_event.event.type", "perf_event.event.cookie"),
}


def _query_info(fd: int, kind: str) -> LinkInfo:
    """BPF_OBJ_GET_INFO_BY_FD on a link, decoded with the kernel's ``bpf_link_info`` layout."""
    L = _attr.LINK_INFO
    name_buf = bytearray(4096)
    name_ptr, name_keep = address(name_buf)

    def call(buf: bytearray) -> None:
        ptr, keep = address(buf)
        kernel_call(kind, Cmd.OBJ_GET_INFO_BY_FD, _attr.obj_info(fd, ptr, len(buf)))
        del keep

    info = bytearray(L.size)
    call(info)
    ltype = _enum(_attr.LinkType, int(L.get(info, "type")))
    tname = ltype.name if isinstance(ltype, _attr.LinkType) else ""
    ptype = None
    strings: tuple[str, str] | None = _STRING_FIELD.get(tname)
    fields: tuple[str, ...] = _DETAIL_FIELDS.get(tname, ())
    if tname == "PERF_EVENT":
        ptype = _enum(_attr.PerfEventType, int(L.get(info, "perf_event.type")))
        strings = _PERF_STRING_FIELD.get(ptype)
        fields = _PERF_DETAIL_FIELDS.get(ptype, ())
    if strings is not None:  # ask again with a buffer for the name
        info = L.new(**{strings[0]: name_ptr, strings[1]: 4096})
        if ptype is not None:
            L.set(info, **{"perf_event.type": int(ptype)})
        call(info)
    details: dict[str, Any] = {}
    if ptype is not None:
        details["perf_event_type"] = ptype
    for fname in fields:
        key = fname.rpartition(".")[2]
        value = L.get(info, fname)
        details[key] = _enum(_attr.AttachType, int(value)) if key == "attach_type" else value
    if strings is not None:
        details[strings[0].rpartition(".")[2]] = bytes(name_buf).split(b"\0", 1)[0].decode(errors="replace")
    del name_keep
    return LinkInfo(ltype, int(L.get(info, "id")), int(L.get(info, "prog_id")), details)


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
        return _query_info(self.fd, self.kind)

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


def link_ids() -> Iterator[int]:
    """Yield the ids of every link in the system (BPF_LINK_GET_NEXT_ID)."""
    start = 0
    while True:
        attr = _attr.id_attr(start)
        try:
            bpf(Cmd.LINK_GET_NEXT_ID, attr)
        except KernelError as e:
            if e.errno == errno.ENOENT:
                return
            raise
        start = _attr.next_id(attr)
        yield start


def _fdinfo_link_type(fd: int) -> str | None:
    """The ``link_type`` line of /proc/self/fdinfo/<fd>, or None when the fd is not a link."""
    try:
        with open(f"/proc/self/fdinfo/{fd}") as f:
            for line in f:
                if line.startswith("link_type:"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _adopt(fd: int, target: str, what: str) -> Link:
    """Wrap an fd obtained by id or from a pin, checking it is a link and naming its kind."""
    if _fdinfo_link_type(fd) is None:
        os.close(fd)
        raise KernelError(what, errno.EINVAL, hint=f"{target} is not a BPF link (a map or program?)")
    lk = Link(fd, kind="link", target=target)
    ltype = lk.info().type
    if isinstance(ltype, _attr.LinkType):
        lk.kind = ltype.name.lower()
        lk._kind = f"{lk.kind} link"
    return lk


def from_id(link_id: int) -> Link:
    """Open an existing link by its id (BPF_LINK_GET_FD_BY_ID); its ``kind`` is its link type."""
    fd = kernel_call("link", Cmd.LINK_GET_FD_BY_ID, _attr.id_attr(link_id), target=f"id {link_id}",
                     hints={errno.ENOENT: f"no link with id {link_id}"})
    return _adopt(fd, f"id {link_id}", "BPF_LINK_GET_FD_BY_ID")


def from_pinned(path: str) -> Link:
    """Open a link pinned at ``path`` (BPF_OBJ_GET); a relative path is under bpffs."""
    from ..pin import get_pinned, pin_path  # (lazy, as in Link.pin)

    full = pin_path(path)
    lk = _adopt(get_pinned(full), full, "BPF_OBJ_GET (link)")
    lk.pinned_path = full
    return lk


class LinkGroup:
    """Several links made by one call (one per CPU for perf events), handled as one.

    Iterating yields the `Link` objects; ``close``/``detach``/``update`` act on all;
    ``pin(directory)`` pins each as ``directory/<index>``.
    """

    def __init__(self, links: list[Link], *, kind: str, target: str = "") -> None:
        self.links = links
        self.kind = kind
        self.target = target

    def __iter__(self) -> Iterator[Link]:
        return iter(self.links)

    def __len__(self) -> int:
        return len(self.links)

    def __enter__(self) -> LinkGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LinkGroup {self.kind} {self.target} x{len(self.links)}>"

    @property
    def closed(self) -> bool:
        return all(lk.closed for lk in self.links)

    def close(self) -> None:
        """Close every link (idempotent)."""
        errors = []
        for lk in self.links:
            try:
                lk.close()
            except Exception as e:  # keep closing the others
                errors.append(e)
        if errors:
            raise errors[0]

    def info(self) -> list[LinkInfo]:
        return [lk.info() for lk in self.links]

    def pin(self, directory: str) -> list[str]:
        """Pin each link as ``directory/<index>`` (the directory is created on bpffs)."""
        full = directory if os.path.isabs(directory) else os.path.join(ensure_bpffs(), directory)
        os.makedirs(full, exist_ok=True)
        return [lk.pin(os.path.join(full, str(i))) for i, lk in enumerate(self.links)]

    def unpin(self) -> None:
        for lk in self.links:
            lk.unpin()

    def update(self, prog: HasFd | int) -> None:
        for lk in self.links:
            lk.update(prog)

    def detach(self) -> None:
        for lk in self.links:
            lk.detach()
