"""The BTF record fields pybpf names: `IntEncoding` (an INT's encoding bits), `Linkage` (of a
FUNC or VAR), and `LAYOUT`, each kind's `Layout`. `pybpf.btf.format` re-exports them (they
load when a record is decoded or written: an object's loader reads raw words).

>>> LAYOUT[Kind.STRUCT], Linkage(2), IntEncoding.SIGNED | IntEncoding.CHAR
(Layout(fixed=0, item=12), <Linkage.EXTERN: 2>, <IntEncoding.SIGNED|CHAR: 3>)
"""
from __future__ import annotations

from .._record import Frozen
from .format import LAYOUT_BY_NUMBER, NR_KINDS, Kind

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from enum import IntEnum, IntFlag
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import IntEnum, IntFlag


class Layout(Frozen):
    """Bytes after the 12-byte common record: ``fixed + item * vlen``."""

    __slots__ = __match_args__ = ("fixed", "item")
    fixed: int
    item: int

    def __init__(self, fixed: int, item: int) -> None:
        object.__setattr__(self, "fixed", fixed)  # past the frozen __setattr__
        object.__setattr__(self, "item", item)


LAYOUT: dict[Kind, Layout] = {
    Kind.UNKN: Layout(0, 0),
    Kind.INT: Layout(4, 0),        # u32: encoding<<24 | offset<<16 | bits
    Kind.PTR: Layout(0, 0),
    Kind.ARRAY: Layout(12, 0),     # struct btf_array {type, index_type, nelems}
    Kind.STRUCT: Layout(0, 12),    # struct btf_member {name_off, type, offset}
    Kind.UNION: Layout(0, 12),
    Kind.ENUM: Layout(0, 8),       # struct btf_enum {name_off, s32 val}
    Kind.FWD: Layout(0, 0),
    Kind.TYPEDEF: Layout(0, 0),
    Kind.VOLATILE: Layout(0, 0),
    Kind.CONST: Layout(0, 0),
    Kind.RESTRICT: Layout(0, 0),
    Kind.FUNC: Layout(0, 0),       # vlen = linkage
    Kind.FUNC_PROTO: Layout(0, 8),  # struct btf_param {name_off, type}
    Kind.VAR: Layout(4, 0),        # struct btf_var {linkage}
    Kind.DATASEC: Layout(0, 12),   # struct btf_var_secinfo {type, offset, size}
    Kind.FLOAT: Layout(0, 0),
    Kind.DECL_TAG: Layout(4, 0),   # struct btf_decl_tag {s32 component_idx}
    Kind.TYPE_TAG: Layout(0, 0),
    Kind.ENUM64: Layout(0, 12),    # struct btf_enum64 {name_off, val_lo32, val_hi32}
}

assert all((LAYOUT[Kind(k)].fixed, LAYOUT[Kind(k)].item) == LAYOUT_BY_NUMBER[k]
           for k in range(NR_KINDS))


class IntEncoding(IntFlag):
    """``BTF_INT_*`` encoding bits of an INT (bits 24-27 of its extra word)."""

    NONE = 0
    SIGNED = 1 << 0
    CHAR = 1 << 1
    BOOL = 1 << 2


class Linkage(IntEnum):
    """Linkage of a FUNC (in vlen) or VAR (``btf_var.linkage``)."""

    STATIC = 0
    GLOBAL = 1
    EXTERN = 2
