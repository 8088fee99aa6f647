"""VM-side maps that behave like the kernel's map kinds.

Keys and values are ``bytes`` of the declared sizes. Each stored value is a
``bytearray`` that stays the same object while the element lives, so the VM
can hand a program a stable pointer to it (its own memory region) exactly as
``bpf_map_lookup_elem`` does. Return codes are the kernel's (``-ENOENT``,
``-EEXIST``, ``-E2BIG``...).

Kinds: ``hash``, ``array``, ``percpu_hash``, ``percpu_array``, ``lru_hash``,
``lru_percpu_hash``, ``queue``, ``stack``, ``ringbuf``, ``perf_event_array``,
``array_of_maps``, ``hash_of_maps``, ``prog_array``.

>>> m = make_map("hash", key_size=4, value_size=8, max_entries=2)
>>> m.update((1).to_bytes(4, "little"), (7).to_bytes(8, "little"))
0
>>> int.from_bytes(m.lookup((1).to_bytes(4, "little")), "little")
7
"""

from __future__ import annotations

import errno
from collections import OrderedDict, deque
from typing import Any

from ..errors import PybpfError

#: ``flags`` of map updates (uapi BPF_ANY, BPF_NOEXIST, BPF_EXIST).
ANY, NOEXIST, EXIST = 0, 1, 2
#: Size of a ring buffer record header (uapi BPF_RINGBUF_HDR_SZ).
RINGBUF_HDR = 8


class VMMap:
    """Base of every VM map: name, kind, sizes, and the kernel-style API."""

    kind = ""
    #: values are read-only to programs (BPF_F_RDONLY_PROG: libbpf's frozen .rodata)
    rdonly_prog = False

    def __init__(self, name: str = "", *, key_size: int = 0, value_size: int = 0,
                 max_entries: int = 1, ncpus: int = 1) -> None:
        self.name = name or self.kind
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.ncpus = ncpus
        self.cpu = 0

    def _check_key(self, key: bytes) -> bytes:
        key = bytes(key)
        if len(key) != self.key_size:
            raise PybpfError(f"map {self.name!r}: key is {len(key)} bytes, expected {self.key_size}")
        return key

    def _check_value(self, value: bytes) -> bytes:
        value = bytes(value)
        if len(value) != self.value_size:
            raise PybpfError(f"map {self.name!r}: value is {len(value)} bytes, "
                             f"expected {self.value_size}")
        return value

    def lookup(self, key: bytes) -> bytearray | None:
        """The live value for ``key`` (this CPU's for per-CPU maps), or None."""
        raise PybpfError(f"map {self.name!r} ({self.kind}) does not support lookup")

    def update(self, key: bytes, value: bytes, flags: int = ANY) -> int:
        """Insert or replace; 0 or a negative errno."""
        return -errno.EINVAL

    def delete(self, key: bytes) -> int:
        """Remove ``key``; 0 or a negative errno."""
        return -errno.EINVAL

    def lookup_raw(self, key: bytes) -> bytes | None:
        """A copy of the value for ``key`` (what userspace's lookup returns), or None."""
        v = self.lookup(key)
        return None if v is None else bytes(v)

    def items(self) -> list[tuple[bytes, bytes]]:
        """Every (key, value) as userspace would iterate them (this CPU's values)."""
        return []

    def snapshot(self) -> dict[bytes, bytes]:
        """The contents as ``{key: value}`` bytes, for comparing with the kernel's map."""
        return dict(self.items())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class HashMap(VMMap):
    """``BPF_MAP_TYPE_HASH``: at most ``max_entries`` keys, -E2BIG when full."""

    kind = "hash"

    def __init__(self, name: str = "", **kw: Any) -> None:
        super().__init__(name, **kw)
        self.elems: OrderedDict[bytes, bytearray] = OrderedDict()

    def lookup(self, key: bytes) -> bytearray | None:
        return self.elems.get(self._check_key(key))

    def _make_room(self) -> bool:
        return False

    def update(self, key: bytes, value: bytes, flags: int = ANY) -> int:
        key, value = self._check_key(key), self._check_value(value)
        if flags not in (ANY, NOEXIST, EXIST):
            return -errno.EINVAL
        cur = self.elems.get(key)
        if cur is not None:
            if flags == NOEXIST:
                return -errno.EEXIST
            cur[:] = value
            return 0
        if flags == EXIST:
            return -errno.ENOENT
        if len(self.elems) >= self.max_entries and not self._make_room():
            return -errno.E2BIG
        self.elems[key] = bytearray(value)
        return 0

    def delete(self, key: bytes) -> int:
        return 0 if self.elems.pop(self._check_key(key), None) is not None else -errno.ENOENT

    def items(self) -> list[tuple[bytes, bytes]]:
        return [(k, bytes(v)) for k, v in self.elems.items()]


class LruHashMap(HashMap):
    """``BPF_MAP_TYPE_LRU_HASH``: a full map evicts its least recently used key."""

    kind = "lru_hash"

    def lookup(self, key: bytes) -> bytearray | None:
        key = self._check_key(key)
        v = self.elems.get(key)
        if v is not None:
            self.elems.move_to_end(key)
        return v

    def _make_room(self) -> bool:
        self.elems.popitem(last=False)
        return True


class ArrayMap(VMMap):
    """``BPF_MAP_TYPE_ARRAY``: ``max_entries`` zeroed values, u32 keys, no delete."""

    kind = "array"

    def __init__(self, name: str = "", **kw: Any) -> None:
        kw["key_size"] = kw.get("key_size") or 4
        super().__init__(name, **kw)
        self.values = [bytearray(self.value_size) for _ in range(self.max_entries)]

    def _index(self, key: bytes) -> int:
        return int.from_bytes(self._check_key(key), "little")

    def lookup(self, key: bytes) -> bytearray | None:
        i = self._index(key)
        return self.values[i] if i < self.max_entries else None

    def update(self, key: bytes, value: bytes, flags: int = ANY) -> int:
        i = self._index(key)
        value = self._check_value(value)
        if i >= self.max_entries:
            return -errno.E2BIG
        if flags == NOEXIST:
            return -errno.EEXIST
        if flags not in (ANY, EXIST):
            return -errno.EINVAL
        self.values[i][:] = value
        return 0

    def delete(self, key: bytes) -> int:
        return -errno.EINVAL

    def items(self) -> list[tuple[bytes, bytes]]:
        return [(i.to_bytes(self.key_size, "little"), bytes(v)) for i, v in enumerate(self.values)]


class PerCpuArrayMap(ArrayMap):
    """``BPF_MAP_TYPE_PERCPU_ARRAY``: one value per CPU; programs see their CPU's."""

    kind = "percpu_array"

    def __init__(self, name: str = "", **kw: Any) -> None:
        super().__init__(name, **kw)
        self.per_cpu = [[bytearray(self.value_size) for _ in range(self.max_entries)]
                        for _ in range(self.ncpus)]
        self.values = self.per_cpu[0]

    def lookup(self, key: bytes) -> bytearray | None:
        i = self._index(key)
        return self.per_cpu[self.cpu][i] if i < self.max_entries else None

    def update(self, key: bytes, value: bytes, flags: int = ANY) -> int:
        self.values = self.per_cpu[self.cpu]
        return super().update(key, value, flags)

    def lookup_all(self, key: bytes) -> list[bytearray]:
        """Every CPU's value for ``key`` (what userspace sees)."""
        i = self._index(key)
        return [cpu[i] for cpu in self.per_cpu]

    def items(self) -> list[tuple[bytes, bytes]]:
        return [(i.to_bytes(self.key_size, "little"), bytes(v))
                for i, v in enumerate(self.per_cpu[self.cpu])]


class PerCpuHashMap(HashMap):
    """``BPF_MAP_TYPE_PERCPU_HASH``: one value per CPU per key."""

    kind = "percpu_hash"

    def __init__(self, name: str = "", **kw: Any) -> None:
        super().__init__(name, **kw)
        self.per_cpu: OrderedDict[bytes, list[bytearray]] = OrderedDict()

    def lookup(self, key: bytes) -> bytearray | None:
        vals = self.per_cpu.get(self._check_key(key))
        return None if vals is None else vals[self.cpu]

    def update(self, key: bytes, value: bytes, flags: int = ANY) -> int:
        key, value = self._check_key(key), self._check_value(value)
        vals = self.per_cpu.get(key)
        if vals is not None:
            if flags == NOEXIST:
                return -errno.EEXIST
            vals[self.cpu][:] = value
            return 0
        if flags == EXIST:
            return -errno.ENOENT
        if len(self.per_cpu) >= self.max_entries and not self._make_room():
            return -errno.E2BIG
        vals = [bytearray(self.value_size) for _ in range(self.ncpus)]
        vals[self.cpu][:] = value
        self.per_cpu[key] = vals
        return 0

    def delete(self, key: bytes) -> int:
        return 0 if self.per_cpu.pop(self._check_key(key), None) is not None else -errno.ENOENT

    def items(self) -> list[tuple[bytes, bytes]]:
        return [(k, bytes(v[self.cpu])) for k, v in self.per_cpu.items()]

    def _make_room(self) -> bool:
        return False


class LruPerCpuHashMap(PerCpuHashMap):
    """``BPF_MAP_TYPE_LRU_PERCPU_HASH``."""

    kind = "lru_percpu_hash"

    def lookup(self, key: bytes) -> bytearray | None:
        key = self._check_key(key)
        vals = self.per_cpu.get(key)
        if vals is None:
            return None
        self.per_cpu.move_to_end(key)
        return vals[self.cpu]

    def _make_room(self) -> bool:
        self.per_cpu.popitem(last=False)
        return True


class QueueMap(VMMap):
    """``BPF_MAP_TYPE_QUEUE`` (FIFO); `StackMap` is the LIFO twin. No keys."""

    kind = "queue"
    lifo = False

    def __init__(self, name: str = "", **kw: Any) -> None:
        kw["key_size"] = 0
        super().__init__(name, **kw)
        self.elems: deque[bytes] = deque()

    def push(self, value: bytes, flags: int = ANY) -> int:
        """``bpf_map_push_elem``: -E2BIG when full unless ``flags`` is BPF_EXIST."""
        value = self._check_value(value)
        if len(self.elems) >= self.max_entries:
            if flags != EXIST:
                return -errno.E2BIG
            self.elems.popleft()  # BPF_EXIST drops the oldest element (queue and stack)
        self.elems.append(value)
        return 0

    def pop(self) -> bytes | None:
        if not self.elems:
            return None
        return self.elems.pop() if self.lifo else self.elems.popleft()

    def peek(self) -> bytes | None:
        if not self.elems:
            return None
        return self.elems[-1] if self.lifo else self.elems[0]

    def update(self, key: bytes, value: bytes, flags: int = ANY) -> int:
        return self.push(value, flags)


class StackMap(QueueMap):
    """``BPF_MAP_TYPE_STACK`` (LIFO)."""

    kind = "stack"
    lifo = True


class RingBufMap(VMMap):
    """``BPF_MAP_TYPE_RINGBUF``: ``max_entries`` bytes; ``records`` holds submitted data."""

    kind = "ringbuf"

    def __init__(self, name: str = "", **kw: Any) -> None:
        kw["key_size"] = 0
        kw["value_size"] = 0
        super().__init__(name, **kw)
        self.records: list[bytes] = []
        self.used = 0

    @staticmethod
    def footprint(size: int) -> int:
        """Bytes a record of ``size`` takes: header plus data rounded up to 8."""
        return RINGBUF_HDR + (size + 7) // 8 * 8

    def reserve(self, size: int) -> bool:
        """Account for a record of ``size`` bytes; False when it does not fit."""
        need = self.footprint(size)
        if self.used + need > self.max_entries:
            return False
        self.used += need
        return True

    def commit(self, data: bytes | None, size: int) -> None:
        """A reserved record is submitted (``data``) or discarded (None)."""
        if data is not None:
            self.records.append(bytes(data))

    def consume(self) -> list[bytes]:
        """Take every submitted record (as a reader would) and free the space."""
        out, self.records, self.used = self.records, [], 0
        return out


class PerfEventArrayMap(VMMap):
    """``BPF_MAP_TYPE_PERF_EVENT_ARRAY``: ``records`` holds ``(cpu, data)`` of each
    ``bpf_perf_event_output`` (a reader on every CPU, none ever full)."""

    kind = "perf_event_array"

    def __init__(self, name: str = "", **kw: Any) -> None:
        kw["key_size"] = kw.get("key_size") or 4
        kw["value_size"] = kw.get("value_size") or 4
        super().__init__(name, **kw)
        self.records: list[tuple[int, bytes]] = []

    def consume(self) -> list[bytes]:
        """Take every record's data (as a reader would)."""
        out, self.records = [data for _cpu, data in self.records], []
        return out


class MapOfMaps(VMMap):
    """``BPF_MAP_TYPE_ARRAY_OF_MAPS`` / ``HASH_OF_MAPS``: slots hold VM maps; a lookup from a
    program gives the inner map itself (what ``bpf_map_lookup_elem`` returns there)."""

    kind = "array_of_maps"

    def __init__(self, name: str = "", **kw: Any) -> None:
        kw["key_size"] = kw.get("key_size") or 4
        kw["value_size"] = 4
        super().__init__(name, **kw)
        self.inner: dict[bytes, VMMap] = {}

    def set(self, key: bytes, inner: VMMap) -> None:
        key = self._check_key(key)
        if self.kind == "array_of_maps" and int.from_bytes(key, "little") >= self.max_entries:
            raise PybpfError(f"map {self.name!r}: index {int.from_bytes(key, 'little')} out of "
                             f"range 0..{self.max_entries - 1}")
        self.inner[key] = inner

    def inner_map(self, key: bytes) -> VMMap | None:
        return self.inner.get(self._check_key(key))

    def delete(self, key: bytes) -> int:
        return 0 if self.inner.pop(self._check_key(key), None) is not None else -errno.ENOENT


class HashOfMaps(MapOfMaps):
    kind = "hash_of_maps"


class ProgArrayMap(VMMap):
    """``BPF_MAP_TYPE_PROG_ARRAY``: slot -> `ProgramSpec` for ``bpf_tail_call``."""

    kind = "prog_array"

    def __init__(self, name: str = "", **kw: Any) -> None:
        kw["key_size"] = kw.get("key_size") or 4
        kw["value_size"] = kw.get("value_size") or 4
        super().__init__(name, **kw)
        self.progs: dict[int, Any] = {}

    def __setitem__(self, index: int, program: Any) -> None:
        if not 0 <= index < self.max_entries:
            raise PybpfError(f"prog array {self.name!r}: index {index} out of range "
                             f"0..{self.max_entries - 1}")
        self.progs[index] = program

    def __delitem__(self, index: int) -> None:
        self.progs.pop(index, None)


MAP_KINDS: dict[str, type[VMMap]] = {
    cls.kind: cls for cls in (HashMap, LruHashMap, ArrayMap, PerCpuArrayMap, PerCpuHashMap,
                              LruPerCpuHashMap, QueueMap, StackMap, RingBufMap, PerfEventArrayMap,
                              MapOfMaps, HashOfMaps, ProgArrayMap)
}


def make_map(kind: str, name: str = "", *, key_size: int = 0, value_size: int = 0,
             max_entries: int = 1, ncpus: int = 1) -> VMMap:
    """A VM map of kernel kind ``kind`` (``"hash"``, ``"array"``, ``"ringbuf"``...).

    >>> make_map("array", value_size=4, max_entries=1).lookup(bytes(4))
    bytearray(b'\\x00\\x00\\x00\\x00')
    """
    cls = MAP_KINDS.get(kind.lower().removeprefix("bpf_map_type_"))
    if cls is None:
        raise PybpfError(f"the VM has no map of kind {kind!r} "
                         f"(supported: {', '.join(sorted(MAP_KINDS))})")
    return cls(name, key_size=key_size, value_size=value_size, max_entries=max_entries,
               ncpus=ncpus)


#: Flags libbpf sets on global data (uapi BPF_F_RDONLY_PROG).
BPF_F_RDONLY_PROG = 1 << 7


class OpaqueMap(VMMap):
    """A map of a kind the VM does not model: it exists (its address can be loaded),
    and any helper on it faults naming the kind."""

    def __init__(self, name: str, kind: str, **kw: Any) -> None:
        self.kind = kind
        super().__init__(name, **kw)


def vm_map(decl: Any, name: str, *, ncpus: int = 1) -> VMMap:
    """The VM map of declaration ``decl`` (initial value set, ``.rodata`` read-only).

    >>> from pybpf.isa import MapSpec
    >>> m = vm_map(MapSpec(".data", "array", 4, 8, 1, initial=b"\\x07" + bytes(7)), ".data")
    >>> m.lookup_raw(bytes(4))[0]
    7
    """
    m: VMMap
    kind = decl.type
    if isinstance(kind, int):  # a MapSpec made from a kernel map: the uapi number
        from ..uapi import MAP_TYPES, type_name

        kind = type_name(MAP_TYPES, kind)
    try:
        m = make_map(kind, name, key_size=decl.key_size, value_size=decl.value_size,
                     max_entries=max(decl.max_entries, 1), ncpus=ncpus)
    except PybpfError:
        m = OpaqueMap(name, str(kind), key_size=decl.key_size, value_size=decl.value_size,
                      max_entries=decl.max_entries, ncpus=ncpus)
    if decl.initial is not None and isinstance(m, ArrayMap):
        init = bytes(decl.initial)[:decl.value_size]
        m.values[0][:len(init)] = init
    m.rdonly_prog = bool(decl.flags & BPF_F_RDONLY_PROG)
    return m
