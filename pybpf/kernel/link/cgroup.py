"""cgroup links: a cgroup program on a cgroup v2 directory (BPF_LINK_CREATE, BPF_CGROUP_*).

``hook`` names the attach point with libbpf's section spelling ("ingress",
"egress", "sock_create", "connect4", "sendmsg6", "sysctl", "dev", ...) or an
`AttachType`. The program applies to every process in the cgroup and its
descendants.

>>> lk = cgroup(prog, "/sys/fs/cgroup/test", "connect4")     # doctest: +SKIP
"""
from __future__ import annotations

import errno
import os

from ...errors import KernelError
from ..fs import cgroup2_root
from ..syscall import Cmd
from . import _attr
from ._attr import AttachType
from .base import HasFd, Link, kernel_call, prog_fd

__all__ = ["cgroup", "HOOKS", "resolve_hook"]

#: libbpf's names of cgroup attach points -> attach type.
HOOKS: dict[str, int] = {
    "ingress": AttachType.CGROUP_INET_INGRESS,
    "egress": AttachType.CGROUP_INET_EGRESS,
    "sock_create": AttachType.CGROUP_INET_SOCK_CREATE,
    "sock_release": AttachType.CGROUP_INET_SOCK_RELEASE,
    "sock_ops": AttachType.CGROUP_SOCK_OPS,
    "dev": AttachType.CGROUP_DEVICE,
    "device": AttachType.CGROUP_DEVICE,
    "bind4": AttachType.CGROUP_INET4_BIND,
    "bind6": AttachType.CGROUP_INET6_BIND,
    "post_bind4": AttachType.CGROUP_INET4_POST_BIND,
    "post_bind6": AttachType.CGROUP_INET6_POST_BIND,
    "connect4": AttachType.CGROUP_INET4_CONNECT,
    "connect6": AttachType.CGROUP_INET6_CONNECT,
    "connect_unix": AttachType.CGROUP_UNIX_CONNECT,
    "sendmsg4": AttachType.CGROUP_UDP4_SENDMSG,
    "sendmsg6": AttachType.CGROUP_UDP6_SENDMSG,
    "sendmsg_unix": AttachType.CGROUP_UNIX_SENDMSG,
    "recvmsg4": AttachType.CGROUP_UDP4_RECVMSG,
    "recvmsg6": AttachType.CGROUP_UDP6_RECVMSG,
    "recvmsg_unix": AttachType.CGROUP_UNIX_RECVMSG,
    "getpeername4": AttachType.CGROUP_INET4_GETPEERNAME,
    "getpeername6": AttachType.CGROUP_INET6_GETPEERNAME,
    "getpeername_unix": AttachType.CGROUP_UNIX_GETPEERNAME,
    "getsockname4": AttachType.CGROUP_INET4_GETSOCKNAME,
    "getsockname6": AttachType.CGROUP_INET6_GETSOCKNAME,
    "getsockname_unix": AttachType.CGROUP_UNIX_GETSOCKNAME,
    "sysctl": AttachType.CGROUP_SYSCTL,
    "getsockopt": AttachType.CGROUP_GETSOCKOPT,
    "setsockopt": AttachType.CGROUP_SETSOCKOPT,
}

_PROG_TYPE_OF = {
    AttachType.CGROUP_INET_INGRESS: "cgroup_skb", AttachType.CGROUP_INET_EGRESS: "cgroup_skb",
    AttachType.CGROUP_INET_SOCK_CREATE: "cgroup_sock", AttachType.CGROUP_INET_SOCK_RELEASE: "cgroup_sock",
    AttachType.CGROUP_INET4_POST_BIND: "cgroup_sock", AttachType.CGROUP_INET6_POST_BIND: "cgroup_sock",
    AttachType.CGROUP_SOCK_OPS: "sock_ops", AttachType.CGROUP_DEVICE: "cgroup_device",
    AttachType.CGROUP_SYSCTL: "cgroup_sysctl", AttachType.CGROUP_GETSOCKOPT: "cgroup_sockopt",
    AttachType.CGROUP_SETSOCKOPT: "cgroup_sockopt",
}


def resolve_hook(hook: str | int) -> int:
    """The attach type of a cgroup hook name ("connect4") or number."""
    if isinstance(hook, str):
        key = hook.lower().removeprefix("cgroup/").removeprefix("cgroup_").removeprefix("bpf_cgroup_")
        if key in HOOKS:
            return HOOKS[key]
        try:
            return AttachType["CGROUP_" + key.upper()]
        except KeyError:
            raise ValueError(f"unknown cgroup hook {hook!r}: expected one of "
                             f"{', '.join(sorted(HOOKS))}") from None
    return AttachType(hook)


def _open_cgroup(path: str) -> tuple[int, str]:
    root = cgroup2_root()
    full = path if os.path.isabs(path) else os.path.join(root, path)
    try:
        fd = os.open(full, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as e:
        raise KernelError("BPF_LINK_CREATE (cgroup)", e.errno or errno.ENOENT,
                          hint=f"cannot open cgroup {full}: {e.strerror} (cgroup v2 is mounted at "
                          f"{root})") from None
    return fd, full


def cgroup(prog: HasFd | int, path: str, hook: str | int) -> Link:
    """Attach a cgroup program to the cgroup v2 directory ``path`` at ``hook``.

    A relative ``path`` is taken under the cgroup v2 mount. The program must be
    loaded with the expected attach type of ``hook`` where its type needs one
    (sock_addr hooks such as connect4, sock hooks such as post_bind4).
    """
    attach_type = AttachType(resolve_hook(hook))
    cg_fd, full = _open_cgroup(path)
    name = hook if isinstance(hook, str) else attach_type.name.lower()
    target = f"{full} {name}"
    expected = _PROG_TYPE_OF.get(attach_type, "cgroup_sock_addr")
    try:
        fd = kernel_call("cgroup", Cmd.LINK_CREATE,
                         _attr.link_create(prog_fd(prog), cg_fd, attach_type, 0), target=target, hints={
            errno.EBADF: f"{full} is not a cgroup v2 directory (cgroup v2 is mounted at {cgroup2_root()})",
            errno.EINVAL: f"the program must be of type {expected} loaded with expected attach type "
                          f"BPF_{attach_type.name} for hook {name}",
            errno.EPERM: f"{full} is not a cgroup v2 directory, or the program's attach type does "
                         f"not match hook {name}",
        })
    finally:
        os.close(cg_fd)
    return Link(fd, kind="cgroup", target=target)
