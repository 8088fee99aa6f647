"""Tuples with named fields, as `collections.namedtuple` makes them, without importing
`collections`.

`collections` (with `itertools`, `keyword`, `operator` and `reprlib` behind it) and the
source text ``namedtuple`` compiles for each class cost a tracepoint counter's start-up
about 8% of its instructions (benchmarks/startup.py); `pybpf.isa`'s `Insn` and
`SourceLine` are on every front end's path. A class lists its ``_fields`` (and
``_field_defaults``), writes its own ``__new__``, and gets what a namedtuple has: a
read-only property per field, ``_make``, ``_replace``, ``_asdict``, the namedtuple
``repr``, ``__match_args__`` and pickling.

>>> class Point(FieldTuple):
...     __slots__ = ()
...     _fields = ("x", "y")
...     _field_defaults = {"y": 0}
...     def __new__(cls, x: int, y: int = 0) -> Point:
...         return tuple.__new__(cls, (x, y))
>>> p = Point(1)
>>> p, p.y, p._replace(y=2), p._asdict(), Point._make([3, 4]) == (3, 4)
(Point(x=1, y=0), 0, Point(x=1, y=2), {'x': 1, 'y': 0}, True)
"""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: this module exists to keep start-up imports small)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, ClassVar, TypeVar

    T = TypeVar("T", bound="FieldTuple")

    def _tuplegetter(index: int, doc: str) -> Any: ...
else:
    try:  # CPython's C field accessor (what namedtuple uses): a builtin module, no file to read
        from _collections import _tuplegetter
    except ImportError:  # pragma: no cover - other interpreters
        from operator import itemgetter

        def _tuplegetter(index, doc):
            return property(itemgetter(index), doc=doc)

__all__ = ["FieldTuple"]


class FieldTuple(tuple):  # (each subclass fixes its fields)
    """Base of a tuple whose class names its fields in ``_fields`` (see the module)."""

    __slots__ = ()
    if TYPE_CHECKING:
        _fields: ClassVar[tuple[str, ...]]
        _field_defaults: ClassVar[dict[str, Any]]
    else:
        _fields = ()
        _field_defaults = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_fields" in cls.__dict__:
            for index, name in enumerate(cls._fields):
                setattr(cls, name, _tuplegetter(index, f"Alias for field number {index}"))
            setattr(cls, "__match_args__", cls._fields)  # noqa: B010 - (a class of its own)

    @classmethod
    def _make(cls: type[T], iterable: Iterable[Any]) -> T:
        """A new instance from a sequence or iterable of every field's value."""
        result = tuple.__new__(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self: T, **changes: Any) -> T:
        """A copy with the named fields replaced by new values."""
        result = self._make([changes.pop(name, value) for name, value in zip(self._fields, self)])
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return result

    def _asdict(self) -> dict[str, Any]:
        """A dict mapping each field name to its value."""
        return dict(zip(self._fields, self))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"{type(self).__name__}({inner})"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)
