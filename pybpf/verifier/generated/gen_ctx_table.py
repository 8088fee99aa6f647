#!/usr/bin/env python3
"""Generate ctx_table.py (beside this file): which context accesses each program type allows.

Facts come from the running kernel, by trying: for every program type pybpf's
verifier models, every offset and access size, a read (``r2 = *(uN *)(r1 + off)``)
and a write (``*(uN *)(r1 + off) = r2``) are loaded as privileged programs. For an
accepted read, a second program dereferences the loaded value to learn what the
verifier made of it (scalar, packet pointer, packet end, ...).

Output: per program type (and per expected attach type where the kernel's answer
depends on it: "cgroup_sock_addr/cgroup_udp4_sendmsg"), runs of (size, first offset,
last offset, step, result).
Run as root: ``python -m pybpf.verifier.generated.gen_ctx_table > pybpf/verifier/generated/ctx_table.py``
"""
from __future__ import annotations

import re
import sys

from pybpf.errors import KernelError
from pybpf.isa import Insn, ProgramSpec
from pybpf.kernel.prog import LoadOptions, load

# key ("type" or "type/expected attach type") -> (program type, attach type, bytes to probe)
TYPES = {
    "socket_filter": ("socket_filter", None, 200), "sched_cls": ("sched_cls", None, 200),
    "sched_act": ("sched_act", None, 200), "cgroup_skb": ("cgroup_skb", None, 200),
    "cgroup_skb/cgroup_inet_egress": ("cgroup_skb", "cgroup_inet_egress", 200),
    "xdp": ("xdp", None, 40), "xdp/xdp_devmap": ("xdp", "xdp_devmap", 40),
    "xdp/xdp_cpumap": ("xdp", "xdp_cpumap", 40),
    "tracepoint": ("tracepoint", None, 8200), "raw_tracepoint": ("raw_tracepoint", None, 112),
    "perf_event": ("perf_event", None, 200), "kprobe": ("kprobe", None, 200),
    "lwt_in": ("lwt_in", None, 200), "lwt_out": ("lwt_out", None, 200),
    "lwt_xmit": ("lwt_xmit", None, 200), "sk_skb": ("sk_skb", None, 200),
    "flow_dissector": ("flow_dissector", None, 200),
    "sk_lookup": ("sk_lookup", "sk_lookup", 96), "cgroup_sysctl": ("cgroup_sysctl", "cgroup_sysctl", 32),
    "cgroup_device": ("cgroup_device", "cgroup_device", 32),
    "sock_ops": ("sock_ops", "cgroup_sock_ops", 224),
    "cgroup_sockopt/cgroup_getsockopt": ("cgroup_sockopt", "cgroup_getsockopt", 48),
    "cgroup_sockopt/cgroup_setsockopt": ("cgroup_sockopt", "cgroup_setsockopt", 48),
    "sk_msg": ("sk_msg", None, 96), "sk_reuseport": ("sk_reuseport", None, 80),
    "netfilter": ("netfilter", "netfilter", 24), "lwt_seg6local": ("lwt_seg6local", None, 200),
}
for _hook in ("cgroup_inet_sock_create", "cgroup_inet_sock_release", "cgroup_inet4_post_bind",
              "cgroup_inet6_post_bind"):
    TYPES[f"cgroup_sock/{_hook}"] = ("cgroup_sock", _hook, 96)
for _hook in ("cgroup_inet4_bind", "cgroup_inet6_bind", "cgroup_inet4_connect",
              "cgroup_inet6_connect", "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg",
              "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_inet4_getpeername",
              "cgroup_inet6_getpeername", "cgroup_inet4_getsockname", "cgroup_inet6_getsockname",
              "cgroup_unix_connect", "cgroup_unix_sendmsg"):
    TYPES[f"cgroup_sock_addr/{_hook}"] = ("cgroup_sock_addr", _hook, 96)
#: the return value of probe programs (some hooks only accept 1)
RET = [0]
#: negative offsets probed for every type (some kernels accept them for tracepoints)
NEGATIVE = 64
SIZES = {1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18}
LDX, STX, MOV_K, EXIT, JA = 0x61, 0x63, 0xB7, 0x95, 0x05


def _ok(ptype: str, attach: str | None, insns: list[Insn]) -> tuple[bool, str]:
    try:
        p = load(ProgramSpec(insns), ptype, options=LoadOptions(expected_attach_type=attach, log_level=1))
    except KernelError as e:
        return False, getattr(e, "log", "") or ""
    p.close()
    return True, ""


def classify(ptype: str, attach: str | None, off: int, size: int) -> str:
    """What the loaded value is: 'scalar', 'pkt', 'pkt_end', ... (from the deref message);
    a kernel object the program may read is ``btf:<register type>:<struct>`` (the type as the
    verifier names it when the pointer is passed where a map is expected, the struct from the
    message of a load far beyond it)."""
    ldx = Insn(LDX & ~0x18 | SIZES[size], dst=2, src=1, off=off)
    _, log = _ok(ptype, attach, [ldx, Insn(0xBF, dst=1, src=2), Insn(0x85, imm=1),
                                 Insn(MOV_K, imm=RET[0]), Insn(EXIT)])
    t = re.search(r"R1 type=(\w+) expected=", log)
    if t and t.group(1) == "flow_keys":
        return "flow_keys"
    if t and "ptr_" in t.group(1):
        _, log = _ok(ptype, attach, [ldx, Insn(0x79, dst=0, src=2, off=0x7000),
                                     Insn(MOV_K, imm=RET[0]), Insn(EXIT)])
        s = re.search(r"access beyond struct (\w+)", log)
        if s:
            return f"btf:{t.group(1)}:{s.group(1)}"
    ok, log = _ok(ptype, attach, [ldx, Insn(0x71, dst=0, src=2), Insn(MOV_K, imm=RET[0]), Insn(EXIT)])
    if ok:
        return "mem"
    m = re.search(r"R2 invalid mem access '(\w+)'", log)
    if m:
        return m.group(1)
    if "invalid access to packet" in log or "R2 offset is outside of the packet" in log:
        return "pkt"
    m = re.search(r"invalid access to (\w+)", log)
    return m.group(1) if m else "unknown"


def runs(entries: list[tuple[int, str]], size: int) -> list[tuple[int, int, int, str]]:
    out: list[list] = []
    for off, label in entries:
        if out and out[-1][3] == label and off == out[-1][1] + out[-1][2]:
            out[-1][1] = off
        elif out and out[-1][3] == label and out[-1][0] == out[-1][1] and off - out[-1][1] in (size, 1):
            out[-1][2] = off - out[-1][1]
            out[-1][1] = off
        else:
            out.append([off, off, size, label])
    return [tuple(r) for r in out]


def main() -> None:
    w = sys.stdout.write
    w('"""Context accesses per program type. GENERATED by gen_ctx_table.py: do not edit.\n\n')
    w("Facts from the running kernel, found by loading probes: CTX[prog_type] is\n")
    w('{"read": [(size, first_off, last_off, step, result)], "write": [(size, first, last, step)]}\n')
    w('where result names what a read yields (scalar, pkt, pkt_end, pkt_meta, ...).\n"""\n\n')
    w("CTX: dict[str, dict[str, list[tuple]]] = {\n")
    for key, (ptype, attach, limit) in TYPES.items():
        RET[0] = 1 if attach and any(w in attach for w in ("recvmsg", "getpeername",
                                                               "getsockname")) else 0
        reads: list[tuple] = []
        writes: list[tuple] = []
        try:
            load(ProgramSpec([Insn(MOV_K, imm=RET[0]), Insn(EXIT)]), ptype, options=LoadOptions(expected_attach_type=attach)).close()
        except KernelError:
            sys.stderr.write(f"{key}: not loadable here, skipped\n")
            continue
        for size, code in SIZES.items():
            rd, wr = [], []
            for off in range(-NEGATIVE, limit, 1):
                if off % size and off >= 0:
                    continue
                ldx = Insn(LDX & ~0x18 | code, dst=2, src=1, off=off)
                if _ok(ptype, attach, [ldx, Insn(MOV_K, imm=RET[0]), Insn(EXIT)])[0]:
                    rd.append((off, classify(ptype, attach, off, size)))
                stx = Insn(STX & ~0x18 | code, dst=1, src=2, off=off)
                if _ok(ptype, attach, [Insn(MOV_K, dst=2, imm=0), stx, Insn(MOV_K, imm=RET[0]),
                                       Insn(EXIT)])[0]:
                    wr.append((off, "w"))
            reads += [(size, a, b, st, lab) for a, b, st, lab in runs(rd, size)]
            writes += [(size, a, b, st) for a, b, st, _ in runs(wr, size)]
        w(f"    {key!r}: {{\n        \"read\": {reads!r},\n        \"write\": {writes!r},\n    }},\n")
        sys.stderr.write(f"{key}: {len(reads)} read runs, {len(writes)} write runs\n")
    w("}\n")


if __name__ == "__main__":
    main()
