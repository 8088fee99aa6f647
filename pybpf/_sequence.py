"""`SequenceMethods`: ``in``, ``index``, ``count`` and ``reversed`` for a read-only sequence
class that has ``__iter__`` (and ``__len__``/``__getitem__``) of its own.

What `collections.abc.Sequence` would mix in, without importing `collections.abc` on the
paths that start a probe (`pybpf.kernel.records.Records`, `pybpf.kernel.maps.batch.BatchItems`).

>>> class Letters(SequenceMethods):
...     __slots__ = ()
...     def __iter__(self):
...         return iter("abca")
>>> "c" in Letters(), Letters().index("c"), Letters().count("a"), list(reversed(Letters()))
(True, 2, 2, ['a', 'c', 'b', 'a'])
"""
from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: start-up paths)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["SequenceMethods"]


class SequenceMethods:
    """Sequence methods in terms of the class's own ``__iter__`` (each walks the items)."""

    __slots__ = ()

    if TYPE_CHECKING:  # (every user class defines it; the methods below walk it)
        def __iter__(self) -> Iterator[Any]: ...

    def __contains__(self, item: object) -> bool:
        return any(x == item for x in self)

    def __reversed__(self) -> Iterator[Any]:
        return reversed(list(self))

    def index(self, item: object) -> int:
        """The position of the first item equal to ``item`` (ValueError if none)."""
        for i, x in enumerate(self):
            if x == item:
                return i
        raise ValueError(f"{item!r} is not in {type(self).__name__}")

    def count(self, item: object) -> int:
        """How many items equal ``item``."""
        return sum(1 for x in self if x == item)
