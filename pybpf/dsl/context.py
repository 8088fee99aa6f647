"""The probe's context argument, by name: tracepoint fields, probe arguments, packets.

A `ContextSpec` says, for one attach point, what ``ctx.NAME`` means: a field at an offset
with a DSL type, read straight from the context (tracepoint records, ``struct pt_regs`` of
uprobes and perf events, ``struct xdp_md``, ``struct __sk_buff``), an ``args[i]`` slot (raw
tracepoints), or a USDT argument (a register, a constant or memory, as the binary's note
says).

- tracepoints: the fields of the ``format`` file (``ctx.filename``, ``ctx.ret``);
- raw tracepoints: ``ctx.args[i]`` and ``ctx.arg0``..``ctx.arg11``;
- uprobes, uretprobes, kprobes: ``ctx.arg0``..``ctx.arg5`` (x86-64 calling convention),
  ``ctx.retval``, ``ctx.ip``, ``ctx.sp`` and every ``pt_regs`` register by name;
- USDT: ``ctx.arg0``.. as the probe's note describes them;
- perf events (``profile``, ``interval``): the ``pt_regs`` of the sampled task;
- XDP: ``data``, ``data_end``, ``ingress_ifindex``, ``rx_queue_index``;
- tc (``sched_cls``): the readable ``__sk_buff`` fields (``len``, ``protocol``, ``ifindex``...).

>>> spec = ContextSpec.for_section("raw_tracepoint/sys_enter")
>>> spec.prog_type, spec.field("args").offset, spec.field("arg1").offset
('raw_tracepoint', 0, 8)
>>> ContextSpec.for_section("uretprobe//bin/true:main").field("retval").offset
80
"""

from __future__ import annotations

from .._record import record
from ..errors import PybpfError
from .types import ArrayType, IntType, char, s8, s16, s32, s64, u8, u16, u32, u64

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

_INTS = {(1, False): u8, (2, False): u16, (4, False): u32, (8, False): u64,
         (1, True): s8, (2, True): s16, (4, True): s32, (8, True): s64}

PROG_TYPES = {"tracepoint": "tracepoint", "tp": "tracepoint", "raw_tracepoint": "raw_tracepoint",
              "raw_tp": "raw_tracepoint", "xdp": "xdp", "perf_event": "perf_event",
              "uprobe": "kprobe", "uretprobe": "kprobe", "usdt": "kprobe", "kprobe": "kprobe",
              "kretprobe": "kprobe", "tc": "sched_cls"}

#: x86-64 ``struct pt_regs``: register -> offset
PT_REGS = {"r15": 0, "r14": 8, "r13": 16, "r12": 24, "bp": 32, "bx": 40, "r11": 48, "r10": 56,
           "r9": 64, "r8": 72, "ax": 80, "cx": 88, "dx": 96, "si": 104, "di": 112,
           "orig_ax": 120, "ip": 128, "cs": 136, "flags": 144, "sp": 152, "ss": 160}
#: the System V calling convention: argument registers, then the return register
ARG_REGS = ("di", "si", "dx", "cx", "r8", "r9")

#: ``struct __sk_buff`` fields a tc program reads (offset, type)
SKB_FIELDS = {"len": (0, u32), "pkt_type": (4, u32), "mark": (8, u32), "queue_mapping": (12, u32),
              "protocol": (16, u32), "vlan_present": (20, u32), "vlan_tci": (24, u32),
              "vlan_proto": (28, u32), "priority": (32, u32), "ingress_ifindex": (36, u32),
              "ifindex": (40, u32), "tc_index": (44, u32), "hash": (68, u32),
              "tc_classid": (72, u32), "data": (76, u32), "data_end": (80, u32),
              "napi_id": (84, u32), "family": (88, u32), "remote_ip4": (92, u32),
              "local_ip4": (96, u32), "remote_port": (132, u32), "local_port": (136, u32),
              "data_meta": (140, u32)}


@record(frozen=True)
class UsdtArg:
    """One USDT argument as its note spells it (``-4@%edi``, ``8@-8(%rbp)``, ``4@$5``):
    ``size`` bytes (signed when the note says ``-``), from a register, memory at
    ``register + offset``, or a constant."""

    size: int
    signed: bool
    reg: str | None = None
    offset: int = 0
    memory: bool = False
    const: int = 0


@record(frozen=True)
class CtxField:
    """``ctx.name``: ``typ`` at ``offset``; ``pointer`` for C pointers (read with a helper);
    ``data_loc`` for ``__data_loc`` strings (the value is the string's kernel address);
    ``user`` when a pointer points into user memory (syscall arguments, uprobe arguments);
    ``usdt`` for a USDT argument (read as the note says)."""

    name: str
    offset: int
    typ: IntType | ArrayType
    pointer: bool = False
    data_loc: bool = False
    user: bool = False
    usdt: UsdtArg | None = None
    ctype: str = ""


class ContextSpec:
    """What the context of one attach point holds (a record, written out: a compile makes the
    class)."""

    __match_args__ = ("section", "prog_type", "target", "fields", "kind")
    __hash__ = None  # type: ignore[assignment]  # (mutable, compared by value)

    def __init__(self, section: str, prog_type: str,
                 target: str = "",  # "cat:name" for tracepoints, the raw tracepoint name, ...
                 fields: dict[str, CtxField] | None = None, kind: str = "") -> None:
        self.section = section
        self.prog_type = prog_type
        self.target = target
        self.fields: dict[str, CtxField] = {} if fields is None else fields
        self.kind = kind

    def _values(self) -> tuple[Any, ...]:
        return self.section, self.prog_type, self.target, self.fields, self.kind

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # (same class)

    def __repr__(self) -> str:
        return "ContextSpec(" + ", ".join(f"{n}={v!r}" for n, v in
                                          zip(self.__match_args__, self._values(), strict=True)) + ")"

    def field(self, name: str) -> CtxField | None:
        return self.all_fields().get(name)

    def all_fields(self) -> dict[str, CtxField]:
        """The fields; a tracepoint's are read from its format file at the first use (a probe
        that never reads its context parses none: start-up)."""
        if self.kind == "tracepoint" and not self.fields:
            cat, _, name = self.target.partition(":")
            self.fields = _tracepoint_fields(cat, name)
        return self.fields

    @classmethod
    def for_section(cls, section: str) -> ContextSpec:
        """The spec of ``"tracepoint/CAT/NAME"``, ``"raw_tracepoint/NAME"``, ``"xdp"``, ``"tc"``,
        ``"perf_event"``, ``"uprobe/PATH:FUNC"``, ``"uretprobe/..."``, ``"kprobe/FUNC"``,
        ``"usdt/PATH:PROVIDER:NAME"``; ValueError for anything else."""
        kind, _, rest = section.partition("/")
        ptype = PROG_TYPES.get(kind)
        if ptype is None:
            raise ValueError(f"unknown probe kind {kind!r} in {section!r} (use tracepoint/CAT/NAME, "
                             "raw_tracepoint/NAME, uprobe/PATH:FUNC, xdp, tc or perf_event)")
        kind = {"tp": "tracepoint", "raw_tp": "raw_tracepoint"}.get(kind, kind)
        spec = cls(section, ptype, rest, kind=kind)
        if kind == "tracepoint":
            cat, _, name = rest.partition("/")
            if not cat or not name:
                raise ValueError(f"{section!r}: a tracepoint is tracepoint/CATEGORY/NAME")
            spec.target = f"{cat}:{name}"
            _check_tracepoint(cat, name)  # its fields: at the first use (all_fields)
        elif kind == "raw_tracepoint":
            if not rest:
                raise ValueError(f"{section!r}: a raw tracepoint is raw_tracepoint/NAME")
            spec.fields = {"args": CtxField("args", 0, u64[12])}
            spec.fields.update({f"arg{i}": CtxField(f"arg{i}", 8 * i, u64) for i in range(12)})
        elif ptype in ("kprobe", "perf_event"):
            user = kind in ("uprobe", "uretprobe", "usdt")
            spec.fields = {r: CtxField(r, off, u64) for r, off in PT_REGS.items()}
            spec.fields.update({f"arg{i}": CtxField(f"arg{i}", PT_REGS[r], u64, user=user)
                                for i, r in enumerate(ARG_REGS)})
            spec.fields["retval"] = CtxField("retval", PT_REGS["ax"], u64, user=user)
            if kind == "usdt":
                spec.fields.update(_usdt_fields(rest))
        elif ptype == "xdp":
            spec.fields = {"data": CtxField("data", 0, u32), "data_end": CtxField("data_end", 4, u32),
                           "ingress_ifindex": CtxField("ingress_ifindex", 12, u32),
                           "rx_queue_index": CtxField("rx_queue_index", 16, u32)}
        elif ptype == "sched_cls":
            spec.fields = {n: CtxField(n, off, t) for n, (off, t) in SKB_FIELDS.items()}
        return spec


_FORMAT_CACHE: dict[tuple[str, str], dict[str, CtxField]] = {}


def _check_tracepoint(cat: str, name: str) -> None:
    """ValueError naming the tracepoint when the kernel has none of that name."""
    if (cat, name) in _FORMAT_CACHE:
        return
    from ..kernel.tracefs import event_dir

    try:
        event_dir(cat, name)
    except PybpfError as e:
        raise ValueError(f"tracepoint {cat}:{name}: {e}") from None


def _tracepoint_fields(cat: str, name: str) -> dict[str, CtxField]:
    key = (cat, name)
    if key in _FORMAT_CACHE:
        return _FORMAT_CACHE[key]
    from ..kernel.tracefs import tracepoint_format

    try:
        fmt = tracepoint_format(cat, name)
    except PybpfError as e:
        raise ValueError(f"tracepoint {cat}:{name}: {e}") from None
    user = cat == "syscalls"  # syscall arguments that are pointers point into user memory
    out: dict[str, CtxField] = {}
    for f in fmt.fields.values():
        name_ = f.name
        if f.data_loc:
            out[name_] = CtxField(name_, f.offset, u32, data_loc=True)
        elif f.array_len:
            esize = f.size // f.array_len
            elem = char if "char" in f.ctype and esize == 1 else _INTS[(esize, False)]
            out[name_] = CtxField(name_, f.offset, ArrayType(elem, f.array_len))
        elif f.size in (1, 2, 4, 8):
            pointer = "*" in f.ctype
            out[name_] = CtxField(name_, f.offset, _INTS[(f.size, f.signed and not pointer)],
                                  pointer=pointer, user=user and pointer, ctype=f.ctype)
    _FORMAT_CACHE[key] = out
    return out


def _usdt_fields(rest: str) -> dict[str, CtxField]:
    from .usdt import find_probe

    path, _, probe_name = rest.partition(":")
    note = find_probe(path, probe_name)
    return {f"arg{i}": CtxField(f"arg{i}", 0, _INTS[(a.size, a.signed)], user=True, usdt=a)
            for i, a in enumerate(note.args)}
