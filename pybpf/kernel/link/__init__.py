"""Attach loaded programs: one module per attach kind, one `Link` type for all.

Every function takes a loaded program (a `Program` or an fd) and its target and
returns a `Link` (``pin``, ``unpin``, ``update``, ``detach``, ``info``,
``close``; a context manager). Links are fd-based ``bpf_link``s wherever the
kernel has them, so closing the link or exiting the process detaches.

=================  =============================================  ==========================
kind               call                                           program type
=================  =============================================  ==========================
tracepoint         ``tracepoint(prog, "syscalls:sys_enter_getpid")``  tracepoint
raw_tracepoint     ``raw_tracepoint(prog, "sys_enter")``          raw_tracepoint
uprobe/uretprobe   ``uprobe(prog, "/bin/bash", "readline")``      kprobe
uprobe_multi       ``uprobe_multi(prog, "/bin/bash", ["a", "b"])``  kprobe (trace_uprobe_multi)
kprobe/kretprobe   ``kprobe(prog, "do_unlinkat")``                kprobe
kprobe_multi       ``kprobe_multi(prog, ["vfs_read"])``           kprobe (trace_kprobe_multi)
perf_event         ``perf_event(prog, frequency=99)``             perf_event
xdp                ``xdp(prog, "eth0")``                          xdp
tcx                ``tcx(prog, "eth0", "ingress")``               sched_cls
socket_filter      ``socket_filter(prog, sock)``                  socket_filter
cgroup             ``cgroup(prog, "/sys/fs/cgroup/x", "connect4")``  cgroup_*
sk_lookup          ``sk_lookup(prog)``                            sk_lookup
flow_dissector     ``flow_dissector(prog)``                       flow_dissector
netfilter          ``netfilter(prog, "ipv4", "local_in", priority=-100)``  netfilter
fentry/fexit/...   ``fentry(tracing.load(program, "fentry", "f"))``  tracing / lsm
iter               ``iterator(tracing.load(program, "iter", "task"))``  tracing
=================  =============================================  ==========================

>>> from pybpf.kernel import link                                  # doctest: +SKIP
>>> with link.tracepoint(prog, "syscalls:sys_enter_getpid") as lk:  # doctest: +SKIP
...     os.getpid()
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False  # (not typing's: one attach kind costs no more than its own module)
if TYPE_CHECKING:
    from types import ModuleType
else:
    ModuleType = type(sys)  # (types.ModuleType, without importing types)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    # the names below load on first use (see __getattr__)
    from . import tracing
    from ._attr import AttachType, LinkType, PerfEventType
    from .base import HasFd, Link
    from .cgroup import cgroup
    from .flow_dissector import flow_dissector
    from .group import LinkGroup
    from .info import LinkInfo, from_id, from_pinned, link_ids
    from .iter import IterLink, iterator
    from .kprobe import kprobe, kprobe_multi, kretprobe
    from .netfilter import netfilter
    from .perf_event import perf_event
    from .raw_tracepoint import raw_tracepoint
    from .sk_lookup import sk_lookup
    from .socket_filter import SocketFilterLink, socket_filter
    from .symbols import resolve_symbol, symbol_offset
    from .tcx import tcx
    from .tracepoint import tracepoint
    from .tracing import fentry, fexit, fmod_ret, lsm, tp_btf
    from .uprobe import uprobe, uretprobe
    from .uprobe_multi import uprobe_multi
    from .xdp import xdp

#: public name -> the module of this package that defines it ("" for a submodule). An
#: attach kind loads with its first use: ``tracepoint`` alone does not import the BTF
#: machinery of ``fentry`` or the socket module of ``socket_filter`` (start-up is part
#: of every probe's cost).
_WHERE: dict[str, str] = {
    "tracing": "",
    "AttachType": "_attr", "LinkType": "_attr", "PerfEventType": "_attr",
    "HasFd": "base", "Link": "base", "LinkGroup": "group",
    **dict.fromkeys(("LinkInfo", "from_id", "from_pinned", "link_ids"), "info"),
    "cgroup": "cgroup", "flow_dissector": "flow_dissector",
    "IterLink": "iter", "iterator": "iter",
    "kprobe": "kprobe", "kprobe_multi": "kprobe", "kretprobe": "kprobe",
    "netfilter": "netfilter", "perf_event": "perf_event", "raw_tracepoint": "raw_tracepoint",
    "sk_lookup": "sk_lookup", "SocketFilterLink": "socket_filter",
    "socket_filter": "socket_filter", "resolve_symbol": "symbols", "symbol_offset": "symbols",
    "tcx": "tcx", "tracepoint": "tracepoint",
    **dict.fromkeys(("fentry", "fexit", "fmod_ret", "lsm", "tp_btf"), "tracing"),
    "uprobe": "uprobe", "uretprobe": "uprobe", "uprobe_multi": "uprobe_multi", "xdp": "xdp",
}

#: auto-attach kind (as in `pybpf.elf.sections`) -> the name of the function that attaches it
_ATTACH_NAMES: dict[str, str] = {
    "tracepoint": "tracepoint", "raw_tracepoint": "raw_tracepoint", "uprobe": "uprobe",
    "uretprobe": "uretprobe", "perf_event": "perf_event", "xdp": "xdp", "tcx": "tcx",
    "socket_filter": "socket_filter", "cgroup": "cgroup", "sk_lookup": "sk_lookup",
    "fentry": "fentry", "fexit": "fexit", "fmod_ret": "fmod_ret", "lsm": "lsm",
    "tp_btf": "tp_btf", "iter": "iterator", "kprobe": "kprobe", "kretprobe": "kretprobe",
    "kprobe_multi": "kprobe_multi", "uprobe_multi": "uprobe_multi",
    "flow_dissector": "flow_dissector", "netfilter": "netfilter",
}


def __getattr__(name: str) -> Any:
    if name == "ATTACH":  # auto-attach kind (as in `pybpf.elf.sections`) -> its function
        table = globals()["ATTACH"] = _attach_table()
        return table
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # (__import__, not importlib's import_module: importlib imports warnings)
    module = sys.modules.get(f"{__name__}.{where or name}")
    if module is None:
        __import__(f"{__name__}.{where or name}")
        module = sys.modules[f"{__name__}.{where or name}"]
    value = module if not where else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE) | {"ATTACH"})


class _Package(ModuleType):
    """This package's module type: an attach function stays bound to its name when its
    submodule of the same name is imported (``link.tracepoint`` is the function, as it
    was when this package imported every kind at once; the import system would otherwise
    bind the name to the submodule)."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, ModuleType) and _WHERE.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def _attach_table() -> Mapping[str, Callable[..., Any]]:
    """``ATTACH``, made at its first use (no import of one attach kind)."""
    # collections.abc's classes, from the module that defines them (os imports it with the
    # interpreter): collections.abc imports the collections package, ~5M instructions
    from _collections_abc import Iterator, Mapping

    class _AttachTable(Mapping[str, "Callable[..., Any]"]):
        """``ATTACH[kind]``: the attach function of an auto-attach kind, imported on first
        use."""

        def __getitem__(self, kind: str) -> Callable[..., Any]:
            fn: Callable[..., Any] = __getattr__(_ATTACH_NAMES[kind])
            return fn

        def __iter__(self) -> Iterator[str]:
            # (not iter(): importing the submodule `iter` binds that name in this package)
            yield from _ATTACH_NAMES

        def __len__(self) -> int:
            return len(_ATTACH_NAMES)

    return _AttachTable()


if TYPE_CHECKING:
    #: auto-attach kind (as in `pybpf.elf.sections`) -> the function that attaches it.
    ATTACH: Mapping[str, Callable[..., Any]]

__all__ = [
    "ATTACH", "AttachType", "HasFd", "IterLink", "Link", "LinkGroup", "LinkInfo", "LinkType",
    "PerfEventType", "SocketFilterLink", "cgroup", "fentry", "fexit", "flow_dissector", "fmod_ret",
    "from_id", "from_pinned", "iterator", "kprobe", "kprobe_multi", "kretprobe", "link_ids", "lsm",
    "netfilter", "perf_event", "raw_tracepoint", "resolve_symbol", "sk_lookup", "socket_filter", "symbol_offset",
    "tcx", "tp_btf", "tracepoint", "tracing", "uprobe", "uprobe_multi", "uretprobe", "xdp",
]
