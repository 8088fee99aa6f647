"""The VM's checked memory: every address belongs to a named region.

A `Region` is a ``bytearray`` placed at a base address of a fake 64-bit
address space, with a name (``"mem"``, ``"context"``, ``"packet"``,
``"stack frame 0"``, ``"map value counts[0]"``, ``"ringbuf record"``...) and
read/write permissions. `Memory.load` and `Memory.store` resolve an address
to its region; an access that falls outside every region, straddles a
region's end, or breaks a permission raises `VMFault` naming the address,
the region (the nearest one for a wild access) and the offending offset —
never a Python ``IndexError``. The VM fills in the pc and instruction text.

Regions are laid out by a bump allocator with unmapped guard gaps between
them, so an overflow past one region never lands in the next.

>>> m = Memory()
>>> r = m.map("mem", bytearray(b"\\x01\\x02\\x03\\x04"))
>>> hex(m.load(r.base, 4))
'0x4030201'
>>> m.store(r.base + 4, 1, 0)
Traceback (most recent call last):
...
pybpf.errors.VMFault: vm: write of 1 byte at 0x10000004 is out of bounds of 'mem' (size 4): offset 4
"""

from __future__ import annotations

import bisect
import errno
import struct
from collections import deque
from dataclasses import dataclass

from ..errors import VMFault

_STRUCTS = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"),
            8: struct.Struct("<Q")}
UNPACKERS = {n: s.unpack_from for n, s in _STRUCTS.items()}
PACKERS = {n: s.pack_into for n, s in _STRUCTS.items()}

#: First address handed out; addresses below are the null page.
BASE_ADDRESS = 0x1000_0000
#: Unmapped gap left after every region (larger than any 16-bit offset reaches).
GUARD = 0x10000
NULL_PAGE = 0x1000


@dataclass(eq=False, slots=True)
class Region:
    """A named piece of VM memory.

    ``origin`` is where offsets are counted from in messages (0: the base;
    stacks count from their top, the frame pointer r10).
    """

    name: str
    base: int
    data: bytearray
    readable: bool = True
    writable: bool = True
    origin: int = 0
    kind: str = "data"
    owner: object = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def describe(self, addr: int) -> str:
        """``'name' (size N)`` plus where ``addr`` falls, for messages."""
        off = addr - self.base - self.origin
        rel = "r10" if self.kind == "stack" else "start"
        where = f"offset {off}" if self.origin == 0 else f"offset {off} from {rel}"
        return f"'{self.name}' (size {self.size}): {where}"


class Memory:
    """The address space of one VM: regions, and checked loads and stores.

    When ``log`` is a list, every store appends ``(region, offset, old, new)``
    (bytes) to it; the tracer uses this to show what an instruction changed.
    """

    def __init__(self) -> None:
        self.regions: list[Region] = []
        self._bases: list[int] = []
        self._next = BASE_ADDRESS
        self.last: Region | None = None
        self.log: list[tuple[Region, int, bytes, bytes]] | None = None
        #: Bumped whenever a region disappears; access-site caches compare it.
        self.gen = 0
        #: Recently removed regions and why, so a stale pointer's fault can say so.
        self.gone: deque[tuple[Region, str]] = deque(maxlen=64)

    # -- layout ---------------------------------------------------------------
    def reset(self) -> None:
        """Unmap everything (a fresh address space for the next run)."""
        self.regions.clear()
        self._bases.clear()
        self._next = BASE_ADDRESS
        self.last = None
        self.gen += 1
        self.gone.clear()

    def map(self, name: str, data: bytearray | bytes | int, *, readable: bool = True,
            writable: bool = True, kind: str = "data", origin: int = 0,
            align: int = 16, at: int | None = None) -> Region:
        """Place ``data`` (or that many zero bytes) at a new address (or at ``at``, for
        the fixed addresses of a `pybpf.vm.image.MemoryImage`, which must not overlap).

        A ``bytearray`` is shared, not copied: stores are visible to the caller.
        """
        buf = bytearray(data) if isinstance(data, (bytes, int)) else data
        if at is not None:
            base = at
            if self.region_at(at) is not None or self.region_at(at + max(len(buf), 1) - 1):
                raise ValueError(f"region {name!r} at {at:#x} overlaps a mapped region")
        else:
            base = (self._next + align - 1) // align * align
            self._next = base + max(len(buf), 1) + GUARD
        region = Region(name, base, buf, readable, writable, origin, kind)
        i = bisect.bisect(self._bases, base)
        self._bases.insert(i, base)
        self.regions.insert(i, region)
        return region

    def map_stack(self, name: str, size: int) -> Region:
        """``map(name, size, kind="stack", origin=size)``: a fresh zeroed stack frame, on the
        hot path of every bpf-to-bpf call (placed after every region the bump allocator
        handed out, so usually appended)."""
        base = (self._next + 15) & -16
        self._next = base + (size or 1) + GUARD
        region = Region(name, base, bytearray(size), True, True, size, "stack")
        bases = self._bases
        if not bases or base > bases[-1]:
            bases.append(base)
            self.regions.append(region)
        else:
            i = bisect.bisect(bases, base)
            bases.insert(i, base)
            self.regions.insert(i, region)
        return region

    def unmap(self, region: Region, why: str | None = None) -> None:
        """Remove ``region``; later accesses to it fault (saying ``why``, if given)."""
        regions = self.regions
        if regions and regions[-1] is region:  # a returning call's stack frame: the last
            regions.pop()
            self._bases.pop()
        else:
            i = bisect.bisect_left(self._bases, region.base)
            if i == len(regions) or regions[i] is not region:
                raise ValueError(f"region {region.name!r} is not mapped")
            del regions[i]
            del self._bases[i]
        if self.last is region:
            self.last = None
        self.gen += 1
        if why is not None:
            self.gone.append((region, why))

    def region_at(self, addr: int) -> Region | None:
        """The region containing ``addr``, or None."""
        i = bisect.bisect(self._bases, addr) - 1
        if i >= 0:
            r = self.regions[i]
            if addr < r.base + len(r.data):
                return r
        return None

    # -- faults ---------------------------------------------------------------
    def fault(self, addr: int, size: int, what: str) -> VMFault:
        """The `VMFault` for an access of ``size`` bytes at ``addr`` that failed."""
        s = "s" if size != 1 else ""
        access = f"{what} of {size} byte{s} at {addr:#x}"
        r = self.region_at(addr)
        if r is not None:
            off = addr - r.base - r.origin
            if what == "write" and not r.writable:
                return VMFault(f"{access}: {r.describe(addr)}: region is read-only",
                               address=addr, region=r.name, offset=off)
            if what != "write" and not r.readable:
                return VMFault(f"{access}: {r.describe(addr)}: region is not readable "
                               f"({r.kind})", address=addr, region=r.name, offset=off)
            return VMFault(f"{access} is out of bounds of {r.describe(addr)}",
                           address=addr, region=r.name, offset=off)
        if addr < NULL_PAGE:
            return VMFault(f"{access}: null pointer dereference", address=addr, offset=addr)
        for dead, why in reversed(self.gone):
            if dead.base <= addr < dead.base + max(len(dead.data), 1):
                off = addr - dead.base - dead.origin
                return VMFault(f"{access}: {dead.describe(addr)}: {why}", address=addr,
                               region=dead.name, offset=off)
        near = self._nearest(addr)
        if near is None or min(abs(addr - near.base), abs(addr - near.end)) >= 1 << 20:
            return VMFault(f"{access}: wild access, no region there", address=addr)
        off = addr - near.base - near.origin
        return VMFault(f"{access} is out of bounds of {near.describe(addr)}",
                       address=addr, region=near.name, offset=off)

    def _nearest(self, addr: int) -> Region | None:
        if not self.regions:
            return None
        i = bisect.bisect(self._bases, addr)
        cands = [self.regions[j] for j in (i - 1, i) if 0 <= j < len(self.regions)]
        return min(cands, key=lambda r: min(abs(addr - r.base), abs(addr - r.end)))

    def _find(self, addr: int, size: int, what: str) -> Region:
        r = self.region_at(addr)
        if r is None or addr + size > r.base + len(r.data) or addr < r.base:
            raise self.fault(addr, size, what)
        if (r.writable if what == "write" else r.readable):
            self.last = r
            return r
        raise self.fault(addr, size, what)

    # -- access (the hot path: the last region hit is tried first) -----------
    def load(self, addr: int, size: int) -> int:
        """The little-endian unsigned integer of ``size`` bytes at ``addr``."""
        r = self.last
        if r is not None and r.readable:
            o = addr - r.base
            if 0 <= o and o + size <= len(r.data):
                return UNPACKERS[size](r.data, o)[0]
        r = self._find(addr, size, "read")
        return UNPACKERS[size](r.data, addr - r.base)[0]

    def store(self, addr: int, size: int, value: int) -> None:
        """Write the low ``size`` bytes of ``value`` at ``addr``."""
        r = self.last
        if r is None or not r.writable or not 0 <= addr - r.base <= len(r.data) - size:
            r = self._find(addr, size, "write")
        o = addr - r.base
        if self.log is not None:
            old = bytes(r.data[o:o + size])
            PACKERS[size](r.data, o, value & ((1 << (8 * size)) - 1))
            self.log.append((r, o, old, bytes(r.data[o:o + size])))
            return
        PACKERS[size](r.data, o, value & ((1 << (8 * size)) - 1))

    # -- access-site caches (used by the fused blocks of pybpf.vm.blocks) -----------------
    def load_fill(self, addr: int, size: int, cache: list) -> int:
        """`load`, and remember the region in ``cache`` = [base, last offset, data, gen]."""
        r = self._find(addr, size, "read")
        cache[:] = [r.base, len(r.data) - size, r.data, self.gen]
        return UNPACKERS[size](r.data, addr - r.base)[0]

    def store_fill(self, addr: int, size: int, value: int, cache: list) -> None:
        """`store`, and remember the (writable) region in ``cache``."""
        if self.log is not None:
            self.store(addr, size, value)
            return
        r = self._find(addr, size, "write")
        cache[:] = [r.base, len(r.data) - size, r.data, self.gen]
        PACKERS[size](r.data, addr - r.base, value & ((1 << (8 * size)) - 1))

    def fill(self, addr: int, size: int, write: bool, cache: list) -> bool:
        """Fill ``cache`` for an access of ``size`` bytes at ``addr`` that would succeed (a
        readable region, writable too for a ``write``); False, and ``cache`` left as it
        was, otherwise (a fault, or a write-only region). The fused blocks check a block's
        accesses once at its entry this way, and take the checked path (which faults at
        the instruction) when this says False."""
        r = self.region_at(addr)
        if r is None or addr + size > r.base + len(r.data) or not r.readable or (
                write and not r.writable):
            return False
        cache[:] = [r.base, len(r.data) - size, r.data, self.gen]
        return True

    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes at ``addr`` (one region), for helpers."""
        if size == 0:
            return b""
        r = self._find(addr, size, "read")
        o = addr - r.base
        return bytes(r.data[o:o + size])

    def write(self, addr: int, data: bytes) -> None:
        """Write ``data`` at ``addr`` (one region), for helpers."""
        if not data:
            return
        r = self._find(addr, len(data), "write")
        o = addr - r.base
        if self.log is not None:
            self.log.append((r, o, bytes(r.data[o:o + len(data)]), bytes(data)))
        r.data[o:o + len(data)] = data

    def read_probe(self, addr: int, size: int, space: str) -> bytes | int:
        """What ``bpf_probe_read_{user,kernel}`` read: ``size`` bytes at ``addr``, or the
        errno the kernel's copy fails with (see `probe_error`). ``space`` ``"user"`` reads
        only ``user memory`` regions of a memory image, ``"kernel"`` everything else that
        holds data, ``"any"`` (the legacy helpers) both."""
        r = self.region_at(addr)
        if r is None or addr + size > r.base + len(r.data) or not _space_ok(r, space):
            return probe_error(r, addr, space)
        o = addr - r.base
        return bytes(r.data[o:o + size])

    def read_probe_str(self, addr: int, limit: int, space: str) -> bytes | int:
        """The NUL-terminated string at ``addr`` for ``bpf_probe_read_*_str`` (at most
        ``limit`` bytes, NUL excluded), or the errno the kernel fails with."""
        r = self.region_at(addr)
        if r is None or not _space_ok(r, space):
            return probe_error(r, addr, space)
        o = addr - r.base
        chunk = r.data[o:o + limit]
        nul = chunk.find(0)
        if nul < 0 and len(chunk) < limit:
            return errno.EFAULT  # ran off the end of the region before a NUL
        return bytes(chunk if nul < 0 else chunk[:nul])

    def read_cstr(self, addr: int, limit: int) -> bytes:
        """The NUL-terminated string at ``addr`` (at most ``limit`` bytes, NUL excluded)."""
        r = self._find(addr, 1, "read")
        o = addr - r.base
        chunk = r.data[o:o + limit]
        nul = chunk.find(0)
        return bytes(chunk if nul < 0 else chunk[:nul])


#: Region kinds that hold no readable bytes (a map handle, function addresses).
_OPAQUE = ("map", "code")


#: The top of x86-64 user space (TASK_SIZE) and the bottom of kernel space: the kernel's
#: own copy refuses to read below the first and between the two (non-canonical), where
#: ``bpf_probe_read_kernel`` answers -ERANGE (measured on the live kernel).
USER_TOP = 1 << 47
KERNEL_BOTTOM = 0xFFFF_8000_0000_0000


def probe_error(r: Region | None, addr: int, space: str) -> int:
    """The errno of a failed probe read at ``addr`` (``r``: the region there, if any):
    -ERANGE for a kernel read of a user or non-canonical address, -EFAULT otherwise (an
    address the memory image does not hold is unmapped)."""
    if space == "kernel" and (r is None and addr < KERNEL_BOTTOM or r is not None
                              and r.kind == "user memory"):
        return errno.ERANGE
    return errno.EFAULT


def _space_ok(r: Region, space: str) -> bool:
    if r.kind in _OPAQUE:
        return False
    if space == "user":
        return r.kind == "user memory"
    if space == "kernel":
        return r.kind != "user memory"
    return True
