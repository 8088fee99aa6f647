"""The map kinds beyond the hash and array families: LPM trie, map-in-map, fd arrays, queue,
stack, bloom filter, stack traces, device and socket maps, ring buffers, arena.

Imported at their first use (`pybpf.kernel.maps.kinds` and the package name them, and
`pybpf.kernel.maps.map_class` of one of their types imports them): a class costs a
process's start-up as much as a few hundred lines run, and most programs create a hash or
an array map alone.
"""
from __future__ import annotations

import errno
import os

from ... import uapi as A
from ...errors import KernelError, PybpfError
from ..fd import FD
from ..syscall import Cmd
from .base import Map, MapSpecError, register
from .codec import CodecError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "LpmTrieMap", "ArrayOfMaps", "HashOfMaps", "ProgArrayMap", "PerfEventArrayMap", "RingBufMap",
    "UserRingBufMap", "QueueMap", "StackMap", "BloomFilterMap", "StackTraceMap", "CgroupArrayMap",
    "DevMap", "DevMapHash", "CpuMap", "XskMap", "SockMap", "SockHash",
    "ReuseportSockArrayMap", "ArenaMap",
]

_PAGE = os.sysconf("SC_PAGE_SIZE")  # (mmap.PAGESIZE: mmap is imported by memory() alone)


def _fd_of(obj: Any, what: str) -> int:
    """An fd from an FD object, a socket/file object or an int."""
    if isinstance(obj, FD):
        return obj.fd
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    fileno = getattr(obj, "fileno", None)
    if fileno is not None:
        return int(fileno())
    raise CodecError("value", f"expected {what} (an object with an fd, or an fd number), "
                     f"got {type(obj).__name__}")



@register
class LpmTrieMap(Map):
    """``BPF_MAP_TYPE_LPM_TRIE``: longest-prefix-match keys ``(prefixlen, address bytes)``.

    Keys are written and read as tuples ``(prefixlen, data)`` where data is the
    ``key_size - 4`` address bytes (network order); a lookup returns the value of the
    longest stored prefix matching ``data``. Needs BPF_F_NO_PREALLOC (added for you).

    >>> t = LpmTrieMap.create(MapSpec(key_size=8, value_type="<I", max_entries=16))  # doctest: +SKIP
    >>> t[(8, bytes([10, 0, 0, 0]))] = 1; t[(32, bytes([10, 1, 2, 3]))]      # doctest: +SKIP
    1
    """

    TYPE = "lpm_trie"
    REQUIRED_FLAGS = A.BPF_F_NO_PREALLOC
    BATCH = False

    @classmethod
    def _check(cls, key_size: int, value_size: int, max_entries: int, flags: int, inner: Any) -> None:
        if key_size <= 4:
            raise MapSpecError("key_size", "an lpm_trie key is a 4-byte prefix length followed by "
                               "the address bytes: key_size must be > 4 (8 for IPv4, 20 for IPv6)")

    def __init__(self, fd: int, **kw: Any) -> None:
        super().__init__(fd, **kw)
        base = self.key_codec
        size = self.key_size

        def encode(obj: Any) -> bytes:
            if isinstance(obj, tuple) and len(obj) == 2:
                plen, data = obj
                data = bytes(data)
                if len(data) != size - 4:
                    raise CodecError("key", f"lpm_trie address must be {size - 4} bytes, got {len(data)}")
                if not 0 <= plen <= 8 * (size - 4):
                    raise CodecError("key", f"prefix length {plen} out of range 0..{8 * (size - 4)}")
                return plen.to_bytes(4, "little") + data
            return base.encode(obj)

        def decode(raw: bytes) -> tuple[int, bytes]:
            return int.from_bytes(raw[:4], "little"), raw[4:]

        self.key_codec = type(base)(size, "key", encode, decode, "lpm (prefixlen, bytes)")


class _MapOfMaps(Map):
    """Map-in-map: values are inner maps (write a `Map`, read its id; `get_map` opens it)."""

    VALUE_SIZE = 4
    VALUE_TYPE = int

    @classmethod
    def _check(cls, key_size: int, value_size: int, max_entries: int, flags: int, inner: Any) -> None:
        if inner is None:
            raise MapSpecError("inner_map", f"a {cls.TYPE} map needs inner_map= (a map whose shape "
                               "every inner map must have)")

    def _value(self, value: Any) -> bytes:
        return _fd_of(value, "a Map").to_bytes(4, "little")

    def get_map(self, key: Any, *, key_type: Any = None, value_type: Any = None) -> Map:
        """Open the inner map stored at ``key`` (by its id)."""
        return Map.from_id(self.lookup(key), key_type=key_type, value_type=value_type)


@register
class ArrayOfMaps(_MapOfMaps):
    """``BPF_MAP_TYPE_ARRAY_OF_MAPS``."""

    TYPE = "array_of_maps"
    KEY_SIZE = 4
    KEY_TYPE = int


@register
class HashOfMaps(_MapOfMaps):
    """``BPF_MAP_TYPE_HASH_OF_MAPS``."""

    TYPE = "hash_of_maps"


class _FdArray(Map):
    """Arrays whose values are fds of other objects (written as objects, read as ids)."""

    KEY_SIZE = 4
    KEY_TYPE = int
    VALUE_SIZE = 4
    VALUE_TYPE = int
    BATCH = False
    _WHAT = "an fd"

    def _value(self, value: Any) -> bytes:
        return _fd_of(value, self._WHAT).to_bytes(4, "little")


@register
class ProgArrayMap(_FdArray):
    """``BPF_MAP_TYPE_PROG_ARRAY``: tail-call targets; write a `Program`, read its id."""

    TYPE = "prog_array"
    _WHAT = "a Program"


@register
class PerfEventArrayMap(_FdArray):
    """``BPF_MAP_TYPE_PERF_EVENT_ARRAY``: perf event fds, one slot per CPU by default."""

    TYPE = "perf_event_array"
    _WHAT = "a perf event"


@register
class CgroupArrayMap(_FdArray):
    """``BPF_MAP_TYPE_CGROUP_ARRAY``: cgroup directory fds (for bpf_skb_under_cgroup)."""

    TYPE = "cgroup_array"
    _WHAT = "a cgroup directory"


class _NoKeyMap(Map):
    """Kinds without keys (queue, stack, bloom filter)."""

    KEY_SIZE = 0
    BATCH = False

    def keys_raw(self):
        raise PybpfError(f"{self._detail()}: a {self.TYPE} map has no keys to iterate")


class _QueueLike(_NoKeyMap):
    def push(self, value: Any, *, overwrite: bool = False) -> None:
        """Add ``value``; with ``overwrite=True`` a full map drops its oldest element
        (BPF_EXIST), otherwise a full map raises KernelError E2BIG."""
        self._elem(Cmd.MAP_UPDATE_ELEM, None, self._value(value),
                   A.BPF_EXIST if overwrite else A.BPF_ANY)

    def pop(self, default: Any = KeyError) -> Any:
        """Remove and return the next element; KeyError (or ``default``) when empty."""
        return self._take(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, default)

    def peek(self, default: Any = KeyError) -> Any:
        """Return the next element without removing it; KeyError (or ``default``) when empty."""
        return self._take(Cmd.MAP_LOOKUP_ELEM, default)

    def _take(self, cmd: Cmd, default: Any) -> Any:
        out = bytearray(self.value_size)
        try:
            self._elem(cmd, None, out)
        except KernelError as e:
            if e.errno == errno.ENOENT:
                if default is KeyError:
                    raise KeyError(f"{self.TYPE} map {self.name!r} is empty") from None
                return default
            raise
        return self.value_codec.decode(bytes(out))

    def drain(self) -> list[Any]:
        """Pop every element."""
        out = []
        sentinel = object()
        while (v := self.pop(sentinel)) is not sentinel:
            out.append(v)
        return out

    def count(self) -> int:
        raise PybpfError(f"{self._detail()}: a {self.TYPE} map cannot be counted without popping; "
                         "use drain()")


@register
class QueueMap(_QueueLike):
    """``BPF_MAP_TYPE_QUEUE``: FIFO of values (push/pop/peek)."""

    TYPE = "queue"


@register
class StackMap(_QueueLike):
    """``BPF_MAP_TYPE_STACK``: LIFO of values (push/pop/peek)."""

    TYPE = "stack"


@register
class BloomFilterMap(_NoKeyMap):
    """``BPF_MAP_TYPE_BLOOM_FILTER``: ``add`` values, test with ``in`` (no false negatives).

    ``map_extra`` (at creation) is the number of hash functions (default 5).
    """

    TYPE = "bloom_filter"

    def add(self, value: Any) -> None:
        self._elem(Cmd.MAP_UPDATE_ELEM, None, self._value(value), A.BPF_ANY)

    push = add

    def __contains__(self, value: Any) -> bool:
        try:
            self._elem(Cmd.MAP_LOOKUP_ELEM, None, self._value(value))
        except KernelError as e:
            if e.errno == errno.ENOENT:
                return False
            raise
        return True

    def count(self) -> int:
        raise PybpfError(f"{self._detail()}: a bloom filter cannot be counted")


@register
class StackTraceMap(Map):
    """``BPF_MAP_TYPE_STACK_TRACE``: stack id -> array of instruction pointers (u64).

    value_size is ``8 * depth`` (127 frames by default). `stack` returns the
    non-zero addresses of one id.
    """

    TYPE = "stack_trace"
    KEY_SIZE = 4
    KEY_TYPE = int
    BATCH = False

    @classmethod
    def _check(cls, key_size: int, value_size: int, max_entries: int, flags: int, inner: Any) -> None:
        if value_size % 8:
            raise MapSpecError("value_size", "a stack_trace value is an array of u64 addresses "
                               "(8 * depth bytes)")

    def stack(self, stack_id: int) -> list[int]:
        raw = self.lookup_raw(stack_id.to_bytes(4, "little"))
        if raw is None:
            raise KeyError(stack_id)
        addrs = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
        return [a for a in addrs if a]


class _IfIndexMap(_FdArray):
    """devmap/cpumap: value is 4 bytes (ifindex / queue size) or 8 (plus a program fd)."""

    @classmethod
    def _size_ok(cls, field: str, size: int) -> bool:
        return field == "value_size" and size == 8

    def _value(self, value: Any) -> bytes:
        return self.value_codec.encode(value)


@register
class DevMap(_IfIndexMap):
    """``BPF_MAP_TYPE_DEVMAP``: XDP redirect targets by ifindex."""

    TYPE = "devmap"


@register
class DevMapHash(_IfIndexMap):
    """``BPF_MAP_TYPE_DEVMAP_HASH``: XDP redirect targets keyed by any u32."""

    TYPE = "devmap_hash"


@register
class CpuMap(_IfIndexMap):
    """``BPF_MAP_TYPE_CPUMAP``: XDP redirect to CPUs; value is the queue size (u32)."""

    TYPE = "cpumap"


@register
class XskMap(_FdArray):
    """``BPF_MAP_TYPE_XSKMAP``: AF_XDP socket fds."""

    TYPE = "xskmap"
    _WHAT = "an AF_XDP socket"


class _SockMapBase(Map):
    """Socket maps: write a socket (or its fd); lookups return the socket cookie, which needs
    the default 8-byte value (a 4-byte value map can be written but not read)."""

    VALUE_TYPE = int
    VALUE_SIZE = 8
    BATCH = False

    @classmethod
    def _size_ok(cls, field: str, size: int) -> bool:
        return field == "value_size" and size == 4

    def _value(self, value: Any) -> bytes:
        return _fd_of(value, "a socket").to_bytes(self.value_size, "little")


@register
class SockMap(_SockMapBase):
    """``BPF_MAP_TYPE_SOCKMAP``: sockets by index; write a socket, read its cookie."""

    TYPE = "sockmap"
    KEY_SIZE = 4
    KEY_TYPE = int


@register
class SockHash(_SockMapBase):
    """``BPF_MAP_TYPE_SOCKHASH``: sockets by any key; write a socket, read its cookie."""

    TYPE = "sockhash"


@register
class ReuseportSockArrayMap(_SockMapBase):
    """``BPF_MAP_TYPE_REUSEPORT_SOCKARRAY``: SO_REUSEPORT sockets by index."""

    TYPE = "reuseport_sockarray"
    KEY_SIZE = 4
    KEY_TYPE = int


class _RingMap(Map):
    """Ring buffers: no keys or values; ``max_entries`` is the data size in bytes (a power of
    two multiple of the page size). Read them with `pybpf.kernel.ringbuf`."""

    KEY_SIZE = 0
    VALUE_SIZE = 0
    BATCH = False

    @classmethod
    def _check(cls, key_size: int, value_size: int, max_entries: int, flags: int, inner: Any) -> None:
        if max_entries % _PAGE or max_entries & (max_entries - 1):
            raise MapSpecError("max_entries", f"a {cls.TYPE} size must be a power of two multiple "
                               f"of the page size ({_PAGE}), got {max_entries}")

    @property
    def size(self) -> int:
        """The data area size in bytes."""
        return self.max_entries

    def _no_elems(self, *_a: Any, **_k: Any) -> Any:
        raise PybpfError(f"{self._detail()}: a {self.TYPE} map has no elements; read it with a "
                         "ring buffer reader")

    lookup = update = delete = _no_elems
    __getitem__ = __setitem__ = __delitem__ = _no_elems

    def keys_raw(self):
        return self._no_elems()

    def __contains__(self, key: Any) -> bool:
        return self._no_elems()


@register
class RingBufMap(_RingMap):
    """``BPF_MAP_TYPE_RINGBUF``: kernel -> user ring buffer."""

    TYPE = "ringbuf"


@register
class UserRingBufMap(_RingMap):
    """``BPF_MAP_TYPE_USER_RINGBUF``: user -> kernel ring buffer."""

    TYPE = "user_ringbuf"


@register
class ArenaMap(_RingMap):
    """``BPF_MAP_TYPE_ARENA``: pages shared by programs and user space; ``max_entries`` is the
    number of pages (BPF_F_MMAPABLE is added for you). No elements."""

    TYPE = "arena"
    REQUIRED_FLAGS = A.BPF_F_MMAPABLE

    @classmethod
    def _check(cls, key_size: int, value_size: int, max_entries: int, flags: int, inner: Any) -> None:
        pass

    @property
    def size(self) -> int:
        return self.max_entries * _PAGE
