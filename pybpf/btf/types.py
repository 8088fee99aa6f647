"""Typed records, one per BTF kind, decoded on demand from a `Btf`.

Records are small frozen records (`pybpf._record`: no `dataclasses` import at start-up)
that refer to other types by id (an ``int``; ``0`` is ``void``), so decoding one type
never decodes another. `Btf` resolves ids::

    >>> from pybpf.btf import Btf, Kind
    >>> from pybpf.btf.writer import BtfBuilder
    >>> b = BtfBuilder(); i = b.add_int("int", 4, 1)
    >>> s = b.add_struct("pair", 8, [("a", i, 0), ("b", i, 32)])
    >>> btf = Btf(b.encode())
    >>> t = btf[btf.find("pair", Kind.STRUCT)]
    >>> t.members[1].name, t.members[1].bit_offset, t.size
    ('b', 32, 8)
"""
from __future__ import annotations

from .._record import record
from .format import IntEncoding, Kind, Linkage


@record(frozen=True, slots=True)
class Type:
    """Fields every type has: its id, kind and name ("" when anonymous)."""

    id: int
    kind: Kind
    name: str

    @property
    def anonymous(self) -> bool:
        return not self.name


@record(frozen=True, slots=True)
class Void(Type):
    """Type id 0."""


@record(frozen=True, slots=True)
class Int(Type):
    """An integer: ``size`` bytes, ``bits`` wide starting at ``bit_offset``."""

    size: int
    encoding: IntEncoding
    bit_offset: int
    bits: int

    @property
    def signed(self) -> bool:
        return bool(self.encoding & IntEncoding.SIGNED)


@record(frozen=True, slots=True)
class Float(Type):
    size: int


@record(frozen=True, slots=True)
class Ref(Type):
    """A kind whose only content is a referenced type: ptr, typedef, modifiers."""

    type: int


@record(frozen=True, slots=True)
class Ptr(Ref):
    pass


@record(frozen=True, slots=True)
class Typedef(Ref):
    pass


@record(frozen=True, slots=True)
class Volatile(Ref):
    pass


@record(frozen=True, slots=True)
class Const(Ref):
    pass


@record(frozen=True, slots=True)
class Restrict(Ref):
    pass


@record(frozen=True, slots=True)
class TypeTag(Ref):
    """``btf_type_tag("value")`` on ``type``; ``attribute`` when kind_flag is set."""

    attribute: bool = False


@record(frozen=True, slots=True)
class Array(Type):
    type: int
    index_type: int
    nelems: int


@record(frozen=True, slots=True)
class Member:
    """A struct/union member: ``bit_offset`` from the start, ``bitfield_size`` 0 if none."""

    name: str
    type: int
    bit_offset: int
    bitfield_size: int = 0

    @property
    def byte_offset(self) -> int:
        return self.bit_offset // 8


@record(frozen=True, slots=True)
class Composite(Type):
    size: int
    members: tuple[Member, ...]
    #: kind_flag: member offsets carry bitfield sizes.
    kflag: bool = False

    def member(self, name: str) -> Member:
        """The member called ``name`` (raises KeyError)."""
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(name)


@record(frozen=True, slots=True)
class Struct(Composite):
    pass


@record(frozen=True, slots=True)
class Union(Composite):
    pass


@record(frozen=True, slots=True)
class Enumerator:
    name: str
    value: int


@record(frozen=True, slots=True)
class Enum(Type):
    """ENUM and ENUM64 (``kind`` says which); ``signed`` is the kind_flag."""

    size: int
    values: tuple[Enumerator, ...]
    signed: bool = False


@record(frozen=True, slots=True)
class Fwd(Type):
    union: bool = False


@record(frozen=True, slots=True)
class Func(Type):
    type: int  # the FUNC_PROTO
    linkage: Linkage


@record(frozen=True, slots=True)
class Param:
    name: str
    type: int  # 0 in the last param means "..."


@record(frozen=True, slots=True)
class FuncProto(Type):
    type: int  # return type
    params: tuple[Param, ...]

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1].type == 0 and not self.params[-1].name


@record(frozen=True, slots=True)
class Var(Type):
    type: int
    linkage: Linkage


@record(frozen=True, slots=True)
class VarSecinfo:
    type: int
    offset: int
    size: int


@record(frozen=True, slots=True)
class Datasec(Type):
    size: int
    vars: tuple[VarSecinfo, ...]


@record(frozen=True, slots=True)
class DeclTag(Type):
    """``btf_decl_tag(name)`` on ``type``; ``component_idx`` -1 for the type itself."""

    type: int
    component_idx: int
    attribute: bool = False


AnyType = (Void | Int | Float | Ptr | Typedef | Volatile | Const | Restrict | TypeTag | Array
           | Struct | Union | Enum | Fwd | Func | FuncProto | Var | Datasec | DeclTag)
