"""`PerfBufReader`: read what BPF programs send with ``bpf_perf_event_output``.

A ``BPF_MAP_TYPE_PERF_EVENT_ARRAY`` map holds one perf event per CPU; a
program's ``bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size)``
writes a ``PERF_RECORD_SAMPLE`` with the data as its ``PERF_SAMPLE_RAW``
payload into the ring of the CPU it runs on. `PerfBufReader` opens those events
(``PERF_COUNT_SW_BPF_OUTPUT``), maps their rings (one metadata page plus
``page_count`` data pages each), stores them in the map (key: CPU, value: the
event fd), waits on them with one epoll fd, and drains them with the C loop of
``src_c/ringbuf.c``. When a ring is full the kernel drops samples and later
writes a ``PERF_RECORD_LOST`` record: the counts are summed in `lost` (per CPU
in `lost_per_cpu`) and passed to ``lost_callback(cpu, count)``.

The kernel pads each raw sample so that the record stays 8-byte aligned: a
record holds ``round_up(size + 4, 8) - 4`` bytes, the data and then zeros
(a 32-byte output arrives as 36 bytes). With a ``dtype``, records are
truncated (or zero-padded) to its size.

Records are copies, with the same ownership rule as `pybpf.kernel.ringbuf`:
each drain copies into one new buffer that lives as long as the records do.
Without a dtype, `PerfBufReader.read_batch` returns a `pybpf.kernel.records.Records`
(a read-only sequence of ``bytes`` over one packed buffer, as the ring buffer
reader does): each ``bytes`` is made when its record is read.
Samples of one CPU arrive in order; there is no order across CPUs.

>>> from pybpf.kernel.perfbuf import PerfBufReader                      # doctest: +SKIP
>>> pb = PerfBufReader(events, callback=lambda cpu, rec: print(cpu, bytes(rec)))  # doctest: +SKIP
>>> pb.poll(timeout_ms=100)                                          # doctest: +SKIP
1
>>> pb.read_batch()                                                  # doctest: +SKIP
[b'...']
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from .. import uapi as attrs
from .._deprecated import module_getattr
from ..errors import KernelError, PybpfError
from .fd import ClosedError
from .link.perf import (
    PERF_COUNT_SW_BPF_OUTPUT,
    PERF_EVENT_IOC_DISABLE,
    PERF_EVENT_IOC_ENABLE,
    PERF_SAMPLE_RAW,
    PERF_TYPE_SOFTWARE,
    PerfEventAttr,
    perf_event_open,
    perf_ioctl,
)
from .mmap_io import PAGE_SIZE, Epoll, MappedRegion, fd_of, map_info, native, raw_alloc, split_records
from .records import Records
from .syscall import Cmd, bpf

__all__ = ["PerfBufReader", "online_cpus", "parse_cpu_list"]

_PERF_EVENT_ARRAY = attrs.map_type("perf_event_array")
_DATA_OFFSET_OFF = 1040
_DATA_SIZE_OFF = 1048


def parse_cpu_list(text: str) -> list[int]:
    """Parse a kernel CPU list such as ``"0-3,6"``.

    >>> parse_cpu_list("0-2,5\\n")
    [0, 1, 2, 5]
    """
    cpus: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def online_cpus() -> list[int]:
    """The CPUs online now (``/sys/devices/system/cpu/online``)."""
    try:
        with open("/sys/devices/system/cpu/online") as f:
            return parse_cpu_list(f.read())
    except OSError:
        return list(range(os.cpu_count() or 1))


class _CpuRing:
    """The perf event of one CPU and its mapped ring."""

    def __init__(self, cpu: int, page_count: int, wakeup_events: int) -> None:
        self.cpu = cpu
        self.what = f"perf buffer of CPU {cpu}"
        attr = PerfEventAttr(type=PERF_TYPE_SOFTWARE, config=PERF_COUNT_SW_BPF_OUTPUT,
                             sample_period=1, sample_type=PERF_SAMPLE_RAW,
                             wakeup_events=wakeup_events)
        self.fd = perf_event_open(attr, pid=-1, cpu=cpu, what=self.what)
        self.mapping: MappedRegion | None = None
        self.lock = threading.RLock()  # held while the ring is read or unmapped
        try:
            self.mapping = MappedRegion(self.fd, PAGE_SIZE * (1 + page_count), 0, True, self.what)
            ffi, _ = native()
            base = ffi.cast("char *", self.mapping.addr)
            data_offset = int(ffi.cast("unsigned long long *", base + _DATA_OFFSET_OFF)[0])
            data_size = int(ffi.cast("unsigned long long *", base + _DATA_SIZE_OFF)[0])
            self.base = base
            self.data = base + (data_offset or PAGE_SIZE)
            self.data_size = data_size or PAGE_SIZE * page_count
            perf_ioctl(self.fd, PERF_EVENT_IOC_ENABLE, what=self.what)
        except BaseException:
            self.close()
            raise
        self.records = 0
        self.lost = 0
        self.res = ffi.new("struct pybpf_drain *")

    def close(self) -> None:
        with self.lock:
            if self.fd >= 0:
                try:
                    perf_ioctl(self.fd, PERF_EVENT_IOC_DISABLE, what=self.what)
                except KernelError:
                    pass
            if self.mapping is not None:
                self.mapping.unmap()
                self.mapping = None
            if self.fd >= 0:
                fd, self.fd = self.fd, -1
                os.close(fd)

    def ready(self) -> int:
        with self.lock:
            if self.mapping is None:
                raise ClosedError(f"{self.what} is closed")
            return int(native()[1].pybpf_perf_ready(self.base))

    def _call(self, out: Any, cap: int, offsets: Any, max_records: int, stride: int) -> int:
        _, lib = native()
        status = lib.pybpf_perf_drain(self.base, self.data, self.data_size, out, cap, offsets,
                                      max_records, stride, self.res)
        self.records += self.res.records
        self.lost += self.res.lost
        if status < 0:
            raise PybpfError(f"{self.what}: corrupt perf record at the tail position")
        return int(status)

    def drain_packed(self, out: Any, cap: int, offsets: Any, max_records: int
                     ) -> tuple[int, int, int, int, int]:
        """Copy ready samples packed into ``out`` (``cap`` bytes), their offsets from ``out``
        into ``offsets`` (``max_records + 1`` entries; only the first is written when all
        have one length); returns ``(records, bytes, min_len, max_len, lost)``. The caller
        holds `lock`."""
        if self.mapping is None:
            raise ClosedError(f"{self.what} is closed")
        self._call(out, cap, offsets, max_records, 0)
        res = self.res
        return (int(res.records), int(res.bytes), int(res.min_len), int(res.max_len),
                int(res.lost))

    def drain_records(self, as_bytes: bool, max_bytes: int) -> tuple[Any, int]:
        """Ready samples: a `Records` (``as_bytes``) or a list of memoryviews, and the
        lost count."""
        ready = min(self.ready(), max_bytes)
        if not ready:
            return (Records() if as_bytes else []), 0
        alloc = raw_alloc()
        max_records = ready // 16 + 1
        out = alloc("char[]", ready)
        offsets = alloc("unsigned int[]", max_records + 1)
        self._call(out, ready, offsets, max_records, 0)
        res = self.res
        return split_records(out, int(res.bytes), offsets, int(res.records), int(res.min_len),
                             int(res.max_len), as_bytes), int(res.lost)

    def drain_array(self, dtype: Any, max_bytes: int) -> tuple[Any, int]:
        import numpy as np  # lazy: numpy is optional (pybpf[numpy])

        ffi, _ = native()
        stride = int(dtype.itemsize)
        ready = self.ready()
        if not ready:
            return np.empty(0, dtype=dtype), 0
        # the smallest sample record is 16 bytes; max_bytes bounds the bytes copied out
        n_est = min(ready // 16 + 1, max(1, max_bytes // stride))
        arr = np.empty(n_est, dtype=dtype)
        out = ffi.from_buffer("char[]", arr.view(np.uint8), require_writable=True)
        self._call(out, n_est * stride, ffi.NULL, n_est, stride)
        return arr[:int(self.res.records)], int(self.res.lost)

    def drain_into(self, out: Any) -> tuple[int, int]:
        """Copy ready samples into the caller's array ``out`` (at most ``len(out)``; the rest
        wait in the ring); returns ``(records, lost)``."""
        ffi, _ = native()
        if not len(out) or not self.ready():
            return 0, 0
        buf = ffi.from_buffer("char[]", out, require_writable=True)
        self._call(buf, len(out) * int(out.dtype.itemsize), ffi.NULL, len(out),
                   int(out.dtype.itemsize))
        return int(self.res.records), int(self.res.lost)


class PerfBufReader(Epoll):
    """Reader of a perf event array map: one perf ring per CPU, one epoll fd (its `fileno`).

    ``callback(cpu, record)`` is called by `poll` for each sample and
    ``lost_callback(cpu, count)`` for each lost-samples notice. ``page_count``
    (a power of two) is the size of each CPU's ring in pages; ``cpus``
    defaults to the online CPUs (those below the map's max_entries); records
    are ``bytes`` (as `pybpf.kernel.ringbuf.RingBufReader` gives them), memoryviews into
    each drain's buffer with ``memoryviews=True`` (``as_bytes=False``, the older spelling,
    gives the same: the default before bytes became it), numpy values with ``dtype``;
    ``wakeup_events`` is how many samples wake the reader up; ``max_batch_bytes`` bounds
    the bytes one drain of a CPU's ring copies out, payloads or ``dtype`` items (default:
    all that is ready; the rest waits for the next call): a streaming consumer that processes and drops each
    batch does best with a bounded batch (say 256 KiB), whose memory the next one reuses.

    >>> with PerfBufReader(events, page_count=64) as pb:     # doctest: +SKIP
    ...     records = pb.read_batch(timeout_ms=100)
    ...     pb.lost
    0
    """

    def __init__(self, map: object, callback: Callable[[int, Any], object] | None = None, *,  # noqa: A002
                 lost_callback: Callable[[int, int], object] | None = None, dtype: Any = None,
                 memoryviews: bool = False, as_bytes: bool | None = None, page_count: int = 8,
                 cpus: list[int] | None = None,
                 wakeup_events: int = 1, max_batch_bytes: int | None = None) -> None:
        if max_batch_bytes is not None and max_batch_bytes <= 0:
            raise PybpfError(f"perf buffer: max_batch_bytes must be positive, got {max_batch_bytes}")
        self._max_bytes = max_batch_bytes if max_batch_bytes is not None else 1 << 62
        if dtype is not None:
            import numpy as np  # lazy: numpy is optional (pybpf[numpy])

            dtype = np.dtype(dtype)
            if dtype.itemsize <= 0 or dtype.hasobject:
                raise PybpfError(f"perf buffer: dtype {dtype} must be a fixed-size type without "
                                 "objects")
        self.dtype = dtype
        self.callback = callback
        self.lost_callback = lost_callback
        if as_bytes is not None:
            if as_bytes and memoryviews:
                raise PybpfError("perf buffer: as_bytes=True and memoryviews=True contradict each "
                                 "other (samples are bytes by default)")
            memoryviews = not as_bytes
        self.as_bytes = not memoryviews
        super().__init__(kind="perf buffer reader")
        self._rings: list[_CpuRing] = []
        self._next_ring = 0  # read_batch(out=...) starts here (round robin over the CPUs)
        self._map_fd = -1
        try:
            self._setup(map, page_count, cpus, wakeup_events)
        except BaseException:
            self.close()
            raise

    def _setup(self, map: object, page_count: int, cpus: list[int] | None,  # noqa: A002
               wakeup_events: int) -> None:
        if page_count <= 0 or page_count & (page_count - 1):
            raise PybpfError(f"perf buffer page_count must be a power of two, got {page_count}")
        fd = fd_of(map, "perf buffer")
        info = map_info(fd)
        if info["type"] != _PERF_EVENT_ARRAY:
            raise PybpfError(f"perf buffer: map {info['name']!r} is a "
                             f"{attrs.type_name(attrs.MAP_TYPES, int(info['type']))} map, "
                             "not a perf_event_array map")
        max_entries = int(info["max_entries"])
        self._map_fd = os.dup(fd)
        wanted = online_cpus() if cpus is None else list(cpus)
        bad = [c for c in wanted if not 0 <= c < max_entries]
        if cpus is None:
            wanted = [c for c in wanted if c < max_entries]
        elif bad:
            raise PybpfError(f"perf buffer: CPU {bad[0]} is outside the map's {max_entries} entries")
        if not wanted:
            raise PybpfError("perf buffer: no CPU to read (the map has no entry for any online CPU)")
        ffi, _ = native()
        key = ffi.new("unsigned int *")
        value = ffi.new("unsigned int *")
        for i, cpu in enumerate(wanted):
            ring = _CpuRing(cpu, page_count, wakeup_events)
            self._rings.append(ring)
            key[0], value[0] = cpu, ring.fd
            attr = attrs.MAP_ELEM.new(map_fd=self._map_fd, key=int(ffi.cast("uintptr_t", key)),
                                      value=int(ffi.cast("uintptr_t", value)))
            bpf(Cmd.MAP_UPDATE_ELEM, attr)
            self.add_fd(ring.fd, i)

    # -- stats --------------------------------------------------------------------------------
    @property
    def cpus(self) -> list[int]:
        """The CPUs this reader has a ring for."""
        return [r.cpu for r in self._rings]

    @property
    def lost(self) -> int:
        """Samples the kernel dropped because a ring was full (all CPUs)."""
        return sum(r.lost for r in self._rings)

    @property
    def lost_per_cpu(self) -> dict[int, int]:
        return {r.cpu: r.lost for r in self._rings}

    @property
    def records(self) -> int:
        """Samples received so far (all CPUs)."""
        return sum(r.records for r in self._rings)

    def ready(self) -> int:
        """Bytes (headers included) waiting in all rings."""
        self.fd  # noqa: B018 - raises ClosedError when closed
        return sum(r.ready() for r in self._rings)

    # -- reading ------------------------------------------------------------------------------
    def _drain(self, ring: _CpuRing) -> tuple[Any, int]:
        with ring.lock:
            if self.dtype is not None:
                return ring.drain_array(self.dtype, self._max_bytes)
            return ring.drain_records(self.as_bytes, self._max_bytes)

    def poll(self, timeout_ms: int = -1) -> int:
        """Wait up to ``timeout_ms`` (-1: forever) for samples and deliver them to the callbacks.

        Returns the number of samples delivered (0 when nothing came in time).
        """
        if self.callback is None:
            raise PybpfError("perf buffer: poll() needs a callback (or use read_batch)")
        n = self.consume()
        if n or timeout_ms == 0:
            return n
        return self.poll_until(lambda _tokens: self.consume(), timeout_ms)

    def consume(self) -> int:
        """Deliver every ready sample of every CPU without waiting; returns how many."""
        self.fd  # noqa: B018
        total = 0
        for ring in list(self._rings):
            if self.closed:  # a callback closed the reader: stop quietly
                break
            if not ring.ready():
                continue
            records, lost = self._drain(ring)
            if lost and self.lost_callback is not None:
                self.lost_callback(ring.cpu, lost)
            if self.callback is not None:
                cb, cpu = self.callback, ring.cpu
                for rec in records:
                    cb(cpu, rec)
            total += len(records)
        return total

    def read_batch(self, timeout_ms: int = 0, *, with_cpus: bool = False, out: Any = None) -> Any:
        """Every ready sample of every CPU at once (waiting up to ``timeout_ms`` for some).

        Returns a `pybpf.kernel.records.Records` of ``bytes`` (a read-only sequence that
        compares equal to the list of them and makes each ``bytes`` when read; ``.tolist()``
        makes them all, ``.buffer`` and ``.offsets`` reach the packed payloads), a list of
        memoryviews with ``memoryviews=True``, a numpy array with ``dtype``; CPU by
        CPU; with ``with_cpus=True``, ``(records, cpus)`` where ``cpus[i]`` is
        the CPU of record ``i``. Lost counts go to `lost` and ``lost_callback``.

        ``out`` (readers with a dtype only): a 1-D C-contiguous numpy array of that dtype
        to copy samples into instead of new memory, at most ``len(out)`` of them (the rest
        wait in their rings; each call starts at the CPU after the one it started at last,
        so a busy CPU cannot starve the others); returns the view ``out[:n]``. The caller
        owns ``out``: passing it again overwrites the samples.

        >>> buf = np.empty(1 << 16, dtype=pb.dtype)             # doctest: +SKIP
        >>> while True:                                         # doctest: +SKIP
        ...     process(pb.read_batch(timeout_ms=100, out=buf))
        """
        self.fd  # noqa: B018
        if out is not None:
            self._check_out(out)
        if timeout_ms != 0:
            self.wait_for(lambda: any(r.ready() for r in self._rings), timeout_ms)
        if out is not None:
            return self._read_into(out, with_cpus)
        if self.dtype is None and self.as_bytes:
            return self._read_records(with_cpus)
        parts = []
        cpus: list[int] = []
        for ring in self._rings:
            if not ring.ready():
                continue
            records, lost = self._drain(ring)
            if lost and self.lost_callback is not None:
                self.lost_callback(ring.cpu, lost)
            parts.append(records)
            if with_cpus:
                cpus.extend([ring.cpu] * len(records))
        if self.dtype is not None:
            import numpy as np  # lazy: numpy is optional (pybpf[numpy])

            result: Any = np.concatenate(parts) if parts else np.empty(0, dtype=self.dtype)
        elif self.as_bytes:
            result = Records.concat(parts)
        else:
            result = [rec for part in parts for rec in part]
        return (result, cpus) if with_cpus else result

    def _read_records(self, with_cpus: bool) -> Any:
        """`read_batch` of a reader without a dtype that gives bytes: every CPU's samples are
        drained into ONE buffer, back to back, so that when they all have one length (the
        common case) the `Records` is that buffer as it is; otherwise the CPUs' parts are
        joined (`Records.concat`, one copy), as they were before."""
        wanted = []
        for ring in self._rings:
            n = ring.ready()
            if n:
                wanted.append((ring, min(n, self._max_bytes)))
        cpus: list[int] = []
        if not wanted:
            return (Records(), cpus) if with_cpus else Records()
        ffi, _ = native()
        alloc = raw_alloc()
        # payloads take less than the ready bytes (headers); a sample takes 16 bytes at least
        out = alloc("char[]", sum(n for _, n in wanted))
        offsets = alloc("unsigned int[]", sum(n // 16 + 2 for _, n in wanted))
        parts = []  # (records, position in out, bytes, min_len, max_len, offsets index)
        pos = index = 0
        for ring, n in wanted:
            max_records = n // 16 + 1
            with ring.lock:
                got, nbytes, lo, hi, lost = ring.drain_packed(out + pos, n, offsets + index,
                                                              max_records)
            if lost and self.lost_callback is not None:
                self.lost_callback(ring.cpu, lost)
            if got:
                parts.append((got, pos, nbytes, lo, hi, index))
                if with_cpus:
                    cpus.extend([ring.cpu] * got)
            pos += nbytes
            index += max_records + 1
        data = memoryview(ffi.buffer(out, pos))  # keeps out alive (out + pos would not)
        sizes = {lo if lo == hi else -1 for _, _, _, lo, hi, _ in parts}
        if len(sizes) == 1 and -1 not in sizes:  # one length: the buffer as it is
            result = Records(data, size=sizes.pop(), count=sum(p[0] for p in parts))
        else:
            offs = memoryview(ffi.buffer(offsets, 4 * index)).cast("I")
            result = Records.concat([
                Records(data[at:at + nbytes], size=lo, count=got) if lo == hi else
                Records(data[at:at + nbytes], offs[i:i + got + 1])
                for got, at, nbytes, lo, hi, i in parts])
        return (result, cpus) if with_cpus else result

    def _check_out(self, out: Any) -> None:
        if self.dtype is None:
            raise PybpfError("perf buffer: read_batch(out=...) needs a reader made with a dtype")
        flags = getattr(out, "flags", None)
        if getattr(out, "dtype", None) != self.dtype or getattr(out, "ndim", 0) != 1 or \
                flags is None or not flags.c_contiguous or not flags.writeable:
            raise PybpfError(f"perf buffer: out must be a writable 1-D C-contiguous numpy array "
                             f"of dtype {self.dtype}, got {type(out).__name__} "
                             f"{getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}")

    def _read_into(self, out: Any, with_cpus: bool) -> Any:
        rings = self._rings
        start = self._next_ring % len(rings) if rings else 0
        self._next_ring = start + 1
        n = 0
        cpus: list[int] = []
        for ring in rings[start:] + rings[:start]:
            if n >= len(out):
                break
            with ring.lock:
                got, lost = ring.drain_into(out[n:])
            if lost and self.lost_callback is not None:
                self.lost_callback(ring.cpu, lost)
            if with_cpus:
                cpus.extend([ring.cpu] * got)
            n += got
        return (out[:n], cpus) if with_cpus else out[:n]

    # -- lifetime -----------------------------------------------------------------------------
    def _release(self) -> None:
        ffi, _ = native()
        key = ffi.new("unsigned int *")
        for ring in getattr(self, "_rings", []):
            if self._map_fd >= 0:
                key[0] = ring.cpu
                attr = attrs.MAP_ELEM.new(map_fd=self._map_fd, key=int(ffi.cast("uintptr_t", key)))
                try:
                    bpf(Cmd.MAP_DELETE_ELEM, attr)
                except KernelError:  # already gone: nothing to undo
                    pass
            ring.close()
        self._rings = []
        if getattr(self, "_map_fd", -1) >= 0:
            fd, self._map_fd = self._map_fd, -1
            os.close(fd)

    def _repr_extra(self) -> str:
        return f" cpus={self.cpus}" if not self.closed else ""


#: old names, kept for one release with a DeprecationWarning (docs/kernel.md showed them)
__getattr__ = module_getattr(__name__, {"PerfBuffer": (f"{__name__}.PerfBufReader", "0.2")})
