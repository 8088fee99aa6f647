"""DSL value types: fixed-width integers, byte arrays and user structs with C layout.

>>> from pybpf.dsl.types import Struct, u32, u64, char
>>> class Event(Struct):
...     pid: u32
...     ts: u64
...     comm: char[16]
>>> Event.size, Event.field("ts").offset, Event.field("comm").offset
(32, 8, 16)
>>> Event.decode(bytes(32)).pid
0
"""

from __future__ import annotations

import struct as _struct

from .._record import Frozen, record

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any, ClassVar


class IntType(Frozen):
    """An integer of ``size`` bytes (1, 2, 4, 8), signed or not (a frozen record, written out:
    every probe file's start-up makes the class).

    >>> IntType("u16", 2, False) == u16, u16.big, be16.big
    (True, False, True)
    """

    __slots__ = __match_args__ = ("name", "size", "signed", "big")
    name: str
    size: int
    signed: bool
    big: bool  # network byte order in memory (be16, be32): values are host order

    def __init__(self, name: str, size: int, signed: bool, big: bool = False) -> None:
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "size", size)
        set_(self, "signed", signed)
        set_(self, "big", big)

    @property
    def bits(self) -> int:
        return self.size * 8

    @property
    def align(self) -> int:
        return self.size

    def wrap(self, value: int) -> int:
        """``value`` converted to this type with C semantics (two's complement wrap)."""
        value &= (1 << self.bits) - 1
        if self.signed and value >> (self.bits - 1):
            value -= 1 << self.bits
        return value

    @property
    def fmt(self) -> str:
        code = {1: "b", 2: "h", 4: "i", 8: "q"}[self.size]
        return code if self.signed else code.upper()

    def decode(self, raw: bytes) -> int:
        return int(_struct.unpack_from((">" if self.big else "<") + self.fmt, raw)[0])

    def encode(self, value: int) -> bytes:
        return _struct.pack((">" if self.big else "<") + self.fmt, self.wrap(int(value)))

    def __getitem__(self, n: int) -> ArrayType:
        """``char[16]``, ``u32[4]``: a fixed-size array of this type."""
        if not isinstance(n, int) or n <= 0:
            raise TypeError(f"array length must be a positive int, got {n!r}")
        return ArrayType(self, n)

    def __repr__(self) -> str:
        return self.name


u8, u16, u32, u64 = (IntType(f"u{8 * s}", s, False) for s in (1, 2, 4, 8))
s8, s16, s32, s64 = (IntType(f"s{8 * s}", s, True) for s in (1, 2, 4, 8))
be16, be32, be64 = (IntType(f"be{8 * s}", s, False, big=True) for s in (2, 4, 8))
char = IntType("char", 1, False)
bool_ = IntType("bool", 1, False)
INT_TYPES: dict[str, IntType] = {t.name: t for t in (u8, u16, u32, u64, s8, s16, s32, s64, char,
                                                    be16, be32, be64)}
INT_TYPES["bool"] = bool_


@record(frozen=True)
class ArrayType:
    """``n`` elements of ``elem``; a ``char`` array decodes to ``bytes`` up to the first NUL."""

    elem: IntType | type[Struct]
    n: int

    @property
    def size(self) -> int:
        return self.elem.size * self.n

    @property
    def align(self) -> int:
        return self.elem.align

    @property
    def is_string(self) -> bool:
        return self.elem is char

    def decode(self, raw: bytes) -> Any:
        if self.is_string:
            return bytes(raw[:self.size]).split(b"\0", 1)[0]
        es = self.elem.size
        return [self.elem.decode(raw[i * es:(i + 1) * es]) for i in range(self.n)]

    def encode(self, value: Any) -> bytes:
        if isinstance(value, (bytes, bytearray, str)):
            data = value.encode() if isinstance(value, str) else bytes(value)
            return data[:self.size].ljust(self.size, b"\0")
        return b"".join(self.elem.encode(v) for v in value).ljust(self.size, b"\0")

    def __repr__(self) -> str:
        return f"{self.elem!r}[{self.n}]"


@record(frozen=True)
class FieldInfo:
    """One member of a `Struct`: name, type, byte offset."""

    name: str
    type: Any
    offset: int


class _StructMeta(type):
    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
        cls = super().__new__(mcs, name, bases, ns)
        annotations = ns.get("__annotations__", {}) if bases else {}
        fields: list[FieldInfo] = []
        offset, align = 0, 1
        for fname, ftype in annotations.items():
            if isinstance(ftype, str):
                ftype = _resolve_annotation(ftype, ns)
            if not isinstance(ftype, (IntType, ArrayType)) and not (
                    isinstance(ftype, type) and issubclass(ftype, Struct)):
                raise TypeError(f"struct {name}: field {fname!r} has type {ftype!r}; use u8..u64, "
                                "s8..s64, char[N] or another Struct")
            a = ftype.align
            offset = (offset + a - 1) // a * a
            fields.append(FieldInfo(fname, ftype, offset))
            offset += ftype.size
            align = max(align, a)
        cls._fields = {f.name: f for f in fields}  # type: ignore[attr-defined]  # the metaclass fills the Struct ClassVars
        cls.align = align  # type: ignore[attr-defined]  # the metaclass fills the Struct ClassVars
        cls.size = (offset + align - 1) // align * align  # type: ignore[attr-defined]  # the metaclass fills the Struct ClassVars
        return cls


def _resolve_annotation(text: str, ns: dict[str, Any]) -> Any:
    import sys

    module = sys.modules.get(ns.get("__module__", ""), None)
    env: dict[str, Any] = dict(INT_TYPES)
    env["char"] = char
    if module is not None:
        env.update(vars(module))
    env.update(ns)
    return eval(text, env)  # noqa: S307 - the user's own annotation, as typing.get_type_hints does


class Struct(metaclass=_StructMeta):
    """Base of user structs: annotate fields with DSL types; layout follows C rules.

    Instances (decoded from bytes) are plain attribute bags with ``as_dict``.
    """

    _fields: ClassVar[dict[str, FieldInfo]]
    size: ClassVar[int]
    align: ClassVar[int]

    def __init__(self, **values: Any) -> None:
        for name in self._fields:
            setattr(self, name, values.pop(name, 0))
        if values:
            raise TypeError(f"{type(self).__name__} has no field(s) {sorted(values)}")

    @classmethod
    def field(cls, name: str) -> FieldInfo:
        return cls._fields[name]

    @classmethod
    def fields(cls) -> list[FieldInfo]:
        return list(cls._fields.values())

    @classmethod
    def decode(cls, raw: bytes | memoryview) -> Any:
        """An instance from ``size`` bytes (the bytes a probe wrote)."""
        raw = bytes(raw).ljust(cls.size, b"\0")
        obj = cls.__new__(cls)
        for f in cls._fields.values():
            setattr(obj, f.name, f.type.decode(raw[f.offset:f.offset + f.type.size]))
        return obj

    @classmethod
    def encode(cls, value: Any) -> bytes:
        out = bytearray(cls.size)
        for f in cls._fields.values():
            v = value.get(f.name, 0) if isinstance(value, dict) else getattr(value, f.name, 0)
            out[f.offset:f.offset + f.type.size] = f.type.encode(v)
        return bytes(out)

    @classmethod
    def dtype(cls) -> Any:
        """The numpy structured dtype of this layout (same offsets and size), for batch reads.

        >>> class E(Struct):
        ...     pid: u32
        ...     comm: char[16]
        >>> E.dtype().names, E.dtype().itemsize
        (('pid', 'comm'), 20)
        """
        import numpy as np

        return np.dtype({"names": list(cls._fields),
                         "formats": [_np_format(f.type) for f in cls._fields.values()],
                         "offsets": [f.offset for f in cls._fields.values()],
                         "itemsize": cls.size})

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self._fields:
            v = getattr(self, name)
            out[name] = v.decode(errors="replace") if isinstance(v, bytes) else v
        return out

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"{type(self).__name__}({inner})"


def _np_format(t: Any) -> Any:
    if isinstance(t, IntType):
        return f"{'>' if t.big else '<'}{'i' if t.signed else 'u'}{t.size}"
    if isinstance(t, ArrayType):
        if t.is_string:
            return f"S{t.n}"
        return (_np_format(t.elem), (t.n,))
    return t.dtype()


def is_struct(t: object) -> bool:
    return isinstance(t, type) and issubclass(t, Struct)


def type_name(t: object) -> str:
    if isinstance(t, type) and is_struct(t):
        return f"struct {t.__name__}"
    return repr(t)


#: the value types only the compiler makes live in `pybpf.dsl.valtypes` (a kept probe loads
#: without them); this module still names them, imported at the first use
_VALUE_TYPES = frozenset({"KPtr", "StackId", "SymAddr", "Blob"})


def __getattr__(name: str) -> Any:
    """``pybpf.dsl.types.KPtr`` (`StackId`, `SymAddr`, `Blob`): from `pybpf.dsl.valtypes`."""
    if name in _VALUE_TYPES:
        from . import valtypes

        return getattr(valtypes, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
