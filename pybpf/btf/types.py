"""Typed records, one per BTF kind, decoded on demand from a `Btf`.

Records are small frozen records that refer to other types by id (an ``int``; ``0`` is
``void``), so decoding one type never decodes another. `Btf` resolves ids::

    >>> from pybpf.btf import Btf, Kind
    >>> from pybpf.btf.writer import BtfBuilder
    >>> b = BtfBuilder(); i = b.add_int("int", 4, 1)
    >>> s = b.add_struct("pair", 8, [("a", i, 0), ("b", i, 32)])
    >>> btf = Btf(b.encode())
    >>> t = btf[btf.find("pair", Kind.STRUCT)]
    >>> t.members[1].name, t.members[1].bit_offset, t.size
    ('b', 32, 8)

Each class is written out (``__slots__``, ``__init__``) over `pybpf._record.Frozen`, which gives what
``@dataclass(frozen=True, slots=True)`` would (``repr``, ``==`` and ``hash`` by value,
``__match_args__``, `pybpf._record.replace`, pickling): a ``pybpf._record.record`` class
costs a start-up about three times a plain class (its methods made per class, and the class
made twice to add slots), and the object loader's start-up imports these twenty-odd.

>>> from pybpf._record import replace
>>> m = Member("a", 1, 32)
>>> m, m == Member("a", 1, 32, 0), replace(m, bitfield_size=3).bitfield_size
(Member(name='a', type=1, bit_offset=32, bitfield_size=0), True, 3)
"""
from __future__ import annotations

from .._record import Frozen
from .fields import IntEncoding, Linkage
from .format import Kind

_set = object.__setattr__  # past the frozen __setattr__, as dataclasses' __init__ does

class Type(Frozen):
    """Fields every type has: its id, kind and name ("" when anonymous)."""

    __slots__ = ("id", "kind", "name")
    __match_args__ = ("id", "kind", "name")
    id: int
    kind: Kind
    name: str

    def __init__(self, id: int, kind: Kind, name: str) -> None:  # noqa: A002 - the field's name
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)

    @property
    def anonymous(self) -> bool:
        return not self.name


class Void(Type):
    """Type id 0."""

    __slots__ = ()


class Int(Type):
    """An integer: ``size`` bytes, ``bits`` wide starting at ``bit_offset``."""

    __slots__ = ("size", "encoding", "bit_offset", "bits")
    __match_args__ = ("id", "kind", "name", "size", "encoding", "bit_offset", "bits")
    size: int
    encoding: IntEncoding
    bit_offset: int
    bits: int

    def __init__(self, id: int, kind: Kind, name: str, size: int,  # noqa: A002
                 encoding: IntEncoding, bit_offset: int, bits: int) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "size", size)
        _set(self, "encoding", encoding)
        _set(self, "bit_offset", bit_offset)
        _set(self, "bits", bits)

    @property
    def signed(self) -> bool:
        return bool(self.encoding & IntEncoding.SIGNED)


class Float(Type):
    __slots__ = ("size",)
    __match_args__ = ("id", "kind", "name", "size")
    size: int

    def __init__(self, id: int, kind: Kind, name: str, size: int) -> None:  # noqa: A002
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "size", size)


class Ref(Type):
    """A kind whose only content is a referenced type: ptr, typedef, modifiers."""

    __slots__ = ("type",)
    __match_args__ = ("id", "kind", "name", "type")
    type: int

    def __init__(self, id: int, kind: Kind, name: str, type: int) -> None:  # noqa: A002
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "type", type)


class Ptr(Ref):
    __slots__ = ()


class Typedef(Ref):
    __slots__ = ()


class Volatile(Ref):
    __slots__ = ()


class Const(Ref):
    __slots__ = ()


class Restrict(Ref):
    __slots__ = ()


class TypeTag(Ref):
    """``btf_type_tag("value")`` on ``type``; ``attribute`` when kind_flag is set."""

    __slots__ = ("attribute",)
    __match_args__ = ("id", "kind", "name", "type", "attribute")
    attribute: bool

    def __init__(self, id: int, kind: Kind, name: str, type: int,  # noqa: A002
                 attribute: bool = False) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "attribute", attribute)


class Array(Type):
    __slots__ = ("type", "index_type", "nelems")
    __match_args__ = ("id", "kind", "name", "type", "index_type", "nelems")
    type: int
    index_type: int
    nelems: int

    def __init__(self, id: int, kind: Kind, name: str, type: int,  # noqa: A002
                 index_type: int, nelems: int) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "index_type", index_type)
        _set(self, "nelems", nelems)


class Member(Frozen):
    """A struct/union member: ``bit_offset`` from the start, ``bitfield_size`` 0 if none."""

    __slots__ = ("name", "type", "bit_offset", "bitfield_size")
    __match_args__ = ("name", "type", "bit_offset", "bitfield_size")
    name: str
    type: int
    bit_offset: int
    bitfield_size: int

    def __init__(self, name: str, type: int, bit_offset: int,  # noqa: A002
                 bitfield_size: int = 0) -> None:
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "bit_offset", bit_offset)
        _set(self, "bitfield_size", bitfield_size)

    @property
    def byte_offset(self) -> int:
        return self.bit_offset // 8


class Composite(Type):
    __slots__ = ("size", "members", "kflag")
    __match_args__ = ("id", "kind", "name", "size", "members", "kflag")
    size: int
    members: tuple[Member, ...]
    #: kind_flag: member offsets carry bitfield sizes.
    kflag: bool

    def __init__(self, id: int, kind: Kind, name: str, size: int,  # noqa: A002
                 members: tuple[Member, ...], kflag: bool = False) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "size", size)
        _set(self, "members", members)
        _set(self, "kflag", kflag)

    def member(self, name: str) -> Member:
        """The member called ``name`` (raises KeyError)."""
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(name)


class Struct(Composite):
    __slots__ = ()


class Union(Composite):
    __slots__ = ()


class Enumerator(Frozen):
    __slots__ = ("name", "value")
    __match_args__ = ("name", "value")
    name: str
    value: int

    def __init__(self, name: str, value: int) -> None:
        _set(self, "name", name)
        _set(self, "value", value)


class Enum(Type):
    """ENUM and ENUM64 (``kind`` says which); ``signed`` is the kind_flag."""

    __slots__ = ("size", "values", "signed")
    __match_args__ = ("id", "kind", "name", "size", "values", "signed")
    size: int
    values: tuple[Enumerator, ...]
    signed: bool

    def __init__(self, id: int, kind: Kind, name: str, size: int,  # noqa: A002
                 values: tuple[Enumerator, ...], signed: bool = False) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "size", size)
        _set(self, "values", values)
        _set(self, "signed", signed)


class Fwd(Type):
    __slots__ = ("union",)
    __match_args__ = ("id", "kind", "name", "union")
    union: bool

    def __init__(self, id: int, kind: Kind, name: str, union: bool = False) -> None:  # noqa: A002
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "union", union)


class Func(Type):
    __slots__ = ("type", "linkage")
    __match_args__ = ("id", "kind", "name", "type", "linkage")
    type: int  # the FUNC_PROTO
    linkage: Linkage

    def __init__(self, id: int, kind: Kind, name: str, type: int,  # noqa: A002
                 linkage: Linkage) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "linkage", linkage)


class Param(Frozen):
    __slots__ = ("name", "type")
    __match_args__ = ("name", "type")
    name: str
    type: int  # 0 in the last param means "..."

    def __init__(self, name: str, type: int) -> None:  # noqa: A002
        _set(self, "name", name)
        _set(self, "type", type)


class FuncProto(Type):
    __slots__ = ("type", "params")
    __match_args__ = ("id", "kind", "name", "type", "params")
    type: int  # return type
    params: tuple[Param, ...]

    def __init__(self, id: int, kind: Kind, name: str, type: int,  # noqa: A002
                 params: tuple[Param, ...]) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "params", params)

    @property
    def variadic(self) -> bool:
        return bool(self.params) and self.params[-1].type == 0 and not self.params[-1].name


class Var(Type):
    __slots__ = ("type", "linkage")
    __match_args__ = ("id", "kind", "name", "type", "linkage")
    type: int
    linkage: Linkage

    def __init__(self, id: int, kind: Kind, name: str, type: int,  # noqa: A002
                 linkage: Linkage) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "linkage", linkage)


class VarSecinfo(Frozen):
    __slots__ = ("type", "offset", "size")
    __match_args__ = ("type", "offset", "size")
    type: int
    offset: int
    size: int

    def __init__(self, type: int, offset: int, size: int) -> None:  # noqa: A002
        _set(self, "type", type)
        _set(self, "offset", offset)
        _set(self, "size", size)


class Datasec(Type):
    __slots__ = ("size", "vars")
    __match_args__ = ("id", "kind", "name", "size", "vars")
    size: int
    vars: tuple[VarSecinfo, ...]

    def __init__(self, id: int, kind: Kind, name: str, size: int,  # noqa: A002
                 vars: tuple[VarSecinfo, ...]) -> None:  # noqa: A002
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "size", size)
        _set(self, "vars", vars)


class DeclTag(Type):
    """``btf_decl_tag(name)`` on ``type``; ``component_idx`` -1 for the type itself."""

    __slots__ = ("type", "component_idx", "attribute")
    __match_args__ = ("id", "kind", "name", "type", "component_idx", "attribute")
    type: int
    component_idx: int
    attribute: bool

    def __init__(self, id: int, kind: Kind, name: str, type: int,  # noqa: A002
                 component_idx: int, attribute: bool = False) -> None:
        _set(self, "id", id)
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "type", type)
        _set(self, "component_idx", component_idx)
        _set(self, "attribute", attribute)


AnyType = (Void | Int | Float | Ptr | Typedef | Volatile | Const | Restrict | TypeTag | Array
           | Struct | Union | Enum | Fwd | Func | FuncProto | Var | Datasec | DeclTag)
