"""Enumerations without the `enum` module: `IntEnum` and `StrEnum`, whose classes build in a
fraction of enum's time (pybpf's opcode, command and BTF kind tables are on every start-up
path, and `enum` itself, with `functools` and `collections` behind it, is a good part of a
small probe's whole start-up).

Members behave as the standard library's do where pybpf and its users meet them: each is an
instance of its class and of ``int`` (``str``), a singleton (``Class(5) is Class.JMP``,
copies and pickles give it back), with ``name`` and ``value``, the repr ``<Class.JMP: 5>``;
the class iterates over its members in order, and ``Class(value)``, ``Class["NAME"]``,
``len``, ``in`` (a member or a value) and ``__members__`` work as enum's. A member's
arithmetic gives a plain ``int``, as an ``enum.IntEnum`` member's does. Type checkers see
the standard classes (the modules that use these import ``enum``'s under TYPE_CHECKING).

>>> class Color(IntEnum):
...     RED = 1
...     GREEN = 2
>>> Color(2), Color["RED"], Color.RED + 1, str(Color.GREEN), list(Color)
(<Color.GREEN: 2>, <Color.RED: 1>, 2, '2', [<Color.RED: 1>, <Color.GREEN: 2>])
"""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: this module exists for start-up)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["IntEnum", "IntFlag", "StrEnum"]


class _EnumType(type):
    """The metaclass: turns the class body's public values of the base type into members."""

    _member_map_: dict[str, Any]
    _value2member_map_: dict[Any, Any]
    _member_names_: list[str]

    def __new__(mcls, name, bases, ns):  # noqa: ANN001, ANN204 - a metaclass's protocol
        base = None
        for b in bases:
            if isinstance(b, _EnumType):
                base = b._base_
                break
        values = None
        if base is not None:
            values = {key: value for key, value in ns.items() if key[0] != "_"
                      and isinstance(value, base) and not callable(value)}
            if values:
                ns = {key: value for key, value in ns.items() if key not in values}
        # the member tables go in the class body (set after, each would pass __setattr__)
        members: dict[str, object] = {}
        by_value: dict[object, object] = {}
        names: list[str] = []
        ns["_member_map_"] = members
        ns["_value2member_map_"] = by_value
        ns["_member_names_"] = names
        cls = super().__new__(mcls, name, bases, ns)
        if values:
            new = base.__new__
            put = type.__setattr__
            for key, value in values.items():
                member = by_value.get(value)
                if member is None:  # a repeated value is an alias of the first name
                    member = new(cls, value)
                    member._name_ = key
                    member._value_ = value
                    by_value[value] = member
                    names.append(key)
                members[key] = member
                put(cls, key, member)
        return cls

    def __call__(cls, value):  # noqa: ANN001, ANN204
        try:
            return cls._value2member_map_[value]
        except (KeyError, TypeError):
            if getattr(cls, "_flag_", False) and isinstance(value, int) and value >= 0:
                return cls._combination(value)
            raise ValueError(f"{value!r} is not a valid {cls.__qualname__}") from None

    def __getitem__(cls, name: str):  # noqa: ANN204
        return cls._member_map_[name]

    def __iter__(cls):  # noqa: ANN204
        return (cls._member_map_[n] for n in cls._member_names_)

    def __reversed__(cls):  # noqa: ANN204
        return (cls._member_map_[n] for n in reversed(cls._member_names_))

    def __len__(cls) -> int:
        return len(cls._member_names_)

    def __contains__(cls, value: object) -> bool:
        try:
            return value in cls._value2member_map_
        except TypeError:
            return False

    @property
    def __members__(cls) -> dict[str, object]:
        return dict(cls._member_map_)

    def __setattr__(cls, name: str, value: object) -> None:
        if name in cls.__dict__.get("_member_map_", ()):
            raise AttributeError(f"cannot reassign member {name!r}")
        super().__setattr__(name, value)

    def __repr__(cls) -> str:
        return f"<enum {cls.__name__!r}>"


class _Member:
    """What every member has: each enumeration base copies these into its body (a mixin
    class would lengthen the MRO that making each enumeration class walks)."""

    _name_: str
    _value_: object

    @property
    def name(self) -> str:
        return self._name_

    @property
    def value(self):  # noqa: ANN201
        return self._value_

    def __repr__(self: Any) -> str:  # (Any: a method of the classes that copy it)
        return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"

    def __reduce_ex__(self, protocol: object) -> tuple[object, tuple[object]]:
        return type(self), (self._value_,)

    def __copy__(self):  # noqa: ANN204
        return self

    def __deepcopy__(self, memo: object):  # noqa: ANN001, ANN204
        return self


class IntEnum(int, metaclass=_EnumType):
    """An enumeration of ``int`` members (as `enum.IntEnum`: ``str`` and ``format`` give the
    number)."""

    _base_ = int
    _name_: str
    _value_: object
    name = _Member.name
    value = _Member.value
    __repr__ = _Member.__repr__
    __reduce_ex__ = _Member.__reduce_ex__
    __copy__ = _Member.__copy__
    __deepcopy__ = _Member.__deepcopy__
    __str__ = int.__repr__
    __format__ = int.__format__


class IntFlag(IntEnum):
    """An enumeration of ``int`` bit flags (as `enum.IntFlag`): ``Flag(value)`` of any
    combination is a member named by its bits (``<IntEncoding.SIGNED|CHAR: 3>``), and
    ``|``, ``&``, ``^`` and ``~`` of two members give a member."""

    _flag_ = True

    @classmethod
    def _combination(cls, value: int) -> IntFlag:
        names, rest = [], value
        for m in cls:
            bit = int(m)
            if bit and bit & (bit - 1) == 0 and value & bit:
                names.append(m._name_)
                rest &= ~bit
        member = int.__new__(cls, value)
        if names and rest:  # bits no member names: their number, as enum's KEEP boundary
            names.append(str(rest))
        member._name_ = "|".join(names) if names else None  # type: ignore[assignment]  # no named bit: no name, as in enum
        member._value_ = value
        cls._value2member_map_[value] = member
        return member

    def __repr__(self) -> str:
        if self._name_ is None:
            return f"<{type(self).__name__}: {self._value_!r}>"
        return super().__repr__()

    def __contains__(self, other: object) -> bool:
        return isinstance(other, int) and int(other) & int(self) == int(other)

    def __or__(self, other: object):  # noqa: ANN204
        if not isinstance(other, int):
            return NotImplemented
        return type(self)(int(self) | int(other))

    def __and__(self, other: object):  # noqa: ANN204
        if not isinstance(other, int):
            return NotImplemented
        return type(self)(int(self) & int(other))

    def __xor__(self, other: object):  # noqa: ANN204
        if not isinstance(other, int):
            return NotImplemented
        return type(self)(int(self) ^ int(other))

    __ror__, __rand__, __rxor__ = __or__, __and__, __xor__

    def __invert__(self):  # noqa: ANN204
        every = 0
        for m in type(self):
            every |= int(m)
        return type(self)(every & ~int(self))


class StrEnum(str, metaclass=_EnumType):
    """An enumeration of ``str`` members, as ``class X(str, enum.Enum)`` (``str()`` and
    ``format()`` give ``X.NAME``, as Python 3.11's do for such a class)."""

    _base_ = str
    _name_: str
    _value_: object
    name = _Member.name
    value = _Member.value
    __repr__ = _Member.__repr__
    __reduce_ex__ = _Member.__reduce_ex__
    __copy__ = _Member.__copy__
    __deepcopy__ = _Member.__deepcopy__

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)
