"""Position arithmetic of the BPF ring buffer (``BPF_MAP_TYPE_RINGBUF``), pure.

The kernel shares three regions of a ring buffer map with userspace::

    page 0            consumer page: u64 consumer_pos       (mapped read-write)
    page 1            producer page: u64 producer_pos       (mapped read-only)
    page 2 ...        data, size bytes, mapped TWICE back to back (read-only)

Both positions only grow; the byte of the data area at position ``pos`` is at
offset ``pos & (size - 1)``. Each record starts with an 8-byte header::

    +--------------------------------+--------------------------------+
    | len: u32                       | pg_off: u32                    |
    |  bit 31 BUSY: not committed    |  pages from the ring's struct  |
    |  bit 30 DISCARD: skip it       |  (the kernel's, not ours)      |
    +--------------------------------+--------------------------------+

followed by ``len`` bytes of payload; the record takes ``round_up(len + 8, 8)``
bytes. A record that crosses the end of the data area is still contiguous in
the mapping because the data pages are mapped twice. The consumer reads
records from ``consumer_pos`` up to ``producer_pos``, stops at the first BUSY
one (a producer reserved it but has not committed it yet), skips DISCARD ones,
and publishes its new position so the producer can reuse the space.

This module is that arithmetic and nothing else (no mmap, no kernel), so it is
tested with hypothesis; the C drain loop (``src_c/ringbuf.c``) implements the
same walk with the right memory ordering, and `RingModel` simulates the
kernel's producer so both can be compared byte for byte.

>>> record_size(32)
40
>>> decode_len(encode_len(5, discard=True))
(5, False, True)
>>> m = RingModel(4096)
>>> m.output(b"hello")
True
>>> [(r.length, r.discarded) for r in walk(m.consumer, m.producer, m.size, m.read_u32)[0]]
[(5, False)]
"""
from __future__ import annotations

import struct
from collections.abc import Callable

from .._record import record

__all__ = [
    "HDR_SIZE", "BUSY_BIT", "DISCARD_BIT", "LEN_MASK", "MAX_RECORD_SIZE", "ALIGN",
    "round_up", "record_size", "encode_len", "decode_len", "ready_bytes", "data_offset",
    "check_ring_size", "fits", "Record", "walk", "RingModel", "mmap_layout",
]

#: Size of a record header (len + pg_off).
HDR_SIZE = 8
#: Record reserved but not committed yet: the consumer must stop there.
BUSY_BIT = 1 << 31
#: Record discarded by the program: the consumer skips it.
DISCARD_BIT = 1 << 30
#: The bits of the header's len word that hold the payload length.
LEN_MASK = 0xFFFFFFFF & ~(BUSY_BIT | DISCARD_BIT)
#: Largest payload the kernel accepts (``RINGBUF_MAX_RECORD_SZ``, UINT_MAX / 4).
MAX_RECORD_SIZE = 0xFFFFFFFF // 4
#: Records start on 8-byte boundaries.
ALIGN = 8

_U32 = struct.Struct("<I")
_HDR = struct.Struct("<II")


def round_up(n: int, align: int = ALIGN) -> int:
    """``n`` rounded up to a multiple of ``align`` (a power of two).

    >>> round_up(13), round_up(16)
    (16, 16)
    """
    return (n + align - 1) & ~(align - 1)


def record_size(length: int) -> int:
    """Bytes of ring a record with ``length`` bytes of payload takes (header included).

    >>> record_size(0), record_size(1), record_size(8)
    (8, 16, 16)
    """
    return round_up(length + HDR_SIZE)


def encode_len(length: int, *, busy: bool = False, discard: bool = False) -> int:
    """The header's len word for a payload of ``length`` bytes and the given flags."""
    if not 0 <= length <= LEN_MASK:
        raise ValueError(f"record length {length} does not fit in 30 bits")
    return length | (BUSY_BIT if busy else 0) | (DISCARD_BIT if discard else 0)


def decode_len(word: int) -> tuple[int, bool, bool]:
    """Split a header len word into ``(length, busy, discarded)``.

    >>> decode_len(0x80000010)
    (16, True, False)
    """
    return word & LEN_MASK, bool(word & BUSY_BIT), bool(word & DISCARD_BIT)


def ready_bytes(consumer: int, producer: int) -> int:
    """Bytes between the consumer and producer positions (headers included).

    Positions are unsigned 64-bit counters that only grow; the difference is
    taken modulo 2**64 like the kernel's ``unsigned long`` arithmetic.

    >>> ready_bytes(4088, 4136)
    48
    """
    return (producer - consumer) & ((1 << 64) - 1)


def data_offset(pos: int, size: int) -> int:
    """Offset in the data area of position ``pos`` (``size`` is a power of two).

    >>> data_offset(4100, 4096)
    4
    """
    return pos & (size - 1)


def check_ring_size(size: int, page_size: int = 4096) -> None:
    """Raise ValueError unless ``size`` is a valid ring size: a power of two, whole pages."""
    if size <= 0 or size & (size - 1):
        raise ValueError(f"ring buffer size {size} is not a power of two")
    if size % page_size:
        raise ValueError(f"ring buffer size {size} is not a multiple of the page size {page_size}")


def fits(consumer: int, producer: int, size: int, length: int) -> bool:
    """Whether the kernel can reserve ``length`` more bytes of payload.

    The producer may run at most ``size - 1`` bytes ahead of the consumer
    (``new_prod_pos - cons_pos > mask`` fails the reservation).

    >>> fits(0, 0, 4096, 4088 - 8), fits(0, 0, 4096, 4088)
    (True, False)
    """
    if length > MAX_RECORD_SIZE:
        return False
    return producer + record_size(length) - consumer <= size - 1


def mmap_layout(size: int, page_size: int = 4096) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((offset, length), (offset, length))`` of the two mappings a consumer makes.

    The consumer page read-write at offset 0, then the producer page plus the
    data area mapped twice, read-only, at offset ``page_size``.

    >>> mmap_layout(8192)
    ((0, 4096), (4096, 20480))
    """
    check_ring_size(size, page_size)
    return (0, page_size), (page_size, page_size + 2 * size)


@record(frozen=True)
class Record:
    """One record met by the consumer: its position, payload offset in the data area, length."""

    pos: int
    offset: int  # offset of the payload (after the header) in the double-mapped data area
    length: int
    discarded: bool

    @property
    def end(self) -> int:
        """Position of the next record."""
        return self.pos + record_size(self.length)


def walk(consumer: int, producer: int, size: int,
         read_u32: Callable[[int], int]) -> tuple[list[Record], int]:
    """The records a consumer may take, and its position afterwards.

    ``read_u32(offset)`` reads the len word of the header at ``offset`` of the
    data area. The walk stops at the producer position or at a BUSY record;
    discarded records are returned with ``discarded=True`` (the consumer skips
    their payload but still moves past them). Raises ValueError on a record
    that claims more bytes than were produced (a corrupt ring).
    """
    records: list[Record] = []
    pos = consumer
    while ready_bytes(pos, producer) > 0 and ready_bytes(pos, producer) < (1 << 63):
        off = data_offset(pos, size)
        length, busy, discarded = decode_len(read_u32(off))
        if busy:
            break
        if record_size(length) > ready_bytes(pos, producer):
            raise ValueError(f"corrupt ring buffer: record at position {pos} has length {length} "
                             f"but only {ready_bytes(pos, producer)} bytes were produced")
        records.append(Record(pos, off + HDR_SIZE, length, discarded))
        pos += record_size(length)
    return records, pos


class RingModel:
    """A userspace simulation of the kernel's producer side, for tests.

    ``data`` is the ring's data area (``size`` bytes); `double_mapped` gives
    the same bytes twice, as a consumer sees them. `reserve`/`commit` follow
    the kernel: a reserved record is BUSY until committed (or discarded), and
    a reservation fails when the producer would run ``size`` or more bytes
    ahead of the consumer.

    >>> m = RingModel(4096)
    >>> a = m.reserve(4); b = m.reserve(4)
    >>> m.commit(b)            # committed out of order: a is still BUSY
    >>> walk(m.consumer, m.producer, m.size, m.read_u32)[0]
    []
    """

    def __init__(self, size: int, page_size: int = 4096) -> None:
        check_ring_size(size, page_size)
        self.size = size
        self.page_size = page_size
        self.data = bytearray(size)
        self.consumer = 0
        self.producer = 0

    def _write(self, pos: int, payload: bytes) -> None:
        off = data_offset(pos, self.size)
        first = min(len(payload), self.size - off)
        self.data[off:off + first] = payload[:first]
        self.data[:len(payload) - first] = payload[first:]

    def read_u32(self, offset: int) -> int:
        """The u32 at ``offset`` of the data area (``offset`` < size, 8-aligned)."""
        return _U32.unpack_from(self.data, offset)[0]

    def double_mapped(self) -> bytes:
        """The data area as the consumer's mapping shows it: twice, back to back."""
        return bytes(self.data) * 2

    def reserve(self, length: int, payload: bytes | None = None) -> int | None:
        """Reserve a record (BUSY) holding ``payload`` (zeros by default); its position or None."""
        if not fits(self.consumer, self.producer, self.size, length):
            return None
        pos = self.producer
        self.producer += record_size(length)
        body = (payload if payload is not None else bytes(length)).ljust(length, b"\0")[:length]
        pg_off = (data_offset(pos, self.size) // self.page_size) & 0xFFFFFFFF
        self._write(pos, _HDR.pack(encode_len(length, busy=True), pg_off) + body)
        return pos

    def commit(self, pos: int, *, discard: bool = False) -> None:
        """Clear BUSY on the record at ``pos`` (setting DISCARD when ``discard``)."""
        off = data_offset(pos, self.size)
        length, busy, _ = decode_len(self.read_u32(off))
        if not busy:
            raise ValueError(f"record at position {pos} is already committed")
        self._write(pos, _U32.pack(encode_len(length, discard=discard)))

    def output(self, payload: bytes, *, discard: bool = False) -> bool:
        """Reserve and commit in one step (``bpf_ringbuf_output``); False when full."""
        pos = self.reserve(len(payload), payload)
        if pos is None:
            return False
        self.commit(pos, discard=discard)
        return True

    def consume(self) -> list[bytes]:
        """Take every ready record like a consumer; returns the kept payloads."""
        records, self.consumer = walk(self.consumer, self.producer, self.size, self.read_u32)
        view = self.double_mapped()
        return [view[r.offset:r.offset + r.length] for r in records if not r.discarded]
