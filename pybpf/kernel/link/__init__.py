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

from collections.abc import Callable
from typing import Any

from . import tracing
from ._attr import AttachType, LinkType, PerfEventType
from .base import HasFd, Link, LinkGroup, LinkInfo, from_id, from_pinned, link_ids
from .cgroup import cgroup
from .flow_dissector import flow_dissector
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

#: auto-attach kind (as in `pybpf.elf.sections`) -> the function that attaches it.
ATTACH: dict[str, Callable[..., Any]] = {
    "tracepoint": tracepoint, "raw_tracepoint": raw_tracepoint, "uprobe": uprobe,
    "uretprobe": uretprobe, "perf_event": perf_event, "xdp": xdp, "tcx": tcx,
    "socket_filter": socket_filter, "cgroup": cgroup, "sk_lookup": sk_lookup, "fentry": fentry,
    "fexit": fexit, "fmod_ret": fmod_ret, "lsm": lsm, "tp_btf": tp_btf, "iter": iterator,
    "kprobe": kprobe, "kretprobe": kretprobe, "kprobe_multi": kprobe_multi,
    "uprobe_multi": uprobe_multi, "flow_dissector": flow_dissector, "netfilter": netfilter,
}

__all__ = [
    "ATTACH", "AttachType", "HasFd", "IterLink", "Link", "LinkGroup", "LinkInfo", "LinkType",
    "PerfEventType", "SocketFilterLink", "cgroup", "fentry", "fexit", "flow_dissector", "fmod_ret",
    "from_id", "from_pinned", "iterator", "kprobe", "kprobe_multi", "kretprobe", "link_ids", "lsm",
    "netfilter", "perf_event", "raw_tracepoint", "resolve_symbol", "sk_lookup", "socket_filter", "symbol_offset",
    "tcx", "tp_btf", "tracepoint", "tracing", "uprobe", "uprobe_multi", "uretprobe", "xdp",
]
