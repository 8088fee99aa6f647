"""The BTF wire format as data: header, kinds, and the layout of each kind's record.

Every BTF type is a 12-byte common record ``struct btf_type {name_off, info, size_or_type}``
followed by kind-specific data: a fixed part and ``vlen`` repeated items::

    info bits  0-15  vlen      (members, params, enumerators, section vars)
    info bits 24-28  kind      (`Kind`)
    info bit  31     kind_flag (struct/union: member offsets carry bitfield sizes;
                                fwd: union; enum/enum64: signed; decl_tag: attribute;
                                type_tag: attribute)

The header's own ``hdr_len`` says where the sections start; later kernels may grow the
header, so it is never assumed to be 24 bytes.

>>> Kind.STRUCT, LAYOUT_BY_NUMBER[Kind.STRUCT]
(<Kind.STRUCT: 4>, (0, 12))
>>> kind_of((Kind.PTR << 24) | 0)
<Kind.PTR: 2>
"""
from __future__ import annotations

import struct

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from enum import IntEnum

    from .fields import LAYOUT, IntEncoding, Layout, Linkage
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import IntEnum


def __getattr__(name: str) -> object:
    # IntEncoding, Linkage and LAYOUT live in .fields, imported when a record is decoded or
    # written (three classes: an object loader, which reads raw words, makes none of them)
    if name in ("IntEncoding", "Linkage", "Layout", "LAYOUT"):
        from . import fields

        value = getattr(fields, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


MAGIC = 0xEB9F
VERSION = 1
#: The smallest header this reader accepts (magic, version, flags, hdr_len + 4 u32 offsets).
MIN_HDR_LEN = 24
#: ``magic:u16 version:u8 flags:u8 hdr_len:u32``
PREAMBLE = struct.Struct("<HBBI")
#: ``type_off type_len str_off str_len`` (offsets relative to the end of the header)
SECTIONS = struct.Struct("<IIII")
#: The 12-byte common record of every type.
COMMON = struct.Struct("<III")
U32 = struct.Struct("<I")
I32 = struct.Struct("<i")

#: Highest type id and name offset representable (BTF_MAX_TYPE, BTF_MAX_NAME_OFFSET).
MAX_TYPE = 0x000FFFFF
MAX_NAME_OFFSET = 0x00FFFFFF
MAX_VLEN = 0xFFFF


class Kind(IntEnum):
    """``BTF_KIND_*``: the kind of a type record."""

    UNKN = 0
    INT = 1
    PTR = 2
    ARRAY = 3
    STRUCT = 4
    UNION = 5
    ENUM = 6
    FWD = 7
    TYPEDEF = 8
    VOLATILE = 9
    CONST = 10
    RESTRICT = 11
    FUNC = 12
    FUNC_PROTO = 13
    VAR = 14
    DATASEC = 15
    FLOAT = 16
    DECL_TAG = 17
    TYPE_TAG = 18
    ENUM64 = 19

    @property
    def label(self) -> str:
        """The name bpftool prints (``STRUCT``, ``FUNC_PROTO``...)."""
        return self.name


NR_KINDS = 20


#: Bytes after the 12-byte common record of each kind, by kind number: ``(fixed, item)``,
#: a record being ``fixed + item * vlen`` bytes more (`LAYOUT` spells them out as `Layout`
#: records, with each kind's fields).
LAYOUT_BY_NUMBER: tuple[tuple[int, int], ...] = (
    (0, 0), (4, 0), (0, 0), (12, 0), (0, 12), (0, 12), (0, 8), (0, 0), (0, 0), (0, 0),
    (0, 0), (0, 0), (0, 0), (0, 8), (4, 0), (0, 12), (0, 0), (4, 0), (0, 0), (0, 12))

#: Kinds whose third common word is a size (the others carry a type id there).
SIZED_KINDS = frozenset({Kind.INT, Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.DATASEC,
                         Kind.FLOAT, Kind.ENUM64})
#: Kinds whose third word is a type id.
REF_KINDS = frozenset({Kind.PTR, Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT,
                       Kind.FUNC, Kind.FUNC_PROTO, Kind.VAR, Kind.DECL_TAG, Kind.TYPE_TAG})
#: Modifiers a type is resolved through (besides typedef).
MODIFIER_KINDS = frozenset({Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG})


def kind_of(info: int) -> Kind:
    """The `Kind` of an ``info`` word (raises ValueError for an unknown kind)."""
    return Kind((info >> 24) & 0x1F)


def make_info(kind: Kind | int, vlen: int = 0, kflag: bool = False) -> int:
    """Compose an ``info`` word.

    >>> hex(make_info(Kind.STRUCT, 2, True))
    '0x84000002'
    """
    return (int(kflag) << 31) | ((int(kind) & 0x1F) << 24) | (vlen & 0xFFFF)


def record_size(kind: int, vlen: int) -> int:
    """Bytes of a whole type record (common part included) of this kind and vlen."""
    fixed, item = LAYOUT_BY_NUMBER[kind]
    return 12 + fixed + item * vlen
