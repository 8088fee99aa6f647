"""bpftrace-style maps: `AutoMap` is typed by its first use, `Maps` holds maps by name (``at.name``).

An `AutoMap` needs no declared key or value type: the first probe that writes it fixes them,
like bpftrace's ``@name[key] = value``. Keys are ints, strings (``comm()``, ``str(p)``, a
literal), stacks (``kstack()``, ``ustack()``) or tuples of those (``m[pid(), comm()]``); a
map without a key (``at.usecs = hist(v)``) has one entry. Values are plain ints or strings,
or aggregations that keep one value per CPU and are summed when read:

================  ==========================  =====================================
in a probe        kept per key                 read from Python (`AutoMap.items`)
================  ==========================  =====================================
``count()``       u64                          int
``sum(v)``        s64                          int
``min(v)``        s64 (and whether it is set)  int
``max(v)``        s64 (and whether it is set)  int
``avg(v)``        count, total                 int (total // count, as bpftrace)
``stats(v)``      count, total                 (count, average, total)
``hist(v)``       u64 per log2 bucket          list of 65 bucket counts
``lhist(v,a,b,s)`` u64 per linear bucket       list of buckets (below, each step, above)
================  ==========================  =====================================

>>> at = Maps()
>>> at.start is at.start, at.start.label, at.anonymous.label
(True, '@start', '@')
>>> hist_bucket(0), hist_bucket(1), hist_bucket(2), hist_bucket(3), hist_bucket(4), hist_bucket(-1)
(1, 2, 3, 3, 4, 0)
>>> lhist_bucket(5, 0, 100, 10), lhist_bucket(-3, 0, 100, 10), lhist_bucket(150, 0, 100, 10)
(1, 0, 11)
"""

from __future__ import annotations

import struct

from .._record import record
from ..errors import DslError, PybpfError
from ..isa.mapspec import MapSpec
from .maps import DslMap
from .stubs import Pending

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["AGGREGATIONS", "KeyPart", "AutoMap", "Maps", "Slot", "StackRef", "hist_bucket", "lhist_bucket"]

#: aggregation functions and the bytes of their per-CPU value
AGGREGATIONS = {"count": 8, "sum": 8, "min": 16, "max": 16, "avg": 16, "stats": 16, "hist": 8,
                "lhist": 8}
HIST_BUCKETS = 65  # bpftrace: (..., 0), [0], [1], [2, 4) ... [2^62, 2^63)


def hist_bucket(v: int) -> int:
    """bpftrace's log2 bucket of ``v``: 0 for negatives, 1 for 0, 2 for 1, then
    ``floor(log2(v)) + 2`` (so [2, 4) is bucket 3)."""
    if v < 0:
        return 0
    if v == 0:
        return 1
    return v.bit_length() + 1


def lhist_bucket(v: int, lo: int, hi: int, step: int) -> int:
    """bpftrace's linear bucket: 0 below ``lo``, ``(v - lo) // step + 1`` inside, and
    ``(hi - lo) // step + 1`` at or above ``hi``."""
    if v < lo:
        return 0
    if v >= hi:
        return (hi - lo) // step + 1
    return (v - lo) // step + 1


@record(frozen=True)
class KeyPart:
    """One element of a map key: ``int`` (8 bytes, ``signed`` or not), ``str`` (``size``
    bytes), ``kstack``/``ustack`` (a stack id; a user stack also keeps the pid)."""

    kind: str
    size: int = 8
    signed: bool = False

    @property
    def slot(self) -> int:
        return (self.size + 7) // 8 * 8


@record(frozen=True)
class StackRef:
    """A stack as a map key or value: its id in the stack map, and the pid for user stacks."""

    kernel: bool
    stack_id: int
    pid: int = 0


class AutoMap(DslMap):
    """A hash map typed by its first use in a probe (see the module doc)."""

    kind = "hash"

    def __init__(self, max_entries: int = 4096, *, label: str | None = None) -> None:
        super().__init__(None, None, max_entries)
        self.label = label  # how bpftrace prints it: "@name" or "@"
        self.parts: list[KeyPart] | None = None  # None: not typed yet; []: no key
        self.agg: str | None = None  # int | str | count | sum | min | max | avg | stats | hist | lhist
        self.value_size = 0
        self.signed = True
        self.lhist_range: tuple[int, int, int] | None = None
        self.stack_map: Any = None  # the StackTrace map stack keys refer to

    # -- typing (by the compiler) -----------------------------------------------------------
    @property
    def typed(self) -> bool:
        return self.agg is not None

    @property
    def percpu(self) -> bool:  # type: ignore[override]  # a property over the DslMap class attribute
        return self.agg in AGGREGATIONS

    @property
    def bucketed(self) -> bool:
        return self.agg in ("hist", "lhist")

    def key_offsets(self) -> list[int]:
        out, pos = [], 0
        for p in self.parts or []:
            out.append(pos)
            pos += p.slot
        return out

    @property
    def key_size(self) -> int:
        size = sum(p.slot for p in self.parts or [])
        if self.bucketed:
            size += 8
        return size or 8

    def decl(self, name: str) -> MapSpec:
        if not self.typed:
            raise DslError(f"map {self.label or name} is never assigned in a probe, so its type "
                           "is unknown")
        kind = "percpu_hash" if self.percpu else "hash"
        return MapSpec(name, kind, self.key_size, self.value_size, self.max_entries)

    # -- reading from userspace ---------------------------------------------------------------
    def _decode_key(self, raw: bytes) -> Any:
        parts = self.parts or []
        vals: list[Any] = []
        for p, off in zip(parts, self.key_offsets(), strict=True):
            chunk = raw[off:off + p.size]
            if p.kind == "int":
                vals.append(int.from_bytes(chunk[:8], "little", signed=p.signed))
            elif p.kind == "str":
                vals.append(chunk.split(b"\0", 1)[0].decode(errors="replace"))
            else:
                word = int.from_bytes(chunk[:8], "little")
                sid = word & 0xFFFFFFFF
                vals.append(StackRef(p.kind == "kstack", sid - (1 << 32) if sid >> 31 else sid,
                                     word >> 32))
        if not parts:
            return None
        return vals[0] if len(vals) == 1 else tuple(vals)

    def _cpu_values(self, raw: bytes) -> list[bytes]:
        if not self.percpu:
            return [raw]
        size = (self.value_size + 7) // 8 * 8
        return [raw[i:i + self.value_size] for i in range(0, len(raw), size)]

    def _reduce(self, raws: list[bytes]) -> Any:
        agg = self.agg
        if agg == "str":
            return raws[0][:self.value_size].split(b"\0", 1)[0].decode(errors="replace")
        if agg in ("int", "count", "sum", "hist", "lhist"):
            signed = self.signed and agg in ("int", "sum")
            return sum(int.from_bytes(r[:8], "little", signed=signed) for r in raws)
        if agg in ("min", "max"):
            set_values = [struct.unpack_from("<q", r)[0] for r in raws
                          if struct.unpack_from("<Q", r, 8)[0]]
            if not set_values:
                return 0
            return min(set_values) if agg == "min" else max(set_values)
        count = sum(struct.unpack_from("<Q", r)[0] for r in raws)
        total = sum(struct.unpack_from("<q", r, 8)[0] for r in raws)
        avg = int(total / count) if count else 0  # C division truncates toward zero
        return avg if agg == "avg" else (count, avg, total)

    def items(self) -> Iterator[tuple[Any, Any]]:
        """(key, value) pairs: keys decoded (an int, a str, a tuple, None without a key),
        values reduced over CPUs; hist/lhist maps give a list of bucket counts per key."""
        m = self._bound()
        if not self.bucketed:
            for kraw in list(m.keys_raw()):
                vraw = m.lookup_raw(kraw)
                if vraw is not None:
                    yield self._decode_key(kraw), self._reduce(self._cpu_values(vraw))
            return
        nb = HIST_BUCKETS if self.agg == "hist" else self._lhist_buckets()
        out: dict[bytes, list[int]] = {}
        for kraw in list(m.keys_raw()):
            vraw = m.lookup_raw(kraw)
            if vraw is None:
                continue
            prefix, bucket = kraw[:-8], int.from_bytes(kraw[-8:], "little")
            if 0 <= bucket < nb:
                out.setdefault(prefix, [0] * nb)[bucket] += self._reduce(self._cpu_values(vraw))
        for prefix, buckets in out.items():
            yield self._decode_key(prefix), buckets

    def _lhist_buckets(self) -> int:
        lo, hi, step = self.lhist_range or (0, 0, 1)
        return (hi - lo) // step + 2

    def __getitem__(self, key: Any) -> Any:
        """The value of ``key`` (summed over CPUs). Before any probe has used the map (so in an
        `on` line that Python evaluates), ``at.m[k]`` is a `Pending` slot: ``.count()``,
        ``.set(v)``, ``.hist(v)``... are actions of the probe."""
        if self.kernel is None and not self.typed:
            return Slot(f"{self.label or '?'}[...]")
        for k, v in self.items():
            if k == key:
                return v
        raise KeyError(key)

    # -- actions of an `on` probe on a map without a key (``at.usecs.hist(v)``) ---------------
    def count(self) -> Pending:
        """``at.m.count()`` in an `on` probe: ``@m = count()``."""
        return Slot(f"{self.label}").count()

    def set(self, value: Any) -> Pending:
        """``at.m.set(v)`` in an `on` probe: ``@m = v``."""
        return Slot(f"{self.label}").set(value)

    def sum(self, value: Any) -> Pending:
        """``at.m.sum(v)`` in an `on` probe: ``@m = sum(v)``."""
        return Slot(f"{self.label}").sum(value)

    def min(self, value: Any) -> Pending:
        """``at.m.min(v)`` in an `on` probe: ``@m = min(v)``."""
        return Slot(f"{self.label}").min(value)

    def max(self, value: Any) -> Pending:
        """``at.m.max(v)`` in an `on` probe: ``@m = max(v)``."""
        return Slot(f"{self.label}").max(value)

    def avg(self, value: Any) -> Pending:
        """``at.m.avg(v)`` in an `on` probe: ``@m = avg(v)``."""
        return Slot(f"{self.label}").avg(value)

    def stats(self, value: Any) -> Pending:
        """``at.m.stats(v)`` in an `on` probe: ``@m = stats(v)``."""
        return Slot(f"{self.label}").stats(value)

    def hist(self, value: Any) -> Pending:
        """``at.m.hist(v)`` in an `on` probe: ``@m = hist(v)``."""
        return Slot(f"{self.label}").hist(value)

    def lhist(self, value: Any, lo: Any, hi: Any, step: Any) -> Pending:
        """``at.m.lhist(v, lo, hi, step)`` in an `on` probe: ``@m = lhist(v, lo, hi, step)``."""
        return Slot(f"{self.label}").lhist(value, lo, hi, step)

    def clear(self) -> None:
        m = self._bound()
        for kraw in list(m.keys_raw()):
            try:
                m.delete(kraw)
            except PybpfError:
                pass

    def zero(self) -> None:
        """Every value set to zero, keys kept (bpftrace's ``zero()``)."""
        m = self._bound()
        for kraw in list(m.keys_raw()):
            vraw = m.lookup_raw(kraw)
            if vraw is not None:
                try:
                    m.update(kraw, bytes(len(vraw)))
                except PybpfError:
                    pass

    def __repr__(self) -> str:
        return f"AutoMap({self.label or '?'}, {self.agg or 'untyped'})"


class Slot(Pending):
    """``at.m[k]`` as Python sees it in an `on` line: its actions (``.count()``, ``.set(v)``,
    ``.hist(v)``...) are probe statements (``@m[k] = count()``), compiled from the line's source.

    >>> Maps()[1].count()
    <@[...] = count(): computed in a probe, not in Python>
    """

    __slots__ = ()

    def set(self, *value: Any) -> Pending:
        """``at.m[k].set(v)`` in an `on` probe: ``@m[k] = v``."""
        return Pending(f"{self._text} = ...")


def _action(agg: str) -> Any:
    def act(self: Slot, *args: Any) -> Pending:
        return Pending(f"{self._text} = {agg}({'...' if args else ''})")

    act.__name__ = agg
    act.__doc__ = f"``at.m[k].{agg}(...)`` in an `on` probe: ``@m[k] = {agg}(...)``."
    return act


for _agg in AGGREGATIONS:
    setattr(Slot, _agg, _action(_agg))


class Maps:
    """bpftrace's ``@`` namespace: ``at.name`` is an `AutoMap` made on first use; ``at[key]`` is
    the anonymous map ``@`` (printed ``@[key]: value``).

    >>> at = Maps()
    >>> sorted(m.label for m in (at.b, at.a, at.anonymous))
    ['@', '@a', '@b']
    """

    _maps: dict[str, AutoMap]
    _max_entries: int

    def __init__(self, max_entries: int = 4096) -> None:
        object.__setattr__(self, "_maps", {})
        object.__setattr__(self, "_max_entries", max_entries)

    def get(self, name: str) -> AutoMap:
        maps: dict[str, AutoMap] = self._maps
        if name not in maps:
            maps[name] = AutoMap(self._max_entries, label=f"@{name}")
        return maps[name]

    def __getattr__(self, name: str) -> AutoMap:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    @property
    def anonymous(self) -> AutoMap:
        return self.get("")

    def __setattr__(self, name: str, value: Any) -> None:
        raise PybpfError(f"at.{name} = ... runs only inside a probe")

    def __iter__(self) -> Iterator[AutoMap]:
        return iter(list(self._maps.values()))

    def __getitem__(self, key: Any) -> Any:
        return self.anonymous[key]
