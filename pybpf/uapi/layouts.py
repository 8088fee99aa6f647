"""pybpf's own ``union bpf_attr`` layouts: one `Layout` per bpf() command family.

The layouts are generated from the running kernel's BTF into
`pybpf.uapi.generated.attrs_table` (never typed by hand, never read from the system's older
``<linux/bpf.h>``). `Layout` wraps one attribute struct (``MAP_CREATE``, ``PROG_LOAD``,
``TEST``...) or info struct (``PROG_INFO``, ``MAP_INFO``...), packing keyword fields into
a zeroed ``bytearray`` and reading them back. Packing bytes touches no kernel.

>>> attr = MAP_CREATE.new(map_type=2, key_size=4, value_size=8, max_entries=16)
>>> MAP_CREATE.get(attr, "value_size"), len(attr) == MAP_CREATE.size
(8, True)
"""
from __future__ import annotations

import struct

from ..errors import PybpfError
from .generated.attrs_table import LAYOUTS

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Layout", "MAP_CREATE", "MAP_ELEM", "BATCH", "PROG_LOAD", "OBJ", "PROG_ATTACH", "TEST",
    "GET_ID", "INFO", "QUERY", "RAW_TRACEPOINT", "BTF_LOAD", "TASK_FD_QUERY", "LINK_CREATE",
    "LINK_UPDATE", "LINK_DETACH", "ENABLE_STATS", "ITER_CREATE", "PROG_BIND_MAP", "PROG_INFO",
    "MAP_INFO", "BTF_INFO", "LINK_INFO",
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
                data = value.encode() if isinstance(value, str) else bytes(value)
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
