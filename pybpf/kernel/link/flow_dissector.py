"""Flow dissector links: a flow_dissector program for a network namespace (BPF_FLOW_DISSECTOR).

>>> lk = flow_dissector(prog, "/run/netns/blue")      # doctest: +SKIP
"""
from __future__ import annotations

from . import _attr
from .base import HasFd, Link
from .sk_lookup import netns_link

__all__ = ["flow_dissector"]


def flow_dissector(prog: HasFd | int, netns: str | int | None = None) -> Link:
    """Attach a flow_dissector program to ``netns`` (default: the calling thread's namespace)."""
    return netns_link(prog, netns, _attr.AttachType.FLOW_DISSECTOR, "flow_dissector")
