"""Build BTF blobs: from typed records, by copying a `Btf`, or sanitized for an older kernel.

`BtfBuilder` appends types (ids follow the order of addition, starting at 1, or after
the base's last id for split BTF) and deduplicates strings. `sanitize` rewrites kinds a
kernel lacks into kinds it knows while keeping every type id, the way libbpf does before
BPF_BTF_LOAD (VAR -> INT, DATASEC -> STRUCT, FUNC -> TYPEDEF, FUNC_PROTO -> ENUM,
FLOAT -> STRUCT, DECL_TAG -> INT, TYPE_TAG -> CONST, ENUM64 -> UNION).

>>> b = BtfBuilder()
>>> i = b.add_int("int", 4, IntEncoding.SIGNED)
>>> p = b.add_ptr(i)
>>> from pybpf.btf import Btf
>>> btf = Btf(b.encode())
>>> btf[p].type == i, btf.type_name(i)
(True, 'int')
"""
from __future__ import annotations

import struct

from .._record import record
from ..errors import BtfError
from .fields import IntEncoding, Linkage
from .format import MAGIC, MAX_TYPE, MAX_VLEN, Kind, make_info

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:  # the record classes are imported where used: line info never needs them
    from collections.abc import Iterable, Sequence
    from typing import Any

    from . import types as T
    from .parse import Btf


def _param(p: Any) -> tuple[str, int]:
    """A function prototype's parameter as ``(name, type id)``: a `Param` or a tuple."""
    from . import types as T  # lazy (see the imports)
    q = p if isinstance(p, T.Param) else T.Param(*p)
    return q.name, q.type

_HDR = struct.Struct("<HBBIIIII")


class BtfBuilder:
    """Accumulates types and strings and encodes them as one BTF blob.

    With ``base``, the result is split BTF on top of it (module style): ids continue
    after the base's and string offsets after the base's string section.
    """

    def __init__(self, base: Btf | None = None) -> None:
        self.base = base
        self._types: list[bytes] = []
        self._strs = bytearray(b"\0") if base is None else bytearray()
        self._str_base = base.str_end if base is not None else 0
        self._str_index: dict[str, int] = {"": 0}
        self.start_id = base.nr_types if base is not None else 1

    @property
    def next_id(self) -> int:
        """The id the next added type will get."""
        return self.start_id + len(self._types)

    def add_string(self, s: str) -> int:
        """The offset of ``s`` in the string section (added once)."""
        off = self._str_index.get(s)
        if off is None:
            if "\0" in s:
                raise BtfError(f"string {s!r} contains a NUL byte")
            off = self._str_base + len(self._strs)
            self._strs += s.encode("utf-8", "surrogateescape") + b"\0"
            self._str_index[s] = off
        return off

    # ------------------------------------------------------------------ raw
    def add_raw(self, name: str, kind: Kind | int, vlen: int, kflag: bool, word: int,
                extra: bytes = b"") -> int:
        """Append one record: common part plus already encoded kind-specific ``extra``."""
        if not 0 <= vlen <= MAX_VLEN:
            raise BtfError(f"vlen {vlen} of {name or '(anon)'} outside 0..{MAX_VLEN}")
        if self.next_id > MAX_TYPE:
            raise BtfError(f"more than {MAX_TYPE} types")
        rec = struct.pack("<III", self.add_string(name), make_info(kind, vlen, kflag),
                          word & 0xFFFFFFFF) + extra
        self._types.append(rec)
        return self.next_id - 1

    # ------------------------------------------------------------------ kinds
    def add_int(self, name: str, size: int, encoding: IntEncoding | int = 0, bits: int | None = None,
                bit_offset: int = 0) -> int:
        bits = size * 8 if bits is None else bits
        return self.add_raw(name, Kind.INT, 0, False, size,
                            struct.pack("<I", (int(encoding) << 24) | (bit_offset << 16) | bits))

    def add_float(self, name: str, size: int) -> int:
        return self.add_raw(name, Kind.FLOAT, 0, False, size)

    def add_ptr(self, type_id: int) -> int:
        return self.add_raw("", Kind.PTR, 0, False, type_id)

    def add_typedef(self, name: str, type_id: int) -> int:
        return self.add_raw(name, Kind.TYPEDEF, 0, False, type_id)

    def add_const(self, type_id: int) -> int:
        return self.add_raw("", Kind.CONST, 0, False, type_id)

    def add_volatile(self, type_id: int) -> int:
        return self.add_raw("", Kind.VOLATILE, 0, False, type_id)

    def add_restrict(self, type_id: int) -> int:
        return self.add_raw("", Kind.RESTRICT, 0, False, type_id)

    def add_type_tag(self, value: str, type_id: int, attribute: bool = False) -> int:
        return self.add_raw(value, Kind.TYPE_TAG, 0, attribute, type_id)

    def add_array(self, elem_type: int, index_type: int, nelems: int) -> int:
        return self.add_raw("", Kind.ARRAY, 0, False, 0, struct.pack("<III", elem_type, index_type, nelems))

    def add_struct(self, name: str, size: int, members: Sequence[T.Member | tuple], *,
                   union: bool = False) -> int:
        """``members``: `Member` records or ``(name, type, bit_offset[, bitfield_size])`` tuples.

        kind_flag is set when any member is a bitfield.
        """
        from . import types as T  # lazy (see the imports)
        ms = [m if isinstance(m, T.Member) else T.Member(*m) for m in members]
        kflag = any(m.bitfield_size for m in ms)
        extra = bytearray()
        for m in ms:
            if kflag:
                if m.bit_offset >= 1 << 24 or m.bitfield_size >= 256:
                    raise BtfError(f"member {m.name!r} of {name or '(anon)'}: bit offset/size too large")
                off = (m.bitfield_size << 24) | m.bit_offset
            else:
                off = m.bit_offset
            if not 0 <= off < 1 << 32 or not 0 <= m.type < 1 << 32:
                raise BtfError(f"member {m.name!r} of {name or '(anon)'}: bit offset {off} or type "
                               f"{m.type} does not fit in 32 bits")
            extra += struct.pack("<III", self.add_string(m.name), m.type, off)
        return self.add_raw(name, Kind.UNION if union else Kind.STRUCT, len(ms), kflag, size, bytes(extra))

    def add_union(self, name: str, size: int, members: Sequence[T.Member | tuple]) -> int:
        return self.add_struct(name, size, members, union=True)

    def add_enum(self, name: str, values: Sequence[T.Enumerator | tuple[str, int]], size: int = 4, *,
                 signed: bool | None = None) -> int:
        """ENUM (or ENUM64 when ``size`` is 8 or a value needs more than 32 bits)."""
        from . import types as T  # lazy (see the imports)
        vs = [v if isinstance(v, T.Enumerator) else T.Enumerator(*v) for v in values]
        if signed is None:
            signed = any(v.value < 0 for v in vs)
        wide = size > 4 or any(not -(1 << 31) <= v.value < (1 << 32) for v in vs)
        extra = bytearray()
        for v in vs:
            if wide:
                u = v.value & 0xFFFFFFFFFFFFFFFF
                extra += struct.pack("<III", self.add_string(v.name), u & 0xFFFFFFFF, u >> 32)
            else:
                extra += struct.pack("<II", self.add_string(v.name), v.value & 0xFFFFFFFF)
        return self.add_raw(name, Kind.ENUM64 if wide else Kind.ENUM, len(vs), signed, size, bytes(extra))

    def add_fwd(self, name: str, union: bool = False) -> int:
        return self.add_raw(name, Kind.FWD, 0, union, 0)

    def add_func_proto(self, ret_type: int, params: Sequence[T.Param | tuple[str, int]]) -> int:
        pairs = [p if isinstance(p, tuple) and len(p) == 2 else _param(p) for p in params]
        extra = b"".join(struct.pack("<II", self.add_string(name), type_id) for name, type_id in pairs)
        return self.add_raw("", Kind.FUNC_PROTO, len(pairs), False, ret_type, extra)

    def add_func(self, name: str, proto: int, linkage: Linkage | int = Linkage.STATIC) -> int:
        return self.add_raw(name, Kind.FUNC, int(linkage), False, proto)

    def add_var(self, name: str, type_id: int, linkage: Linkage | int = Linkage.GLOBAL) -> int:
        return self.add_raw(name, Kind.VAR, 0, False, type_id, struct.pack("<I", int(linkage)))

    def add_datasec(self, name: str, size: int, vars: Sequence[T.VarSecinfo | tuple[int, int, int]]) -> int:
        from . import types as T  # lazy (see the imports)
        vs = [v if isinstance(v, T.VarSecinfo) else T.VarSecinfo(*v) for v in vars]
        extra = b"".join(struct.pack("<III", v.type, v.offset, v.size) for v in vs)
        return self.add_raw(name, Kind.DATASEC, len(vs), False, size, extra)

    def add_decl_tag(self, value: str, type_id: int, component_idx: int = -1, attribute: bool = False) -> int:
        return self.add_raw(value, Kind.DECL_TAG, 0, attribute, type_id, struct.pack("<i", component_idx))

    # ------------------------------------------------------------------ records
    def add(self, rec: T.AnyType) -> int:
        """Append a decoded record (as `Btf` returns them); its ``id`` is ignored."""
        from . import types as T  # lazy (see the imports)
        k = rec.kind
        if isinstance(rec, T.Int):
            return self.add_int(rec.name, rec.size, rec.encoding, rec.bits, rec.bit_offset)
        if isinstance(rec, T.Float):
            return self.add_float(rec.name, rec.size)
        if isinstance(rec, T.TypeTag):
            return self.add_type_tag(rec.name, rec.type, rec.attribute)
        if isinstance(rec, T.Ref):
            return self.add_raw(rec.name, k, 0, False, rec.type)
        if isinstance(rec, T.Array):
            return self.add_array(rec.type, rec.index_type, rec.nelems)
        if isinstance(rec, T.Composite):
            extra = bytearray()
            for m in rec.members:
                off = (m.bitfield_size << 24) | m.bit_offset if rec.kflag else m.bit_offset
                extra += struct.pack("<III", self.add_string(m.name), m.type, off)
            return self.add_raw(rec.name, k, len(rec.members), rec.kflag, rec.size, bytes(extra))
        if isinstance(rec, T.Enum):
            extra = bytearray()
            for v in rec.values:
                if k == Kind.ENUM64:
                    u = v.value & 0xFFFFFFFFFFFFFFFF
                    extra += struct.pack("<III", self.add_string(v.name), u & 0xFFFFFFFF, u >> 32)
                else:
                    extra += struct.pack("<II", self.add_string(v.name), v.value & 0xFFFFFFFF)
            return self.add_raw(rec.name, k, len(rec.values), rec.signed, rec.size, bytes(extra))
        if isinstance(rec, T.Fwd):
            return self.add_fwd(rec.name, rec.union)
        if isinstance(rec, T.Func):
            return self.add_func(rec.name, rec.type, rec.linkage)
        if isinstance(rec, T.FuncProto):
            return self.add_func_proto(rec.type, rec.params)
        if isinstance(rec, T.Var):
            return self.add_var(rec.name, rec.type, rec.linkage)
        if isinstance(rec, T.Datasec):
            return self.add_datasec(rec.name, rec.size, rec.vars)
        if isinstance(rec, T.DeclTag):
            return self.add_decl_tag(rec.name, rec.type, rec.component_idx, rec.attribute)
        raise BtfError(f"cannot encode {type(rec).__name__}", type_id=rec.id)

    def extend(self, records: Iterable[T.AnyType]) -> None:
        for r in records:
            self.add(r)

    # ------------------------------------------------------------------ output
    def encode(self, *, header_len: int = 24) -> bytes:
        """The BTF blob: header (``header_len`` bytes, zero-extended), types, strings."""
        if header_len < 24 or header_len % 4:
            raise BtfError(f"header length {header_len} must be a multiple of 4, >= 24")
        types = b"".join(self._types)
        strs = bytes(self._strs)
        hdr = _HDR.pack(MAGIC, 1, 0, header_len, 0, len(types), len(types), len(strs))
        return hdr + bytes(header_len - 24) + types + strs


def copy_btf(btf: Btf) -> bytes:
    """Re-encode every own type of ``btf`` (same ids, strings deduplicated).

    >>> from pybpf.btf import Btf
    >>> Btf(copy_btf(Btf(BtfBuilder().encode()))).nr_types
    1
    """
    b = BtfBuilder(base=btf.base)
    b.extend(btf)
    return b.encode()


@record(frozen=True)
class Features:
    """Which BTF kinds/flags a kernel accepts (see `pybpf.kernel.btf.probe_features`)."""

    func: bool = True
    func_global: bool = True
    datasec: bool = True
    float: bool = True
    decl_tag: bool = True
    type_tag: bool = True
    enum64: bool = True

    @classmethod
    def none(cls) -> Features:
        """The oldest BTF: none of the optional kinds."""
        return cls(**dict.fromkeys(cls.__match_args__, False))


def sanitize(btf: Btf, features: Features) -> bytes:
    """``btf`` re-encoded with every kind ``features`` lacks replaced, ids unchanged.

    >>> from pybpf.btf import Btf
    >>> old = Btf(sanitize(Btf(copy_btf(Btf(BtfBuilder().encode()))), Features.none()))
    >>> old.nr_types
    1
    """
    from . import types as T  # lazy (see the imports)
    b = BtfBuilder(base=btf.base)
    for rec in btf:
        k = rec.kind
        if isinstance(rec, T.Var) and not features.datasec:
            b.add_int(rec.name, 1, 0, 8)
        elif isinstance(rec, T.Datasec) and not features.datasec:
            members = [T.Member(btf.type_name(v.type), v.type, v.offset * 8) for v in rec.vars]
            far = next((m for m in members if m.bit_offset >= 1 << 32), None)
            if far is not None:  # a struct member's bit offset is a u32
                raise BtfError(f"{btf.name}: datasec {rec.name!r}: variable {far.name!r} at byte offset "
                               f"{far.bit_offset // 8} is beyond what a struct (for a kernel without "
                               "datasec) can describe", type_id=rec.id)
            b.add_struct(rec.name.replace(".", "_"), rec.size, members)
        elif isinstance(rec, T.Func) and not features.func:
            b.add_typedef(rec.name, rec.type)
        elif isinstance(rec, T.Func) and not features.func_global and rec.linkage != Linkage.STATIC:
            b.add_func(rec.name, rec.type, Linkage.STATIC)
        elif isinstance(rec, T.FuncProto) and not features.func:
            b.add_raw("", Kind.ENUM, len(rec.params), False, 4,
                      b"".join(struct.pack("<II", b.add_string(p.name), 1) for p in rec.params))
        elif isinstance(rec, T.Float) and not features.float:
            b.add_raw("", Kind.STRUCT, 0, False, rec.size)
        elif isinstance(rec, T.DeclTag) and not features.decl_tag:
            b.add_int("", 1, 0, 8)
        elif isinstance(rec, T.TypeTag) and not features.type_tag:
            b.add_const(rec.type)
        elif isinstance(rec, T.Enum) and k == Kind.ENUM64 and not features.enum64:
            b.add_raw(rec.name, Kind.UNION, 0, False, rec.size)
        elif isinstance(rec, T.Enum) and k == Kind.ENUM and rec.signed and not features.enum64:
            b.add(T.Enum(rec.id, k, rec.name, rec.size, rec.values, False))
        else:
            b.add(rec)
    return b.encode()


def with_datasec_sizes(btf: Btf, sizes: dict[str, int], offsets: dict[str, int] | None = None) -> bytes:
    """``btf`` re-encoded with DATASEC sizes (and optionally VAR offsets) filled in.

    clang leaves each DATASEC's size 0 (and, for some sections, var offsets) for the loader
    to take from the ELF: ``sizes`` maps section name -> section size, ``offsets`` maps
    variable name -> symbol value. The kernel refuses a DATASEC of size 0.

    >>> from pybpf.btf import Btf
    >>> b = BtfBuilder(); i = b.add_int("int", 4, 1); v = b.add_var("x", i)
    >>> _ = b.add_datasec(".data", 0, [(v, 0, 4)])
    >>> Btf(with_datasec_sizes(Btf(b.encode()), {".data": 8}))[3].size
    8
    """
    from . import types as T  # lazy (see the imports)
    b = BtfBuilder(base=btf.base)
    for rec in btf:
        if isinstance(rec, T.Datasec):
            vs = [T.VarSecinfo(v.type, (offsets or {}).get(btf.type_name(v.type), v.offset), v.size)
                  for v in rec.vars]
            b.add_datasec(rec.name, sizes.get(rec.name, rec.size), vs)
        else:
            b.add(rec)
    return b.encode()
