"""libbpf's ``SEC()`` naming convention: section name -> program type and attach point.

Facts from libbpf's documentation ("Program Types and ELF Sections"), written as
pybpf's own table. A row's ``name`` matches in one of three ways:

- ``EXACT``: the section name equals ``name`` (``SEC("socket")``);
- ``PLUS``:  ``name`` alone or ``name/extras`` (``SEC("tp/syscalls/sys_enter_openat")``);
- ``PREFIX``: any name that starts with ``name`` (unused by libbpf 1.x, kept for legacy loaders).

libbpf 1.x matches most names exactly; probe, tracepoint and BTF-attached kinds take
``/extras`` naming their target.

``extras`` carry the auto-attach target (tracepoint ``category/name``, uprobe
``path:symbol``, kernel function for fentry...). `parse_section` returns a
`SectionSpec`, or raises `ElfError` for a name libbpf would not recognise.

>>> spec = parse_section("tp/syscalls/sys_enter_openat")
>>> spec.prog_type, spec.attach, spec.target
('tracepoint', 'tracepoint', 'syscalls/sys_enter_openat')
>>> parse_section("cgroup/connect4").expected_attach_type
'cgroup_inet4_connect'
>>> parse_section("fentry.s/do_unlinkat").sleepable
True
"""

from __future__ import annotations

from .._record import record
from ..errors import ElfError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from enum import Enum

    class StrEnum(str, Enum):  # what pybpf._enum.StrEnum is, for type checkers
        pass
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import StrEnum


class Match(StrEnum):
    EXACT = "exact"
    PLUS = "plus"
    PREFIX = "prefix"


@record(frozen=True)
class SectionDef:
    """One row of the table: how a section name maps to a program."""

    name: str
    prog_type: str
    expected_attach_type: str | None = None
    match: Match = Match.PLUS
    attach: str | None = None  # the auto-attach kind (pybpf.kernel.link), None: manual
    sleepable: bool = False
    attach_btf: bool = False  # needs a BTF id of its target (fentry, lsm, tp_btf, iter...)
    xdp_frags: bool = False  # loaded with BPF_F_XDP_HAS_FRAGS (multi-buffer packets)


@record(frozen=True)
class SectionSpec:
    """What a particular section name means."""

    section: str
    prog_type: str
    expected_attach_type: str | None
    attach: str | None
    target: str | None
    sleepable: bool
    attach_btf: bool
    #: False for a ``?`` name (``SEC("?tc")``): libbpf does not load it unless asked
    autoload: bool = True
    xdp_frags: bool = False


_E, _P, _X = Match.EXACT, Match.PLUS, Match.PREFIX

#: Ordered: the first matching row wins, so longer names come before their prefixes.
SECTION_DEFS: tuple[SectionDef, ...] = (
    SectionDef("socket", "socket_filter", match=_E, attach="socket_filter"),
    SectionDef("sk_reuseport/migrate", "sk_reuseport", "sk_reuseport_select_or_migrate", _E),
    SectionDef("sk_reuseport", "sk_reuseport", "sk_reuseport_select", _E),
    SectionDef("kprobe.multi", "kprobe", "trace_kprobe_multi", _P, attach="kprobe_multi"),
    SectionDef("kretprobe.multi", "kprobe", "trace_kprobe_multi", _P, attach="kprobe_multi"),
    SectionDef("kprobe.session", "kprobe", "trace_kprobe_session", _P, attach="kprobe_multi"),
    SectionDef("kprobe", "kprobe", match=_P, attach="kprobe"),
    SectionDef("kretprobe", "kprobe", match=_P, attach="kretprobe"),
    SectionDef("uprobe.multi.s", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi",
               sleepable=True),
    SectionDef("uretprobe.multi.s", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi",
               sleepable=True),
    SectionDef("uprobe.session.s", "kprobe", "trace_uprobe_session", _P, attach="uprobe_multi",
               sleepable=True),
    SectionDef("uprobe.session", "kprobe", "trace_uprobe_session", _P, attach="uprobe_multi"),
    SectionDef("uprobe.multi", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi"),
    SectionDef("uretprobe.multi", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi"),
    SectionDef("uprobe.s", "kprobe", match=_P, attach="uprobe", sleepable=True),
    SectionDef("uretprobe.s", "kprobe", match=_P, attach="uretprobe", sleepable=True),
    SectionDef("uprobe", "kprobe", match=_P, attach="uprobe"),
    SectionDef("uretprobe", "kprobe", match=_P, attach="uretprobe"),
    SectionDef("usdt.s", "kprobe", match=_P, attach="usdt", sleepable=True),
    SectionDef("usdt", "kprobe", match=_P, attach="usdt"),
    SectionDef("ksyscall", "kprobe", match=_P, attach="ksyscall"),
    SectionDef("kretsyscall", "kprobe", match=_P, attach="ksyscall"),
    SectionDef("tc/ingress", "sched_cls", "tcx_ingress", _E, attach="tcx"),
    SectionDef("tc/egress", "sched_cls", "tcx_egress", _E, attach="tcx"),
    SectionDef("tcx/ingress", "sched_cls", "tcx_ingress", _E, attach="tcx"),
    SectionDef("tcx/egress", "sched_cls", "tcx_egress", _E, attach="tcx"),
    SectionDef("netkit/primary", "sched_cls", "netkit_primary", _E, attach="netkit"),
    SectionDef("netkit/peer", "sched_cls", "netkit_peer", _E, attach="netkit"),
    SectionDef("tc", "sched_cls", match=_E),
    SectionDef("classifier", "sched_cls", match=_E),
    SectionDef("action", "sched_act", match=_E),
    SectionDef("tracepoint", "tracepoint", match=_P, attach="tracepoint"),
    SectionDef("tp", "tracepoint", match=_P, attach="tracepoint"),
    SectionDef("raw_tracepoint.w", "raw_tracepoint_writable", match=_P, attach="raw_tracepoint"),
    SectionDef("raw_tp.w", "raw_tracepoint_writable", match=_P, attach="raw_tracepoint"),
    SectionDef("raw_tracepoint", "raw_tracepoint", match=_P, attach="raw_tracepoint"),
    SectionDef("raw_tp", "raw_tracepoint", match=_P, attach="raw_tracepoint"),
    SectionDef("tp_btf", "tracing", "trace_raw_tp", _P, attach="tracing", attach_btf=True),
    SectionDef("fentry.s", "tracing", "trace_fentry", _P, attach="tracing", sleepable=True,
               attach_btf=True),
    SectionDef("fmod_ret.s", "tracing", "modify_return", _P, attach="tracing", sleepable=True,
               attach_btf=True),
    SectionDef("fexit.s", "tracing", "trace_fexit", _P, attach="tracing", sleepable=True,
               attach_btf=True),
    SectionDef("fentry", "tracing", "trace_fentry", _P, attach="tracing", attach_btf=True),
    SectionDef("fmod_ret", "tracing", "modify_return", _P, attach="tracing", attach_btf=True),
    SectionDef("fexit", "tracing", "trace_fexit", _P, attach="tracing", attach_btf=True),
    SectionDef("freplace", "ext", match=_P, attach="freplace", attach_btf=True),
    SectionDef("lsm.s", "lsm", "lsm_mac", _P, attach="lsm", sleepable=True, attach_btf=True),
    SectionDef("lsm_cgroup", "lsm", "lsm_cgroup", _P, attach_btf=True),
    SectionDef("lsm", "lsm", "lsm_mac", _P, attach="lsm", attach_btf=True),
    SectionDef("iter.s", "tracing", "trace_iter", _P, attach="iter", sleepable=True,
               attach_btf=True),
    SectionDef("iter", "tracing", "trace_iter", _P, attach="iter", attach_btf=True),
    SectionDef("syscall", "syscall", match=_E, sleepable=True),
    SectionDef("xdp.frags/devmap", "xdp", "xdp_devmap", _E, xdp_frags=True),
    SectionDef("xdp/devmap", "xdp", "xdp_devmap", _E),
    SectionDef("xdp.frags/cpumap", "xdp", "xdp_cpumap", _E, xdp_frags=True),
    SectionDef("xdp/cpumap", "xdp", "xdp_cpumap", _E),
    SectionDef("xdp.frags", "xdp", "xdp", _E, attach="xdp", xdp_frags=True),
    SectionDef("xdp", "xdp", "xdp", _E, attach="xdp"),
    SectionDef("perf_event", "perf_event", match=_E, attach="perf_event"),
    SectionDef("lwt_in", "lwt_in", match=_E),
    SectionDef("lwt_out", "lwt_out", match=_E),
    SectionDef("lwt_xmit", "lwt_xmit", match=_E),
    SectionDef("lwt_seg6local", "lwt_seg6local", match=_E),
    SectionDef("sockops", "sock_ops", "cgroup_sock_ops", _E, attach="cgroup"),
    SectionDef("sk_skb/stream_parser", "sk_skb", "sk_skb_stream_parser", _E),
    SectionDef("sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict", _E),
    SectionDef("sk_skb/verdict", "sk_skb", "sk_skb_verdict", _E),
    SectionDef("sk_skb", "sk_skb", match=_E),
    SectionDef("sk_msg", "sk_msg", "sk_msg_verdict", _E),
    SectionDef("lirc_mode2", "lirc_mode2", "lirc_mode2", _E),
    SectionDef("flow_dissector", "flow_dissector", "flow_dissector", _E, attach="flow_dissector"),
    SectionDef("cgroup_skb/ingress", "cgroup_skb", "cgroup_inet_ingress", _E, attach="cgroup"),
    SectionDef("cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress", _E, attach="cgroup"),
    SectionDef("cgroup/skb", "cgroup_skb", match=_E),
    SectionDef("cgroup/sock_create", "cgroup_sock", "cgroup_inet_sock_create", _E, attach="cgroup"),
    SectionDef("cgroup/sock_release", "cgroup_sock", "cgroup_inet_sock_release", _E,
               attach="cgroup"),
    SectionDef("cgroup/sock", "cgroup_sock", "cgroup_inet_sock_create", _E, attach="cgroup"),
    SectionDef("cgroup/post_bind4", "cgroup_sock", "cgroup_inet4_post_bind", _E, attach="cgroup"),
    SectionDef("cgroup/post_bind6", "cgroup_sock", "cgroup_inet6_post_bind", _E, attach="cgroup"),
    SectionDef("cgroup/bind4", "cgroup_sock_addr", "cgroup_inet4_bind", _E, attach="cgroup"),
    SectionDef("cgroup/bind6", "cgroup_sock_addr", "cgroup_inet6_bind", _E, attach="cgroup"),
    SectionDef("cgroup/connect4", "cgroup_sock_addr", "cgroup_inet4_connect", _E, attach="cgroup"),
    SectionDef("cgroup/connect6", "cgroup_sock_addr", "cgroup_inet6_connect", _E, attach="cgroup"),
    SectionDef("cgroup/connect_unix", "cgroup_sock_addr", "cgroup_unix_connect", _E,
               attach="cgroup"),
    SectionDef("cgroup/sendmsg4", "cgroup_sock_addr", "cgroup_udp4_sendmsg", _E, attach="cgroup"),
    SectionDef("cgroup/sendmsg6", "cgroup_sock_addr", "cgroup_udp6_sendmsg", _E, attach="cgroup"),
    SectionDef("cgroup/sendmsg_unix", "cgroup_sock_addr", "cgroup_unix_sendmsg", _E,
               attach="cgroup"),
    SectionDef("cgroup/recvmsg4", "cgroup_sock_addr", "cgroup_udp4_recvmsg", _E, attach="cgroup"),
    SectionDef("cgroup/recvmsg6", "cgroup_sock_addr", "cgroup_udp6_recvmsg", _E, attach="cgroup"),
    SectionDef("cgroup/recvmsg_unix", "cgroup_sock_addr", "cgroup_unix_recvmsg", _E,
               attach="cgroup"),
    SectionDef("cgroup/getpeername4", "cgroup_sock_addr", "cgroup_inet4_getpeername", _E,
               attach="cgroup"),
    SectionDef("cgroup/getpeername6", "cgroup_sock_addr", "cgroup_inet6_getpeername", _E,
               attach="cgroup"),
    SectionDef("cgroup/getpeername_unix", "cgroup_sock_addr", "cgroup_unix_getpeername", _E,
               attach="cgroup"),
    SectionDef("cgroup/getsockname4", "cgroup_sock_addr", "cgroup_inet4_getsockname", _E,
               attach="cgroup"),
    SectionDef("cgroup/getsockname6", "cgroup_sock_addr", "cgroup_inet6_getsockname", _E,
               attach="cgroup"),
    SectionDef("cgroup/getsockname_unix", "cgroup_sock_addr", "cgroup_unix_getsockname", _E,
               attach="cgroup"),
    SectionDef("cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl", _E, attach="cgroup"),
    SectionDef("cgroup/getsockopt", "cgroup_sockopt", "cgroup_getsockopt", _E, attach="cgroup"),
    SectionDef("cgroup/setsockopt", "cgroup_sockopt", "cgroup_setsockopt", _E, attach="cgroup"),
    SectionDef("cgroup/dev", "cgroup_device", "cgroup_device", _E, attach="cgroup"),
    SectionDef("struct_ops.s", "struct_ops", match=_P, sleepable=True),
    SectionDef("struct_ops", "struct_ops", match=_P),
    SectionDef("sk_lookup", "sk_lookup", "sk_lookup", _E, attach="sk_lookup"),
    SectionDef("netfilter", "netfilter", "netfilter", _E),
)


def _matches(row: SectionDef, section: str) -> str | None:
    """The extras (possibly "") if ``section`` matches ``row``, else None."""
    if row.match is Match.EXACT:
        return "" if section == row.name else None
    if row.match is Match.PREFIX:
        return section[len(row.name):] if section.startswith(row.name) else None
    if section == row.name:
        return ""
    if section.startswith(row.name + "/"):
        return section[len(row.name) + 1:]
    return None


def find_section_def(section: str) -> SectionDef | None:
    """The first table row matching ``section``, or None."""
    for row in SECTION_DEFS:
        if _matches(row, section) is not None:
            return row
    return None


def parse_section(section: str, *, path: str | None = None) -> SectionSpec:
    """What ``SEC(section)`` means, following libbpf's rules.

    A leading ``?`` (``SEC("?raw_tp/sys_enter")``) marks a program libbpf does not
    load automatically; the rest of the name is matched as usual.

    Raises `ElfError` naming the section when libbpf would not recognise it.

    >>> s = parse_section("?tc")
    >>> s.prog_type, s.autoload
    ('sched_cls', False)
    """
    autoload = not section.startswith("?")
    name = section if autoload else section[1:]
    for row in SECTION_DEFS:
        extras = _matches(row, name)
        if extras is None:
            continue
        return SectionSpec(
            section=section,
            prog_type=row.prog_type,
            expected_attach_type=row.expected_attach_type,
            attach=row.attach,
            target=extras or None,
            sleepable=row.sleepable,
            attach_btf=row.attach_btf,
            autoload=autoload,
            xdp_frags=row.xdp_frags,
        )
    raise ElfError("unknown program section name (libbpf's SEC() conventions: e.g. 'xdp', "
                   "'tp/<category>/<name>', 'raw_tp/<name>', 'uprobe/<path>:<symbol>', "
                   "'cgroup/connect4', 'socket')", path=path, section=section)
