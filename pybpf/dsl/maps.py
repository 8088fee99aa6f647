"""Maps declared in Python, used with dict syntax inside probes and read from userspace.

>>> from pybpf.dsl.maps import HashMap
>>> from pybpf.dsl.types import u32, u64
>>> counts = HashMap(u32, u64, max_entries=1024)
>>> counts.decl("counts").type, counts.decl("counts").value_size
('hash', 8)

After a `Session` has loaded the probes, ``counts.items()`` reads the kernel map and
decodes keys and values to the declared types.
"""

from __future__ import annotations

from ..errors import PybpfError
from ..isa.mapspec import MapSpec
from .types import ArrayType, IntType, Struct, is_struct, u32, u64

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

__all__ = ["ArrayMap", "DslMap", "Global", "HashMap", "Histogram", "LruHashMap", "PerCpuArrayMap",
           "PerCpuHashMap", "PerfBuf", "RingBuf", "StackTrace", "format_histogram"]


class DslMap:
    """Base of map declarations: key/value types, size, and the bound kernel map."""

    kind = ""
    percpu = False

    def __init__(self, key: Any, value: Any, max_entries: int = 10240, *, flags: int = 0) -> None:
        for what, t in (("key", key), ("value", value)):
            if t is not None and not isinstance(t, (IntType, ArrayType)) and not is_struct(t):
                raise TypeError(f"map {what} type must be a DSL type (u32, char[16], a Struct), "
                                f"got {t!r}")
        self.key = key
        self.value = value
        self.max_entries = max_entries
        self.flags = flags
        self.name: str | None = None
        self.kernel: Any = None  # the pybpf.kernel Map once loaded

    def decl(self, name: str) -> MapSpec:
        """The `MapSpec` this map compiles to."""
        return MapSpec(name, self.kind, self.key.size if self.key else 0,
                       self.value.size if self.value else 0, self.max_entries, self.flags)

    # -- userspace side -------------------------------------------------------------------
    def _bound(self) -> Any:
        if self.kernel is None:
            raise PybpfError(f"map {self.name or '?'} is not loaded (load its probes in a Session)")
        return self.kernel

    def _decode_value(self, raw: bytes) -> Any:
        if self.percpu:
            size = (self.value.size + 7) // 8 * 8
            return [self.value.decode(raw[i:i + self.value.size]) for i in range(0, len(raw), size)]
        return self.value.decode(raw)

    def items(self) -> Iterator[tuple[Any, Any]]:
        """(key, value) pairs decoded to the declared types (per-CPU maps: a list per key)."""
        m = self._bound()
        for kraw in list(m.keys_raw()):
            vraw = m.lookup_raw(kraw)
            if vraw is not None:
                yield self.key.decode(kraw), self._decode_value(vraw)

    def __getitem__(self, key: Any) -> Any:
        raw = self._bound().lookup_raw(self.key.encode(key))
        if raw is None:
            raise KeyError(key)
        return self._decode_value(raw)

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __setitem__(self, key: Any, value: Any) -> None:
        """Set an entry; for a per-CPU map a list (one value per CPU) or one value for all."""
        if self.percpu:
            from ..uapi.cpus import possible_cpus

            n = possible_cpus()
            values = list(value) if isinstance(value, (list, tuple)) else [value] * n
            size = (self.value.size + 7) // 8 * 8
            raw = b"".join(self.value.encode(v).ljust(size, b"\0") for v in values)
            self._bound().update(self.key.encode(key), raw)
            return
        self._bound().update(self.key.encode(key), self.value.encode(value))

    def clear(self) -> None:
        m = self._bound()
        for kraw in list(m.keys_raw()):
            try:
                m.delete(kraw)
            except Exception:  # noqa: BLE001 - entries of an array map cannot be deleted
                return


class HashMap(DslMap):
    """``HashMap(u32, u64, max_entries=...)``: ``m[k] += 1``, ``m.get(k, 0)``, ``del m[k]``."""

    kind = "hash"


class LruHashMap(HashMap):
    kind = "lru_hash"


class PerCpuHashMap(HashMap):
    kind = "percpu_hash"
    percpu = True


class ArrayMap(DslMap):
    """``ArrayMap(u64, max_entries=N)``: u32 keys 0..N-1, always present."""

    kind = "array"

    def __init__(self, value: Any, max_entries: int = 1, *, flags: int = 0) -> None:
        super().__init__(u32, value, max_entries, flags=flags)


class PerCpuArrayMap(ArrayMap):
    kind = "percpu_array"
    percpu = True


class Histogram(ArrayMap):
    """A log2 histogram: ``hist.log2(value)`` in a probe increments slot floor(log2(value)).

    From userspace `format` prints it like bpftrace's ``hist()``.
    """

    def __init__(self, slots: int = 64) -> None:
        super().__init__(u64, slots)

    def buckets(self) -> list[int]:
        m = self._bound()
        out = [0] * self.max_entries
        for i in range(self.max_entries):
            raw = m.lookup_raw(u32.encode(i))
            out[i] = u64.decode(raw) if raw else 0
        return out

    def format(self, unit: str = "") -> str:
        return format_histogram(self.buckets(), unit)


class Global(DslMap):
    """A global variable (``total = Global(u64)``): in probes ``total.value`` reads, assigns
    and ``+=`` (atomically for u32/u64) through the map value's direct address, as clang's
    ``.bss`` globals do; from userspace after load, `read` and `write`.
    """

    kind = "array"

    def __init__(self, typ: Any, initial: int = 0) -> None:
        if not isinstance(typ, IntType):
            raise TypeError(f"Global holds a number type (u32, u64, ...), got {typ!r}")
        super().__init__(u32, typ, 1)
        self.initial = initial

    def decl(self, name: str) -> MapSpec:
        d = super().decl(name)
        d.initial = self.value.encode(self.initial) if self.initial else None
        return d

    def read(self) -> int:
        return int(self[0])

    def write(self, v: int) -> None:
        self[0] = v


class RingBuf(DslMap):
    """``RingBuf(Event, size=1 << 16)``: ``events.output(e)`` in a probe; records arrive as
    ``Event`` instances in userspace (`Session.poll`)."""

    kind = "ringbuf"

    def __init__(self, event: type[Struct], size: int = 1 << 16) -> None:
        if not is_struct(event):
            raise TypeError(f"RingBuf takes the event Struct class, got {event!r}")
        if size < 4096 or size & (size - 1):
            raise ValueError(f"ring buffer size must be a power of 2 >= 4096, got {size}")
        super().__init__(None, None, size)
        self.event = event

    def decl(self, name: str) -> MapSpec:
        return MapSpec(name, "ringbuf", 0, 0, self.max_entries)


class PerfBuf(DslMap):
    """``PerfBuf(Event)``: ``events.output(ctx, e)`` (perf_event_output on the current CPU)."""

    kind = "perf_event_array"

    def __init__(self, event: type[Struct]) -> None:
        super().__init__(None, None, 0)
        self.event = event

    def decl(self, name: str) -> MapSpec:
        from ..uapi.cpus import possible_cpus

        return MapSpec(name, "perf_event_array", 4, 4, possible_cpus())


class StackTrace(DslMap):
    """``StackTrace(depth=127)``: ``stacks.get_stackid(ctx, flags)`` returns an s64 id."""

    kind = "stack_trace"

    def __init__(self, depth: int = 32, max_entries: int = 1024) -> None:
        super().__init__(u32, u64[depth], max_entries)
        self.depth = depth

    def stack(self, stack_id: int) -> list[int]:
        """The addresses of stack ``stack_id`` (zeros dropped)."""
        raw = self._bound().lookup_raw(u32.encode(stack_id))
        return [a for a in (self.value.decode(raw) if raw else []) if a]


def format_histogram(buckets: list[int], unit: str = "", bar: int = 52) -> str:
    """A `Histogram`'s log2 slots in bpftrace's layout (label in 16 columns, count in 8, a
    52-wide bar). Slot 0 holds 0 and 1 (``log2()`` of both is 0): it is labelled ``[0, 2)``;
    slot i > 0 holds [2^i, 2^(i+1)). For bpftrace's own ``[0]`` and ``[1]`` buckets use a
    `pybpf.dsl.AutoMap` with ``hist()``. ``unit`` is appended to the title line's caller, not to
    the labels (kept for compatibility, ignored).

    >>> print(format_histogram([2, 1, 0, 4]))
    [0, 2)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
    [2, 4)                 1 |@@@@@@@@@@@@@                                       |
    [4, 8)                 0 |                                                    |
    [8, 16)                4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
    """
    last = max((i for i, c in enumerate(buckets) if c), default=-1)
    if last < 0:
        return "(empty)"
    first = min(i for i, c in enumerate(buckets) if c)
    top = max(buckets)
    lines = []
    for i in range(first, last + 1):
        lo, hi = (0, 2) if i == 0 else (1 << i, 1 << (i + 1))
        n = buckets[i]
        width = int(n / top * bar) if top else 0
        label = f"[{_human(lo)}, {_human(hi)})"
        lines.append(f"{label:<16}{n:>8} |{'@' * width:<{bar}}|")
    return "\n".join(lines)


def _human(n: int) -> str:
    for suffix, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)

