"""Context access rules per program type, read from the generated `ctx_table`.

`ctx_access(prog_type, off, size, write)` answers what the kernel's
``is_valid_access`` callback would: ``None`` when the access is refused, else
the register type a read produces (``"scalar"``, ``"pkt"``, ``"pkt_end"``,
``"pkt_meta"``, ``"sock_common_or_null"``...; ``"w"`` for an allowed write).

>>> ctx_access("xdp", 0, 4, False)
'pkt'
>>> ctx_access("socket_filter", 76, 4, False) is None   # skb->data: not for socket filters
True
"""

from __future__ import annotations

from functools import cache

from .generated.ctx_table import CTX

#: Program types whose context rules pybpf knows (others: any aligned read is a scalar).
KNOWN_TYPES = frozenset(CTX)
#: the expected attach type the kernel assumes when a program gives none
DEFAULT_ATTACH = {"cgroup_sock": "cgroup_inet_sock_create", "cgroup_sock_addr": "cgroup_inet4_bind"}


@cache
def _index(prog_type: str, kind: str) -> dict[tuple[int, int], str]:
    out: dict[tuple[int, int], str] = {}
    for run in CTX[prog_type][kind]:
        size, first, last, step = run[:4]
        label = run[4] if len(run) > 4 else "w"
        for off in range(first, last + 1, step or size):
            out[(off, size)] = label
    return out


def ctx_access(prog_type: str | None, off: int, size: int, write: bool,
               attach: str | None = None) -> str | None:
    """The result of a context access, or None when the kernel refuses it.

    The rules of some types depend on the expected attach type (the table keys
    those ``"cgroup_sock_addr/cgroup_udp4_sendmsg"``); without one, the type's
    default hook is used.
    """
    if attach and f"{prog_type}/{attach}" in KNOWN_TYPES:
        prog_type = f"{prog_type}/{attach}"
    elif prog_type not in KNOWN_TYPES:
        default = DEFAULT_ATTACH.get(prog_type or "")
        if default and f"{prog_type}/{default}" in KNOWN_TYPES:
            prog_type = f"{prog_type}/{default}"
    if prog_type not in KNOWN_TYPES:  # a type pybpf has no facts for: any aligned read
        return None if write else ("scalar" if off >= 0 and off % size == 0 else None)
    return _index(prog_type, "write" if write else "read").get((off, size))


_SOCK_STRUCTS = {"PTR_TO_SOCKET": "bpf_sock", "PTR_TO_SOCK_COMMON": "bpf_sock",
                 "PTR_TO_TCP_SOCK": "bpf_tcp_sock", "PTR_TO_XDP_SOCK": "bpf_xdp_sock"}


@cache
def _sock_fields(struct: str) -> tuple[tuple[int, int], ...]:
    from ..btf import types as T
    from ..btf import vmlinux

    b = vmlinux()
    rec = b[b.find(struct, "struct")]
    assert isinstance(rec, T.Composite)
    return tuple((m.bit_offset // 8, b.size_of(m.type)) for m in rec.members)


def sock_access_ok(reg_type: object, off: int, size: int) -> bool:
    """Whether a load of ``size`` bytes at ``off`` of a socket pointer falls in one field of
    its ``struct bpf_sock`` / ``bpf_tcp_sock`` / ``bpf_xdp_sock`` (read from the kernel's BTF)."""
    struct = _SOCK_STRUCTS.get(getattr(reg_type, "name", ""), "bpf_sock")
    try:
        fields = _sock_fields(struct)
    except Exception:  # noqa: BLE001 - no BTF: the aligned loads of the struct's words
        return off >= 0 and off % size == 0 and off + size <= 80
    for start, fsize in fields:
        if start <= off and off + size <= start + fsize:
            return off % size == 0
    return False
