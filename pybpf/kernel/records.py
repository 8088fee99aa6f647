"""`Records`: the records one ring or perf buffer read returned, kept packed in one buffer.

`pybpf.kernel.ringbuf.RingBufReader.read_batch` and
`pybpf.kernel.perfbuf.PerfBufReader.read_batch` (readers without a dtype) return
a `Records`: a read-only sequence of ``bytes`` over ONE buffer the drain wrote,
record ``i`` being ``buffer[offsets[i]:offsets[i + 1]]``. A ``bytes`` object is
made only when a record is read (indexing, iterating, `Records.tolist`), so a
consumer that only counts records, or hands the payloads to numpy through
`Records.buffer`, never pays for one object per record (on CPython, making and
freeing a small ``bytes`` costs several times what the C drain spends copying
its payload).

>>> recs = Records.from_list([b"ab", b"cd", b"ef"])
>>> len(recs), recs[0], recs[-1], recs[1:], recs == [b"ab", b"cd", b"ef"]
(3, b'ab', b'ef', [b'cd', b'ef'], True)
>>> bytes(recs.buffer), recs.record_size, list(recs.offsets)
(b'abcdef', 2, [0, 2, 4, 6])
"""
from __future__ import annotations

import operator
import struct
from array import array
from itertools import accumulate, chain, repeat

from .._sequence import SequenceMethods

TYPE_CHECKING = False  # (not typing's: the readers' import path)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Any

__all__ = ["Records"]

#: records cut per struct call when all records have the same length
_CHUNK = 512
_SPLITTERS: dict[tuple[int, int], struct.Struct] = {}


def _splitter(length: int, count: int) -> struct.Struct:
    """A Struct unpacking ``count`` consecutive ``length``-byte strings in one call."""
    key = (length, count)
    s = _SPLITTERS.get(key)
    if s is None:
        if len(_SPLITTERS) > 256:
            _SPLITTERS.clear()
        s = _SPLITTERS[key] = struct.Struct(f"{length}s" * count)
    return s


def _readonly(buf: Any) -> memoryview:
    """A read-only, flat, unsigned-byte view of any contiguous buffer."""
    view = memoryview(buf)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view.toreadonly()


class Records(SequenceMethods):
    """A read-only sequence of ``bytes`` records packed in one buffer.

    ``Records(buffer, offsets)``: record ``i`` is ``buffer[offsets[i]:offsets[i + 1]]``
    (``offsets`` holds ``count + 1`` ascending positions); ``Records(buffer, size=s,
    count=n)``: ``n`` records of ``s`` bytes back to back from ``start``. The buffer is
    referenced, not copied: the caller must not change it afterwards (the readers hand a
    fresh buffer to each `Records`).

    ``len``, indexing (negative too; each read makes a new ``bytes``), slicing (a
    `Records` over the same buffer), iteration (``bytes`` made 512 at a time by one
    ``struct`` call when all records have the same length), ``==`` against any list or
    tuple of bytes-likes, ``+`` with lists and tuples (a new `Records`), ``in``,
    ``index``, ``count``, ``reversed`` and ``repr`` behave as a list of ``bytes``
    would; ``pickle`` and ``copy`` give a `Records` again. It is read-only: `tolist` makes
    the list (to sort it or append to it). Without copying: `buffer` (the payloads back to
    back), `offsets`, `record_size` (the common length, or None), `lengths`.

    Its ``in``, ``index`` and ``count`` come from `pybpf._sequence.SequenceMethods` (no
    `collections.abc.Sequence` base: the readers' import path).

    >>> recs = Records(b"aabbcc", size=2, count=3)
    >>> recs[-1], recs.tolist(), recs + [b"dd"]
    (b'cc', [b'aa', b'bb', b'cc'], [b'aa', b'bb', b'cc', b'dd'])
    >>> import numpy as np                                          # doctest: +SKIP
    >>> np.frombuffer(recs.buffer, dtype="<u2")                     # doctest: +SKIP
    array([24929, 25186, 25443], dtype=uint16)
    """

    __slots__ = ("_data", "_offs", "_size", "_start", "_n")

    def __init__(self, buffer: Any = b"", offsets: Sequence[int] | None = None, *,
                 size: int | None = None, count: int | None = None, start: int = 0) -> None:
        """See the class; ``Records()`` is empty."""
        data = _readonly(buffer)
        self._data = data
        self._start = start
        if offsets is not None:
            if size is not None:
                raise ValueError("Records takes offsets or a record size, not both")
            n = len(offsets) - 1
            if n < 0:
                raise ValueError("Records offsets need count + 1 entries (at least one)")
            if n and not 0 <= offsets[0] <= offsets[n] <= len(data):
                raise ValueError(f"Records offsets {offsets[0]}..{offsets[n]} fall outside "
                                 f"the {len(data)}-byte buffer")
            self._offs: Any = offsets
            self._size = -1
            self._n = n
            return
        self._offs = None
        if size is None:
            if len(data) != start:
                raise ValueError("Records of a non-empty buffer need offsets or a record size")
            size, count = 0, 0
        if size < 0 or start < 0:
            raise ValueError(f"Records size {size} and start {start} must not be negative")
        if count is None:
            count = (len(data) - start) // size if size else 0
        if count < 0 or start + count * size > len(data):
            raise ValueError(f"{count} records of {size} bytes from {start} do not fit the "
                             f"{len(data)}-byte buffer")
        self._size = size
        self._n = count

    # -- making ---------------------------------------------------------------------------------
    @classmethod
    def from_list(cls, items: Iterable[Any]) -> Records:
        """Pack a list (any iterable) of bytes-likes into one new `Records`."""
        items = list(items)
        lengths = list(map(len, items))
        data = b"".join(items)
        if not items:
            return cls()
        if min(lengths) == max(lengths):
            return cls(data, size=lengths[0], count=len(items))
        return cls(data, array("Q", accumulate(lengths, initial=0)))

    @classmethod
    def concat(cls, parts: Sequence[Records]) -> Records:
        """The records of ``parts`` one after the other, as one `Records` (one copy of the
        payloads, none when there is a single non-empty part)."""
        parts = [p for p in parts if p._n]
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls()
        data = b"".join(p.buffer for p in parts)
        sizes = {p._size for p in parts}
        if len(sizes) == 1 and -1 not in sizes:
            return cls(data, size=parts[0]._size, count=sum(p._n for p in parts))
        lengths = chain.from_iterable(p.lengths for p in parts)
        return cls(data, array("Q", accumulate(lengths, initial=0)))

    # -- zero-copy access ----------------------------------------------------------------------
    @property
    def buffer(self) -> memoryview:
        """The payloads back to back, a read-only memoryview (no copy): record ``i`` is
        ``buffer[offsets[i]:offsets[i + 1]]``."""
        if self._size >= 0:
            return self._data[self._start:self._start + self._n * self._size]
        offs = self._offs
        return self._data[offs[0]:offs[self._n]]

    @property
    def record_size(self) -> int | None:
        """The length every record has, or None when lengths differ (then see `offsets`)."""
        return self._size if self._size >= 0 else None

    @property
    def offsets(self) -> Sequence[int]:
        """``len + 1`` positions in `buffer`: a ``range`` when all records have one length,
        else the drain's own array (a memoryview of unsigned ints) when `buffer` starts
        at its first record, a copy otherwise."""
        if self._size >= 0:
            return range(0, (self._n + 1) * self._size, self._size) if self._size else \
                [0] * (self._n + 1)
        offs = self._offs
        base = offs[0]
        if base == 0:
            return offs
        return array("Q", [o - base for o in offs])

    @property
    def lengths(self) -> list[int]:
        """The length of each record (a new list)."""
        if self._size >= 0:
            return [self._size] * self._n
        offs = self._offs
        return list(map(operator.sub, offs[1:], offs[:-1]))

    # -- the sequence --------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def __iter__(self) -> Iterator[bytes]:
        n = self._n
        size = self._size
        if size > 0:
            start, data = self._start, self._data
            step = _CHUNK * size
            full, rest = divmod(n, _CHUNK)
            chunks: Iterable[tuple[Any, ...]] = map(_splitter(size, _CHUNK).unpack_from,
                                                    repeat(data, full),
                                                    range(start, start + full * step, step))
            if rest:
                chunks = chain(chunks, (_splitter(size, rest).unpack_from(data, start + full * step),))
            return chain.from_iterable(chunks)
        if size == 0:
            return repeat(b"", n)
        offs = self._offs
        whole = bytes(self._data[:offs[n]])  # one copy, then each record is cut from it
        return map(whole.__getitem__, map(slice, offs[:n], offs[1:n + 1]))

    def tolist(self) -> list[bytes]:
        """Every record as ``bytes``, in a new list."""
        size = self._size
        if size <= 0:
            return list(self)
        # one struct call per 512 records, each tuple's items appended at once (a list grown
        # item by item from an iterator costs twice as much a record)
        data, n = self._data, self._n
        result: list[bytes] = []
        step = _CHUNK * size
        full, rest = divmod(n, _CHUNK)
        unpack = _splitter(size, _CHUNK).unpack_from
        for at in range(self._start, self._start + full * step, step):
            result.extend(unpack(data, at))
        if rest:
            result.extend(_splitter(size, rest).unpack_from(data, self._start + full * step))
        return result

    def __getitem__(self, index: Any) -> Any:
        n = self._n
        if isinstance(index, slice):
            lo, hi, step = index.indices(n)
            if step != 1:
                return Records.from_list([self[i] for i in range(lo, hi, step)])
            hi = max(lo, hi)
            if self._size >= 0:
                return Records(self._data, size=self._size, count=hi - lo,
                               start=self._start + lo * self._size)
            return Records(self._data, self._offs[lo:hi + 1])
        try:
            i = index.__index__()
        except AttributeError:
            raise TypeError("Records indices must be integers or slices, not "
                            f"{type(index).__name__}") from None
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("Records index out of range")
        size = self._size
        if size >= 0:
            at = self._start + i * size
            return bytes(self._data[at:at + size])
        offs = self._offs
        return bytes(self._data[offs[i]:offs[i + 1]])

    def __reversed__(self) -> Iterator[bytes]:
        return reversed(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records):
            if other._n != self._n:
                return False
            if self._size == other._size >= 0:
                return self.buffer == other.buffer
            return all(map(operator.eq, self, other))
        if isinstance(other, (list, tuple)):
            return len(other) == self._n and all(map(operator.eq, self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (equal to lists: unhashable like them)

    def __add__(self, other: object) -> Records:
        if isinstance(other, Records):
            return Records.concat([self, other])
        if isinstance(other, (list, tuple)):
            return Records.concat([self, Records.from_list(other)])
        return NotImplemented

    def __radd__(self, other: object) -> Records:
        if isinstance(other, (list, tuple)):
            return Records.concat([Records.from_list(other), self])
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self.tolist())

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle (and copy) the payloads packed, with their lengths: a batch can be sent to
        another process as the list it stands for could."""
        if self._size >= 0:
            return _unpickle, (bytes(self.buffer), self._size, self._n, None)
        return _unpickle, (bytes(self.buffer), -1, self._n, list(self.offsets))


def _unpickle(data: bytes, size: int, count: int, offsets: list[int] | None) -> Records:
    """`Records.__reduce__`'s counterpart."""
    if offsets is not None:
        return Records(data, array("Q", offsets))
    return Records(data, size=size, count=count)
