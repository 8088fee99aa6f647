"""The probe's context argument, by name: tracepoint fields, raw tracepoint args, XDP.

A `ContextSpec` says, for one attach point, what ``ctx.NAME`` means: a field at an
offset with a DSL type, read straight from the context (tracepoints), an ``args[i]``
slot (raw tracepoints), or the packet pointers of XDP.

>>> spec = ContextSpec.for_section("raw_tracepoint/sys_enter")
>>> spec.prog_type, spec.field("args").offset
('raw_tracepoint', 0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import PybpfError
from .types import ArrayType, IntType, char, s8, s16, s32, s64, u8, u16, u32, u64

_INTS = {(1, False): u8, (2, False): u16, (4, False): u32, (8, False): u64,
         (1, True): s8, (2, True): s16, (4, True): s32, (8, True): s64}

PROG_TYPES = {"tracepoint": "tracepoint", "tp": "tracepoint", "raw_tracepoint": "raw_tracepoint",
              "raw_tp": "raw_tracepoint", "xdp": "xdp", "perf_event": "perf_event"}


@dataclass(frozen=True)
class CtxField:
    """``ctx.name``: ``typ`` at ``offset``; ``pointer`` for C pointers (read with a helper);
    ``data_loc`` for ``__data_loc`` strings (the value is the string's kernel address)."""

    name: str
    offset: int
    typ: IntType | ArrayType
    pointer: bool = False
    data_loc: bool = False


@dataclass
class ContextSpec:
    """What the context of one attach point holds."""

    section: str
    prog_type: str
    target: str = ""  # "cat:name" for tracepoints, the raw tracepoint name, ...
    fields: dict[str, CtxField] = field(default_factory=dict)

    def field(self, name: str) -> CtxField | None:
        return self.fields.get(name)

    @classmethod
    def for_section(cls, section: str) -> ContextSpec:
        """The spec of ``"tracepoint/CAT/NAME"``, ``"raw_tracepoint/NAME"``, ``"xdp"``,
        ``"perf_event"``; ValueError for anything else."""
        kind, _, rest = section.partition("/")
        ptype = PROG_TYPES.get(kind)
        if ptype is None:
            raise ValueError(f"unknown probe kind {kind!r} in {section!r} (use tracepoint/CAT/NAME, "
                             "raw_tracepoint/NAME, xdp or perf_event)")
        spec = cls(section, ptype, rest)
        if ptype == "tracepoint":
            cat, _, name = rest.partition("/")
            if not cat or not name:
                raise ValueError(f"{section!r}: a tracepoint is tracepoint/CATEGORY/NAME")
            spec.target = f"{cat}:{name}"
            spec.fields = _tracepoint_fields(cat, name)
        elif ptype == "raw_tracepoint":
            if not rest:
                raise ValueError(f"{section!r}: a raw tracepoint is raw_tracepoint/NAME")
            spec.fields = {"args": CtxField("args", 0, u64[12])}
        elif ptype == "xdp":
            spec.fields = {"data": CtxField("data", 0, u32), "data_end": CtxField("data_end", 4, u32),
                           "ingress_ifindex": CtxField("ingress_ifindex", 12, u32),
                           "rx_queue_index": CtxField("rx_queue_index", 16, u32)}
        return spec


_FORMAT_CACHE: dict[tuple[str, str], dict[str, CtxField]] = {}


def _tracepoint_fields(cat: str, name: str) -> dict[str, CtxField]:
    key = (cat, name)
    if key in _FORMAT_CACHE:
        return _FORMAT_CACHE[key]
    from ..kernel.tracefs import tracepoint_format

    try:
        fmt = tracepoint_format(cat, name)
    except PybpfError as e:
        raise ValueError(f"tracepoint {cat}:{name}: {e}") from None
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
                                  pointer=pointer)
    _FORMAT_CACHE[key] = out
    return out
