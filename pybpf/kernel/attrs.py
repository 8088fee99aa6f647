"""pybpf's own ``union bpf_attr`` layouts and bpf() constants.

The layouts and enum values are generated from the running kernel's BTF by
``tools/gen_attrs.py`` into `attrs_table` (never typed by hand, never read from
the system's older ``<linux/bpf.h>``). This module wraps them:

- `Layout`: one attribute struct (``MAP_CREATE``, ``PROG_LOAD``, ``TEST``...) or
  info struct (``PROG_INFO``, ``MAP_INFO``...), packing keyword fields into a
  zeroed ``bytearray`` and reading them back;
- `map_type`, `prog_type`, `attach_type`, `link_type`: kernel names (lower
  case, no prefix) or numbers -> numbers, with a clear error for unknown names;
- flag constants: ``BPF_ANY``, ``BPF_F_MMAPABLE``... (from the kernel's
  anonymous enums) and the few that the uapi header only has as ``#define``
  (program flags, test-run flags, log levels), which BTF cannot carry.

>>> attr = MAP_CREATE.new(map_type=map_type("hash"), key_size=4, value_size=8, max_entries=16)
>>> MAP_CREATE.get(attr, "value_size"), len(attr) == MAP_CREATE.size
(8, True)
>>> prog_type("xdp") == PROG_TYPES["xdp"]
True
"""
from __future__ import annotations

import struct
from collections.abc import Mapping

from ..errors import PybpfError
from .attrs_table import (
    ATTACH_TYPES,
    FLAGS,
    LAYOUTS,
    LINK_TYPES,
    MAP_TYPES,
    PERF_EVENT_TYPES,
    PROG_TYPES,
)

__all__ = [
    "Layout", "MAP_TYPES", "PROG_TYPES", "ATTACH_TYPES", "LINK_TYPES", "PERF_EVENT_TYPES", "FLAGS",
    "map_type", "prog_type", "attach_type", "link_type", "type_name",
    "MAP_CREATE", "MAP_ELEM", "BATCH", "PROG_LOAD", "OBJ", "PROG_ATTACH", "TEST", "GET_ID",
    "INFO", "QUERY", "RAW_TRACEPOINT", "BTF_LOAD", "TASK_FD_QUERY", "LINK_CREATE", "LINK_UPDATE",
    "LINK_DETACH", "ENABLE_STATS", "ITER_CREATE", "PROG_BIND_MAP", "PROG_INFO", "MAP_INFO",
    "BTF_INFO", "LINK_INFO",
]

_INT_CODES = {("u", 1): "B", ("u", 2): "H", ("u", 4): "I", ("u", 8): "Q",
              ("i", 1): "b", ("i", 2): "h", ("i", 4): "i", ("i", 8): "q"}


class Layout:
    """The byte layout of one kernel struct: field name -> offset, size, kind.

    Integer fields take ints; ``char[]`` fields take ``str`` or ``bytes`` (NUL
    padded, must leave room for the terminating NUL); pointer fields (``__u64``)
    take the integer address. Unknown fields and values that do not fit raise
    `PybpfError` naming the struct and field.

    >>> TEST.get(TEST.new(repeat=3), "repeat")
    3
    """

    __slots__ = ("name", "size", "fields")

    def __init__(self, name: str, size: int, fields: Mapping[str, tuple[int, int, int, int, str]]):
        self.name = name
        self.size = size
        self.fields = dict(fields)

    def __repr__(self) -> str:
        return f"Layout({self.name!r}, size={self.size}, fields={len(self.fields)})"

    def _field(self, name: str) -> tuple[int, int, int, int, str]:
        try:
            return self.fields[name]
        except KeyError:
            raise PybpfError(f"{self.name}: no field {name!r} in this kernel's layout "
                             f"(known: {', '.join(self.fields)})") from None

    def offset(self, name: str) -> int:
        """The byte offset of field ``name``."""
        return self._field(name)[0]

    def new(self, /, **values: int | str | bytes) -> bytearray:
        """A zeroed buffer of this struct's size with ``values`` written in."""
        buf = bytearray(self.size)
        self.set(buf, **values)
        return buf

    def set(self, buf: bytearray, /, **values: int | str | bytes) -> None:
        """Write fields into ``buf`` in place."""
        for name, value in values.items():
            off, size, bit, bits, code = self._field(name)
            if code in ("s", "b"):
                data = value.encode() if isinstance(value, str) else bytes(value)  # type: ignore[arg-type]
                limit = size - 1 if code == "s" else size
                if len(data) > limit:
                    raise PybpfError(f"{self.name}.{name}: {len(data)} bytes do not fit in {limit}")
                buf[off:off + size] = data.ljust(size, b"\0")
                continue
            if not isinstance(value, int):
                raise PybpfError(f"{self.name}.{name}: expected an integer, got {type(value).__name__}")
            if bits:
                if not 0 <= value < (1 << bits):
                    raise PybpfError(f"{self.name}.{name}: {value} does not fit in {bits} bits")
                word = int.from_bytes(buf[off:off + size], "little")
                mask = ((1 << bits) - 1) << bit
                word = (word & ~mask) | (value << bit)
                buf[off:off + size] = word.to_bytes(size, "little")
                continue
            lo = -(1 << (8 * size - 1))  # a negative value is stored two's complement
            mask = (1 << (8 * size)) - 1
            # a signed field (__s32 token fds, ifindex...) reads back what was written only
            # within its signed range; an unsigned one also takes -1 and friends as all-ones
            hi = mask >> 1 if code == "i" else mask
            if not lo <= value <= hi:
                kind = "signed" if code == "i" else "unsigned"
                raise PybpfError(f"{self.name}.{name}: {value} does not fit in a {kind} "
                                 f"{8 * size}-bit field ({lo}..{hi})")
            buf[off:off + size] = (value & mask).to_bytes(size, "little")

    def get(self, buf: bytes | bytearray | memoryview, name: str) -> int | bytes:
        """Read one field: an int, or bytes (up to the first NUL for ``char[]``)."""
        off, size, bit, bits, code = self._field(name)
        raw = bytes(buf[off:off + size])
        if len(raw) < size:
            return 0 if code in ("u", "i") else b""
        if code == "s":
            return raw.split(b"\0", 1)[0]
        if code == "b":
            return raw
        value = int.from_bytes(raw, "little", signed=code == "i")
        if bits:
            value = (value >> bit) & ((1 << bits) - 1)
        return value

    def unpack(self, buf: bytes | bytearray | memoryview) -> dict[str, int | bytes]:
        """Every field of ``buf`` as a dict (a short buffer reads as zeros past its end)."""
        return {name: self.get(buf, name) for name in self.fields}

    def packer(self, *names: str) -> struct.Struct:
        """A precompiled ``struct.Struct`` packing integer fields ``names`` (in that order)
        at their offsets, for hot paths; fields must be given in increasing offset order.

        >>> s = MAP_ELEM.packer("map_fd", "key", "value", "flags")
        >>> s.size <= MAP_ELEM.size
        True
        """
        fmt, pos = "<", 0
        for name in names:
            off, size, _bit, bits, code = self._field(name)
            if bits or code not in ("u", "i") or off < pos:
                raise PybpfError(f"{self.name}.{name}: cannot be packed here")
            fmt += f"{off - pos}x" if off > pos else ""
            fmt += _INT_CODES[(code, size)]
            pos = off + size
        return struct.Struct(fmt)


def _layout(name: str) -> Layout:
    size, fields = LAYOUTS[name]
    return Layout(name, size, fields)


MAP_CREATE = _layout("map_create")
MAP_ELEM = _layout("map_elem")
BATCH = _layout("batch")
PROG_LOAD = _layout("prog_load")
OBJ = _layout("obj")
PROG_ATTACH = _layout("prog_attach")
TEST = _layout("test")
GET_ID = _layout("get_id")
INFO = _layout("info")
QUERY = _layout("query")
RAW_TRACEPOINT = _layout("raw_tracepoint")
BTF_LOAD = _layout("btf_load")
TASK_FD_QUERY = _layout("task_fd_query")
LINK_CREATE = _layout("link_create")
LINK_UPDATE = _layout("link_update")
LINK_DETACH = _layout("link_detach")
ENABLE_STATS = _layout("enable_stats")
ITER_CREATE = _layout("iter_create")
PROG_BIND_MAP = _layout("prog_bind_map")
PROG_INFO = _layout("prog_info")
MAP_INFO = _layout("map_info")
BTF_INFO = _layout("btf_info")
LINK_INFO = _layout("link_info")


def _lookup(table: Mapping[str, int], what: str, value: str | int) -> int:
    if isinstance(value, bool):
        raise PybpfError(f"{what}: expected a name or a number, got {value!r}")
    if isinstance(value, int):
        if value < 0 or value > 0xFFFFFFFF:
            raise PybpfError(f"{what}: {value} is out of range")
        return value
    if not isinstance(value, str):
        raise PybpfError(f"{what}: expected a name or a number, got {type(value).__name__}")
    key = value.lower()
    for prefix in ("bpf_map_type_", "bpf_prog_type_", "bpf_link_type_", "bpf_"):
        if key.startswith(prefix) and key[len(prefix):] in table:
            key = key[len(prefix):]
            break
    try:
        return table[key]
    except KeyError:
        close = [n for n in table if key in n or n in key][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise PybpfError(f"unknown {what} {value!r}{hint}; this kernel knows: "
                         f"{', '.join(n for n in table if n != 'unspec')}") from None


def map_type(value: str | int) -> int:
    """The number of a map type given by name (``"hash"``) or number.

    >>> map_type("ringbuf") == MAP_TYPES["ringbuf"]
    True
    """
    return _lookup(MAP_TYPES, "map type", value)


def prog_type(value: str | int) -> int:
    """The number of a program type given by name (``"xdp"``) or number."""
    return _lookup(PROG_TYPES, "program type", value)


def attach_type(value: str | int) -> int:
    """The number of an attach type given by name (``"cgroup_inet_ingress"``) or number."""
    return _lookup(ATTACH_TYPES, "attach type", value)


def link_type(value: str | int) -> int:
    """The number of a link type given by name or number."""
    return _lookup(LINK_TYPES, "link type", value)


def type_name(table: Mapping[str, int], value: int) -> str:
    """The kernel name of ``value`` in one of the type tables, or its number as text.

    >>> type_name(MAP_TYPES, MAP_TYPES["array"])
    'array'
    """
    for name, number in table.items():
        if number == value:
            return name
    return str(value)


# -- constants BTF cannot carry (uapi #defines), kernel names -------------------------------
#: BPF_PROG_LOAD prog_flags
BPF_F_STRICT_ALIGNMENT = 1 << 0
BPF_F_ANY_ALIGNMENT = 1 << 1
BPF_F_TEST_RND_HI32 = 1 << 2
BPF_F_TEST_STATE_FREQ = 1 << 3
BPF_F_SLEEPABLE = 1 << 4
BPF_F_XDP_HAS_FRAGS = 1 << 5
BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6
BPF_F_TEST_REG_INVARIANTS = 1 << 7
#: BPF_PROG_TEST_RUN flags
BPF_F_TEST_RUN_ON_CPU = 1 << 0
BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1
BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2
#: log_level bits
BPF_LOG_LEVEL1 = 1
BPF_LOG_LEVEL2 = 2
BPF_LOG_STATS = 4
#: BPF_PROG_ATTACH attach_flags
BPF_F_ALLOW_OVERRIDE = 1 << 0
BPF_F_ALLOW_MULTI = 1 << 1
BPF_F_REPLACE = 1 << 2
BPF_F_BEFORE = 1 << 3
BPF_F_AFTER = 1 << 4
BPF_F_ID = 1 << 5
BPF_F_QUERY_EFFECTIVE = 1 << 0
BPF_OBJ_NAME_LEN = 16
BPF_TAG_SIZE = 8
#: XDP attach flags (uapi if_link.h #defines), for BPF_LINK_CREATE on XDP
XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_FLAGS_SKB_MODE = 1 << 1
XDP_FLAGS_DRV_MODE = 1 << 2
XDP_FLAGS_HW_MODE = 1 << 3
XDP_FLAGS_REPLACE = 1 << 4

#: map update flags and map_flags, from the kernel's anonymous enums
BPF_ANY = FLAGS["BPF_ANY"]
BPF_NOEXIST = FLAGS["BPF_NOEXIST"]
BPF_EXIST = FLAGS["BPF_EXIST"]
BPF_F_LOCK = FLAGS["BPF_F_LOCK"]
BPF_F_NO_PREALLOC = FLAGS["BPF_F_NO_PREALLOC"]
BPF_F_NO_COMMON_LRU = FLAGS["BPF_F_NO_COMMON_LRU"]
BPF_F_NUMA_NODE = FLAGS["BPF_F_NUMA_NODE"]
BPF_F_RDONLY = FLAGS["BPF_F_RDONLY"]
BPF_F_WRONLY = FLAGS["BPF_F_WRONLY"]
BPF_F_ZERO_SEED = FLAGS["BPF_F_ZERO_SEED"]
BPF_F_RDONLY_PROG = FLAGS["BPF_F_RDONLY_PROG"]
BPF_F_WRONLY_PROG = FLAGS["BPF_F_WRONLY_PROG"]
BPF_F_MMAPABLE = FLAGS["BPF_F_MMAPABLE"]
BPF_F_INNER_MAP = FLAGS["BPF_F_INNER_MAP"]
BPF_F_LINK = FLAGS["BPF_F_LINK"]
