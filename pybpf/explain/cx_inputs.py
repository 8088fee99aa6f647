"""The inputs a counterexample may choose, read from the verifier's failing path.

Walking the path the verifier rejected (`pybpf.explain.trace.TraceObserver`), every
place where the program takes a value from outside is a `Choice`:

- ``map``: whether a hash map holds an entry for the key looked up (the lookup may
  return NULL);
- ``load``: the bytes a load reads from a map value, the context or the packet, at a
  constant offset;
- ``packet``: the length of the packet (``skb->len`` is the same choice).

Each choice has a short list of candidate values, most telling first: the extremes of
the abstract value the verifier had for the loaded register (at the load, and as refined
by the branches after it), members of the failing register's abstract value, then the
usual edges (0, 1, powers of two and their neighbours, the sign bit). `concretize` turns
an abstract `Scalar` into concrete members of it.

>>> from pybpf.verifier.scalar import Scalar
>>> concretize(Scalar.from_range(3, 17))[:2]
[17, 3]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..isa import CallSrc, Class, JmpOp, helper_name
from ..verifier.state import RT
from .provenance import written

if TYPE_CHECKING:
    from ..verifier.scalar import Scalar
    from ..verifier.state import Reg
    from .trace import Node, TraceObserver

U64 = (1 << 64) - 1
U32 = (1 << 32) - 1
#: the largest packet a counterexample uses (an IPv4 datagram's limit)
MAX_PACKET = 65535
#: program types whose context is a ``struct __sk_buff`` over a packet
SKB_TYPES = frozenset({"socket_filter", "sched_cls", "sched_act", "cgroup_skb", "sk_skb",
                       "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local", "sk_reuseport"})
#: hash-like maps: a lookup finds an entry only if one was inserted
HASH_KINDS = frozenset({"hash", "lru_hash", "percpu_hash", "lru_percpu_hash"})
ARRAY_KINDS = frozenset({"array", "percpu_array"})


@dataclass
class Choice:
    """One input of a counterexample and the values to try for it."""

    kind: str  # "map", "load", "packet"
    name: str  # the map's name; for loads, where: "map NAME", "context", "packet"
    off: int = 0
    size: int = 0
    cands: list[Any] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.kind, self.name, self.off, self.size)

    def label(self) -> str:
        if self.kind == "map":
            return f"map {self.name}"
        if self.kind == "packet":
            return "packet length"
        return f"{self.name} at offset {self.off} ({self.size} bytes)"


def concretize(s: Scalar, *, negative: bool = False) -> list[int]:
    """Concrete members of the abstract value ``s``, largest first (most negative first
    when ``negative``), as unsigned 64-bit numbers."""
    tn = s.var_off
    hi_bits = (s.umax & ~U32, s.smin & U64 & ~U32, s.smax & ~U32 if s.smax >= 0 else 0)
    seeds = [s.umax, s.smax & U64, s.smin & U64, s.umin, tn.value | tn.mask, tn.value]
    seeds += [h | lo for h in hi_bits for lo in (s.u32_max, s.u32_min, s.s32_min & U32,
                                                   s.s32_max & U32)]
    if negative:
        seeds = [s.smin & U64, s.s32_min & U32 | (s.smin & U64 & ~U32)] + seeds
    out: list[int] = []
    for x in seeds:
        x = (x & tn.mask) | tn.value
        if s.contains(x) and x not in out:
            out.append(x)
    return out


def edges(width: int) -> list[int]:
    """The usual edge values of a ``width``-bit input."""
    mask = (1 << width) - 1
    out = [0, 1, mask, 1 << (width - 1), (1 << (width - 1)) - 1]
    for k in [*range(1, 17), 24, 31, 32, 48, 63]:
        if k < width:
            out += [1 << k, (1 << k) - 1, (1 << k) + 1]
    seen: list[int] = []
    for x in out:
        if x & mask not in seen:
            seen.append(x & mask)
    return seen


def _regs_after(path: list[Node], k: int, trace: TraceObserver) -> tuple[Reg, ...] | None:
    depth = path[k].depth
    for j in range(k + 1, len(path)):
        if path[j].depth == depth:
            return path[j].regs
        if path[j].depth < depth:
            return None
    return trace.before if trace.failing_depth == depth else None


def _refined(path: list[Node], k: int, reg: int, insns: list[Any],
             trace: TraceObserver) -> Reg | None:
    """Register ``reg`` as the branches after node ``k`` left it, before anything
    rewrites it (on the same frame)."""
    depth = path[k].depth
    last = None
    for j in range(k + 1, len(path)):
        node = path[j]
        if node.depth != depth:
            continue
        last = node.regs[reg]
        if reg in written(insns[node.insn]):
            return last
    if trace.failing_depth == depth and trace.before is not None:
        return trace.before[reg]
    return last


def ctx_size(prog_type: str | None) -> int:
    """The size of the program type's context structure, as the program sees it."""
    from ..verifier.generated.ctx_table import CTX
    from ..vm.contexts import SKB_SIZE, XDP_MD

    if prog_type in SKB_TYPES:
        return SKB_SIZE
    if prog_type == "xdp":
        return XDP_MD.size
    runs = CTX.get(prog_type or "", {})
    end = max((r[2] + r[0] for kind in ("read", "write") for r in runs.get(kind, ())),
              default=512)
    return (end + 7) // 8 * 8


def collect(v: Any, trace: TraceObserver, e: Any, prog_type: str | None) -> list[Choice]:
    """The choices of the failing path of verifier run ``v`` (see the module)."""
    path = trace.failing_path()
    insns = v.insns
    negative = e.error_class == "negative_index" or e.message_key == "size_negative" or \
        e.error_class == "unbounded_pointer_math"
    null_first = e.error_class in ("null_deref", "pointer_arith_prohibited")
    failing = _failing_values(e, trace, insns[v.index[e.insn]] if e.insn in v.index else None)
    choices: dict[tuple[str, str, int, int], Choice] = {}
    packet = prog_type in SKB_TYPES or prog_type == "xdp"
    for k, node in enumerate(path):
        insn = insns[node.insn]
        if insn.cls in (Class.JMP, Class.JMP32) and insn.op == JmpOp.CALL and \
                insn.src == CallSrc.HELPER and helper_name(insn.imm) == "bpf_map_lookup_elem":
            m = node.regs[1].map
            if m is not None and m.type in HASH_KINDS:
                c = Choice("map", m.name, cands=[False, True] if null_first else [True, False])
                choices.setdefault(c.key, c)
            continue
        if insn.cls != Class.LDX:
            continue
        base = node.regs[insn.src]
        if not base.var.is_const:
            continue
        off = base.off + base.var.value + insn.off
        if base.type is RT.PTR_TO_MAP_VALUE and base.map is not None:
            where = f"map {base.map.name}"
        elif base.type is RT.PTR_TO_CTX:
            if prog_type in SKB_TYPES and (off, insn.size) == (0, 4):  # skb->len
                where = "packet"
            elif prog_type in SKB_TYPES and off in (76, 80, 140) or \
                    prog_type == "xdp" and off in (0, 4, 8):
                continue  # data, data_end, data_meta: pointers the VM sets
            else:
                where = "context"
        elif base.type is RT.PTR_TO_PACKET:
            where = "packet data"
        else:
            continue
        after = _regs_after(path, k, trace)
        loaded = after[insn.dst] if after is not None else None
        width = insn.size * 8
        mask = (1 << width) - 1
        cands: list[int] = []
        refined = _refined(path, k, insn.dst, insns, trace)
        for r in (refined, loaded):
            if r is not None and r.is_scalar:
                cands += [x & mask for x in concretize(r.var, negative=negative)]
        cands += [x & mask for x in failing] + edges(width)
        if loaded is not None and loaded.is_scalar:
            cands = [x for x in cands if loaded.var.contains(x)] or cands
        if where == "packet":
            cands = [x for x in cands if x <= MAX_PACKET] + _packet_lengths(e, trace)
            c = Choice("packet", "packet", cands=_unique(cands))
        else:
            c = Choice("load", where, off, insn.size, _unique(cands))
        old = choices.get(c.key)
        if old is None:
            choices[c.key] = c
        else:
            old.cands = _unique(old.cands + c.cands)
    if packet and ("packet", "packet", 0, 0) not in choices:
        lens = _packet_lengths(e, trace)
        choices[("packet", "packet", 0, 0)] = Choice("packet", "packet", cands=lens)
    return list(choices.values())


def _failing_values(e: Any, trace: TraceObserver, insn: Any) -> list[int]:
    """Members of the abstract values of the registers the failing instruction uses."""
    out: list[int] = []
    if trace.before is None:
        return out
    regs = {int(r[1:]) for r in e.registers or ()}
    if insn is not None:
        if insn.cls in (Class.JMP, Class.JMP32) and insn.op == JmpOp.CALL:
            regs |= {1, 2, 3, 4, 5}
        else:
            regs |= {insn.dst, insn.src}
    for n in sorted(regs):
        if n > 10:
            continue
        r = trace.before[n]
        if r.is_scalar or (r.is_pointer and not r.var.is_const):
            out += concretize(r.var, negative=e.error_class == "negative_index")
    return out


def _packet_lengths(e: Any, trace: TraceObserver) -> list[int]:
    out: list[int] = []
    for r in trace.before or ():
        if r.type.is_packet:
            out.append(r.range)
    out += [0, 14, 20, 34, 42, 54, 64, 128, 256, 1500]
    return _unique(out)


def _unique(xs: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for x in xs:
        if x not in seen:
            seen.append(x)
    return seen


__all__ = ["Choice", "collect", "concretize", "ctx_size", "edges"]
