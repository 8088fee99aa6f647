"""Netfilter links: a netfilter program on a hook of a network namespace (BPF_NETFILTER).

The program returns a verdict (``NF_DROP`` 0, ``NF_ACCEPT`` 1) for each packet
reaching the hook of the calling thread's network namespace.

>>> lk = netfilter(prog, "ipv4", "local_in", priority=-128)     # doctest: +SKIP
"""
from __future__ import annotations

import errno

from ..syscall import Cmd
from . import _attr
from .base import HasFd, Link, kernel_call, prog_fd

__all__ = ["netfilter", "FAMILIES", "HOOKS"]

#: protocol families (NFPROTO_*)
FAMILIES = {"ipv4": 2, "inet": 2, "ipv6": 10}
#: hooks (NF_INET_*)
HOOKS = {"prerouting": 0, "pre_routing": 0, "local_in": 1, "input": 1, "forward": 2,
         "local_out": 3, "output": 3, "postrouting": 4, "post_routing": 4}
#: BPF_F_NETFILTER_IP_DEFRAG
IP_DEFRAG = 1


def netfilter(prog: HasFd | int, family: str | int, hook: str | int, *, priority: int = 0,
              defrag: bool = False) -> Link:
    """Attach a netfilter program to ``hook`` ("local_in", "forward"...) of ``family``
    ("ipv4", "ipv6") at ``priority`` (not 0: INT_MIN/INT_MAX are reserved)."""
    pf = FAMILIES.get(family, -1) if isinstance(family, str) else family
    hooknum = HOOKS.get(hook, -1) if isinstance(hook, str) else hook
    if pf < 0:
        raise ValueError(f"unknown netfilter family {family!r}: expected one of {', '.join(FAMILIES)}")
    if hooknum < 0:
        raise ValueError(f"unknown netfilter hook {hook!r}: expected one of {', '.join(HOOKS)}")
    target = f"{family} {hook} priority {priority}"
    attr = _attr.link_create(prog_fd(prog), 0, _attr.AttachType.NETFILTER, 0, netfilter__pf=pf,
                             netfilter__hooknum=hooknum, netfilter__priority=priority,
                             netfilter__flags=IP_DEFRAG if defrag else 0)
    fd = kernel_call("netfilter", Cmd.LINK_CREATE, attr, target=target, hints={
        errno.EINVAL: "the program must be of type netfilter; priority must not be 0 (or the "
                      "reserved extremes) and family/hook must exist",
        errno.EOPNOTSUPP: "this kernel has no netfilter BPF links (CONFIG_NETFILTER_BPF_LINK off)",
        errno.EBUSY: "another program already uses this hook and priority",
    })
    return Link(fd, kind="netfilter", target=target)
