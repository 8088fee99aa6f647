"""What the kernel says about links: `LinkInfo` (BPF_OBJ_GET_INFO_BY_FD), the ids of every
link (`link_ids`), and a `Link` for a link found by id or pinned on bpffs (`from_id`,
`from_pinned`).

`pybpf.kernel.link.base` gives these names too (made at their first use there: attaching a
probe needs none of them).

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
from ..syscall import Cmd, address, bpf
from . import _attr
from .base import Link, kernel_call

TYPE_CHECKING = False  # (not typing's: no typing import for this module)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["LinkInfo", "query_info", "link_ids", "from_id", "from_pinned"]

#: ``enum bpf_perf_event_type`` by name, as plain ints (the IntEnum is `_attr.PerfEventType`)
_PERF_EVENT = _attr._ENUMS["PerfEventType"]


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


def query_info(fd: int, kind: str) -> LinkInfo:
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
