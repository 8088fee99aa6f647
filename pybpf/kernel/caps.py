"""Which capabilities this process holds, and which a kernel command needs.

The kernel answers EPERM when a capability is missing, and an EPERM alone cannot tell
"you lack CAP_BPF" from "this kernel refuses this program type": feature probes that take
EPERM as "known but refused" then print wrong answers. So pybpf reads the process's
effective set (``CapEff`` in ``/proc/self/status``, what the kernel says it holds) and
says which capability is missing before it asks the kernel anything.

What each program type needs follows ``kernel/bpf/syscall.c`` (``bpf_prog_load``): every
load needs CAP_BPF (or CAP_SYS_ADMIN) unless unprivileged BPF is enabled and the type is
a socket filter or cgroup skb program; the networking types also need CAP_NET_ADMIN, the
tracing types CAP_PERFMON (CAP_SYS_ADMIN stands for either). ``tests/kernel/test_caps.py``
checks these lists against the running kernel from a child process that dropped them.

>>> needed_for_prog_type("xdp")
[['CAP_BPF', 'CAP_SYS_ADMIN'], ['CAP_NET_ADMIN', 'CAP_SYS_ADMIN']]
>>> missing(needed_for_prog_type("tracepoint"), held={"CAP_BPF"})
[['CAP_PERFMON', 'CAP_SYS_ADMIN']]
"""

from __future__ import annotations

from ..errors import KernelUnavailable, MissingCapability

#: capability numbers (include/uapi/linux/capability.h)
CAPS: dict[str, int] = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21, "CAP_PERFMON": 38, "CAP_BPF": 39}

#: everything any program type needs: what probing every type and helper takes
ALL_BPF = [["CAP_BPF", "CAP_SYS_ADMIN"], ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"],
           ["CAP_PERFMON", "CAP_SYS_ADMIN"]]

#: program types that also need CAP_NET_ADMIN (``is_net_admin_prog_type``)
NET_ADMIN_TYPES = frozenset({
    "sched_cls", "sched_act", "xdp", "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local", "sk_skb",
    "sk_msg", "flow_dissector", "cgroup_device", "cgroup_sock", "cgroup_sock_addr",
    "cgroup_sockopt", "cgroup_sysctl", "sock_ops", "ext", "netfilter"})
#: program types that also need CAP_PERFMON (``is_perfmon_prog_type``)
PERFMON_TYPES = frozenset({
    "kprobe", "tracepoint", "perf_event", "raw_tracepoint", "raw_tracepoint_writable", "tracing",
    "lsm", "struct_ops", "ext"})
#: program types an unprivileged process may load when unprivileged BPF is enabled
UNPRIVILEGED_TYPES = frozenset({"socket_filter", "cgroup_skb"})


def effective(status_path: str = "/proc/self/status") -> set[str] | None:
    """The names in `CAPS` this process holds, or None when the kernel does not say
    (not Linux, no /proc)."""
    try:
        with open(status_path) as f:
            for line in f:
                if line.startswith("CapEff:"):
                    mask = int(line.split()[1], 16)
                    return {name for name, bit in CAPS.items() if mask >> bit & 1}
    except OSError:
        return None
    return None


def unprivileged_bpf_enabled() -> bool:
    """Whether ``kernel.unprivileged_bpf_disabled`` is 0 (unprivileged loads allowed)."""
    try:
        with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
            return f.read().strip() == "0"
    except OSError:
        return False


def needed_for_prog_type(prog_type: str) -> list[list[str]]:
    """What loading a ``prog_type`` program needs: a list of alternatives, each satisfied
    by holding any one capability in it."""
    needs = [["CAP_BPF", "CAP_SYS_ADMIN"]]
    if prog_type in NET_ADMIN_TYPES:
        needs.append(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"])
    if prog_type in PERFMON_TYPES:
        needs.append(["CAP_PERFMON", "CAP_SYS_ADMIN"])
    return needs


def missing(needs: list[list[str]], held: set[str] | None = None) -> list[list[str]]:
    """The alternatives of ``needs`` that ``held`` (default: this process) satisfies none of."""
    have = effective() if held is None else held
    if have is None:
        return []
    return [alt for alt in needs if not have.intersection(alt)]


def require(action: str, needs: list[list[str]] | None = None, *,
            prog_types: list[str] | tuple[str, ...] = ()) -> None:
    """Raise `MissingCapability` naming what ``action`` lacks: ``needs`` (default: CAP_BPF or
    CAP_SYS_ADMIN) and what each of ``prog_types`` needs. Nothing is checked where the
    kernel does not report capabilities; `KernelUnavailable` off Linux."""
    import sys

    if not sys.platform.startswith("linux"):
        raise KernelUnavailable(f"{action} needs the Linux bpf() system call; this is {sys.platform}")
    want = list(needs or [["CAP_BPF", "CAP_SYS_ADMIN"]])
    for t in prog_types:
        for alt in needed_for_prog_type(t):
            if alt not in want:
                want.append(alt)
    lacking = missing(want)
    if not lacking:
        return
    if (unprivileged_bpf_enabled() and prog_types
            and all(t in UNPRIVILEGED_TYPES for t in prog_types)
            and lacking == [["CAP_BPF", "CAP_SYS_ADMIN"]]):
        return  # the kernel lets anyone load these
    raise MissingCapability(lacking, action)
