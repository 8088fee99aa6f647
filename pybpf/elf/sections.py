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

from .._record import Frozen
from ..errors import ElfError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

    from .section_defs import Match, SectionDef


class SectionSpec(Frozen):
    """What a particular section name means."""

    __slots__ = __match_args__ = ("section", "prog_type", "expected_attach_type", "attach",
                                  "target", "sleepable", "attach_btf", "autoload", "xdp_frags")
    section: str
    prog_type: str
    expected_attach_type: str | None
    attach: str | None
    target: str | None
    sleepable: bool
    attach_btf: bool
    #: False for a ``?`` name (``SEC("?tc")``): libbpf does not load it unless asked
    autoload: bool
    xdp_frags: bool

    def __init__(self, section: str, prog_type: str, expected_attach_type: str | None,
                 attach: str | None, target: str | None, sleepable: bool, attach_btf: bool,
                 autoload: bool = True, xdp_frags: bool = False) -> None:
        _set = object.__setattr__  # past the frozen __setattr__
        _set(self, "section", section)
        _set(self, "prog_type", prog_type)
        _set(self, "expected_attach_type", expected_attach_type)
        _set(self, "attach", attach)
        _set(self, "target", target)
        _set(self, "sleepable", sleepable)
        _set(self, "attach_btf", attach_btf)
        _set(self, "autoload", autoload)
        _set(self, "xdp_frags", xdp_frags)


#: a row's match: the values of `Match` (the enumeration and `SectionDef` are made with
#: `SECTION_DEFS`, in pybpf.elf.section_defs: parsing a name needs neither)
_E, _P, _X = "exact", "plus", "prefix"


def _row(name: str, prog_type: str, expected_attach_type: str | None = None,
         match: str = _P, attach: str | None = None, sleepable: bool = False,
         attach_btf: bool = False, xdp_frags: bool = False) -> tuple[Any, ...]:
    """A `SectionDef`'s fields, in order (its defaults)."""
    return (name, prog_type, expected_attach_type, match, attach, sleepable, attach_btf,
            xdp_frags)


#: Ordered: the first matching row wins, so longer names come before their prefixes. Plain
#: tuples, a `SectionDef`'s fields in order (`SECTION_DEFS` makes the records on first use:
#: building ~110 records by keyword costs an object loader's start-up ~4% of its instructions).
_ROWS: tuple[tuple[Any, ...], ...] = (
    _row("socket", "socket_filter", match=_E, attach="socket_filter"),
    _row("sk_reuseport/migrate", "sk_reuseport", "sk_reuseport_select_or_migrate", _E),
    _row("sk_reuseport", "sk_reuseport", "sk_reuseport_select", _E),
    _row("kprobe.multi", "kprobe", "trace_kprobe_multi", _P, attach="kprobe_multi"),
    _row("kretprobe.multi", "kprobe", "trace_kprobe_multi", _P, attach="kprobe_multi"),
    _row("kprobe.session", "kprobe", "trace_kprobe_session", _P, attach="kprobe_multi"),
    _row("kprobe", "kprobe", match=_P, attach="kprobe"),
    _row("kretprobe", "kprobe", match=_P, attach="kretprobe"),
    _row("uprobe.multi.s", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi",
               sleepable=True),
    _row("uretprobe.multi.s", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi",
               sleepable=True),
    _row("uprobe.session.s", "kprobe", "trace_uprobe_session", _P, attach="uprobe_multi",
               sleepable=True),
    _row("uprobe.session", "kprobe", "trace_uprobe_session", _P, attach="uprobe_multi"),
    _row("uprobe.multi", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi"),
    _row("uretprobe.multi", "kprobe", "trace_uprobe_multi", _P, attach="uprobe_multi"),
    _row("uprobe.s", "kprobe", match=_P, attach="uprobe", sleepable=True),
    _row("uretprobe.s", "kprobe", match=_P, attach="uretprobe", sleepable=True),
    _row("uprobe", "kprobe", match=_P, attach="uprobe"),
    _row("uretprobe", "kprobe", match=_P, attach="uretprobe"),
    _row("usdt.s", "kprobe", match=_P, attach="usdt", sleepable=True),
    _row("usdt", "kprobe", match=_P, attach="usdt"),
    _row("ksyscall", "kprobe", match=_P, attach="ksyscall"),
    _row("kretsyscall", "kprobe", match=_P, attach="ksyscall"),
    _row("tc/ingress", "sched_cls", "tcx_ingress", _E, attach="tcx"),
    _row("tc/egress", "sched_cls", "tcx_egress", _E, attach="tcx"),
    _row("tcx/ingress", "sched_cls", "tcx_ingress", _E, attach="tcx"),
    _row("tcx/egress", "sched_cls", "tcx_egress", _E, attach="tcx"),
    _row("netkit/primary", "sched_cls", "netkit_primary", _E, attach="netkit"),
    _row("netkit/peer", "sched_cls", "netkit_peer", _E, attach="netkit"),
    _row("tc", "sched_cls", match=_E),
    _row("classifier", "sched_cls", match=_E),
    _row("action", "sched_act", match=_E),
    _row("tracepoint", "tracepoint", match=_P, attach="tracepoint"),
    _row("tp", "tracepoint", match=_P, attach="tracepoint"),
    _row("raw_tracepoint.w", "raw_tracepoint_writable", match=_P, attach="raw_tracepoint"),
    _row("raw_tp.w", "raw_tracepoint_writable", match=_P, attach="raw_tracepoint"),
    _row("raw_tracepoint", "raw_tracepoint", match=_P, attach="raw_tracepoint"),
    _row("raw_tp", "raw_tracepoint", match=_P, attach="raw_tracepoint"),
    _row("tp_btf", "tracing", "trace_raw_tp", _P, attach="tracing", attach_btf=True),
    _row("fentry.s", "tracing", "trace_fentry", _P, attach="tracing", sleepable=True,
               attach_btf=True),
    _row("fmod_ret.s", "tracing", "modify_return", _P, attach="tracing", sleepable=True,
               attach_btf=True),
    _row("fexit.s", "tracing", "trace_fexit", _P, attach="tracing", sleepable=True,
               attach_btf=True),
    _row("fentry", "tracing", "trace_fentry", _P, attach="tracing", attach_btf=True),
    _row("fmod_ret", "tracing", "modify_return", _P, attach="tracing", attach_btf=True),
    _row("fexit", "tracing", "trace_fexit", _P, attach="tracing", attach_btf=True),
    _row("freplace", "ext", match=_P, attach="freplace", attach_btf=True),
    _row("lsm.s", "lsm", "lsm_mac", _P, attach="lsm", sleepable=True, attach_btf=True),
    _row("lsm_cgroup", "lsm", "lsm_cgroup", _P, attach_btf=True),
    _row("lsm", "lsm", "lsm_mac", _P, attach="lsm", attach_btf=True),
    _row("iter.s", "tracing", "trace_iter", _P, attach="iter", sleepable=True,
               attach_btf=True),
    _row("iter", "tracing", "trace_iter", _P, attach="iter", attach_btf=True),
    _row("syscall", "syscall", match=_E, sleepable=True),
    _row("xdp.frags/devmap", "xdp", "xdp_devmap", _E, xdp_frags=True),
    _row("xdp/devmap", "xdp", "xdp_devmap", _E),
    _row("xdp.frags/cpumap", "xdp", "xdp_cpumap", _E, xdp_frags=True),
    _row("xdp/cpumap", "xdp", "xdp_cpumap", _E),
    _row("xdp.frags", "xdp", "xdp", _E, attach="xdp", xdp_frags=True),
    _row("xdp", "xdp", "xdp", _E, attach="xdp"),
    _row("perf_event", "perf_event", match=_E, attach="perf_event"),
    _row("lwt_in", "lwt_in", match=_E),
    _row("lwt_out", "lwt_out", match=_E),
    _row("lwt_xmit", "lwt_xmit", match=_E),
    _row("lwt_seg6local", "lwt_seg6local", match=_E),
    _row("sockops", "sock_ops", "cgroup_sock_ops", _E, attach="cgroup"),
    _row("sk_skb/stream_parser", "sk_skb", "sk_skb_stream_parser", _E),
    _row("sk_skb/stream_verdict", "sk_skb", "sk_skb_stream_verdict", _E),
    _row("sk_skb/verdict", "sk_skb", "sk_skb_verdict", _E),
    _row("sk_skb", "sk_skb", match=_E),
    _row("sk_msg", "sk_msg", "sk_msg_verdict", _E),
    _row("lirc_mode2", "lirc_mode2", "lirc_mode2", _E),
    _row("flow_dissector", "flow_dissector", "flow_dissector", _E, attach="flow_dissector"),
    _row("cgroup_skb/ingress", "cgroup_skb", "cgroup_inet_ingress", _E, attach="cgroup"),
    _row("cgroup_skb/egress", "cgroup_skb", "cgroup_inet_egress", _E, attach="cgroup"),
    _row("cgroup/skb", "cgroup_skb", match=_E),
    _row("cgroup/sock_create", "cgroup_sock", "cgroup_inet_sock_create", _E, attach="cgroup"),
    _row("cgroup/sock_release", "cgroup_sock", "cgroup_inet_sock_release", _E,
               attach="cgroup"),
    _row("cgroup/sock", "cgroup_sock", "cgroup_inet_sock_create", _E, attach="cgroup"),
    _row("cgroup/post_bind4", "cgroup_sock", "cgroup_inet4_post_bind", _E, attach="cgroup"),
    _row("cgroup/post_bind6", "cgroup_sock", "cgroup_inet6_post_bind", _E, attach="cgroup"),
    _row("cgroup/bind4", "cgroup_sock_addr", "cgroup_inet4_bind", _E, attach="cgroup"),
    _row("cgroup/bind6", "cgroup_sock_addr", "cgroup_inet6_bind", _E, attach="cgroup"),
    _row("cgroup/connect4", "cgroup_sock_addr", "cgroup_inet4_connect", _E, attach="cgroup"),
    _row("cgroup/connect6", "cgroup_sock_addr", "cgroup_inet6_connect", _E, attach="cgroup"),
    _row("cgroup/connect_unix", "cgroup_sock_addr", "cgroup_unix_connect", _E,
               attach="cgroup"),
    _row("cgroup/sendmsg4", "cgroup_sock_addr", "cgroup_udp4_sendmsg", _E, attach="cgroup"),
    _row("cgroup/sendmsg6", "cgroup_sock_addr", "cgroup_udp6_sendmsg", _E, attach="cgroup"),
    _row("cgroup/sendmsg_unix", "cgroup_sock_addr", "cgroup_unix_sendmsg", _E,
               attach="cgroup"),
    _row("cgroup/recvmsg4", "cgroup_sock_addr", "cgroup_udp4_recvmsg", _E, attach="cgroup"),
    _row("cgroup/recvmsg6", "cgroup_sock_addr", "cgroup_udp6_recvmsg", _E, attach="cgroup"),
    _row("cgroup/recvmsg_unix", "cgroup_sock_addr", "cgroup_unix_recvmsg", _E,
               attach="cgroup"),
    _row("cgroup/getpeername4", "cgroup_sock_addr", "cgroup_inet4_getpeername", _E,
               attach="cgroup"),
    _row("cgroup/getpeername6", "cgroup_sock_addr", "cgroup_inet6_getpeername", _E,
               attach="cgroup"),
    _row("cgroup/getpeername_unix", "cgroup_sock_addr", "cgroup_unix_getpeername", _E,
               attach="cgroup"),
    _row("cgroup/getsockname4", "cgroup_sock_addr", "cgroup_inet4_getsockname", _E,
               attach="cgroup"),
    _row("cgroup/getsockname6", "cgroup_sock_addr", "cgroup_inet6_getsockname", _E,
               attach="cgroup"),
    _row("cgroup/getsockname_unix", "cgroup_sock_addr", "cgroup_unix_getsockname", _E,
               attach="cgroup"),
    _row("cgroup/sysctl", "cgroup_sysctl", "cgroup_sysctl", _E, attach="cgroup"),
    _row("cgroup/getsockopt", "cgroup_sockopt", "cgroup_getsockopt", _E, attach="cgroup"),
    _row("cgroup/setsockopt", "cgroup_sockopt", "cgroup_setsockopt", _E, attach="cgroup"),
    _row("cgroup/dev", "cgroup_device", "cgroup_device", _E, attach="cgroup"),
    _row("struct_ops.s", "struct_ops", match=_P, sleepable=True),
    _row("struct_ops", "struct_ops", match=_P),
    _row("sk_lookup", "sk_lookup", "sk_lookup", _E, attach="sk_lookup"),
    _row("netfilter", "netfilter", "netfilter", _E),
)


_SECTION_DEFS: tuple[SectionDef, ...] | None = None


def __getattr__(name: str) -> Any:
    """``SECTION_DEFS``: the table as `SectionDef` records (made on first use), and the
    classes `SectionDef` and `Match` (pybpf.elf.section_defs)."""
    global _SECTION_DEFS
    if name == "SECTION_DEFS":
        if _SECTION_DEFS is None:
            from .section_defs import Match, SectionDef

            _SECTION_DEFS = tuple(SectionDef(name, prog_type, expected, Match(match), *rest)
                                  for name, prog_type, expected, match, *rest in _ROWS)
        return _SECTION_DEFS
    if name in ("Match", "SectionDef"):
        from . import section_defs

        return getattr(section_defs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _matches(row: tuple[Any, ...], section: str) -> str | None:
    """The extras (possibly "") if ``section`` matches the table row ``row``, else None."""
    name, match = row[0], row[3]
    if match == _E:
        return "" if section == name else None
    if match == _X:
        return section[len(name):] if section.startswith(name) else None
    if section == name:
        return ""
    if section.startswith(name + "/"):
        return section[len(name) + 1:]
    return None


def find_section_def(section: str) -> SectionDef | None:
    """The first table row matching ``section``, or None."""
    for i, row in enumerate(_ROWS):
        if _matches(row, section) is not None:
            return __getattr__("SECTION_DEFS")[i]
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
    for row in _ROWS:
        extras = _matches(row, name)
        if extras is None:
            continue
        _name, prog_type, expected, _match, attach, sleepable, attach_btf, xdp_frags = row
        return SectionSpec(section, prog_type, expected, attach, extras or None, sleepable,
                           attach_btf, autoload, xdp_frags)
    raise ElfError("unknown program section name (libbpf's SEC() conventions: e.g. 'xdp', "
                   "'tp/<category>/<name>', 'raw_tp/<name>', 'uprobe/<path>:<symbol>', "
                   "'cgroup/connect4', 'socket')", path=path, section=section)
