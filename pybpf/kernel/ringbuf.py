"""`RingBufReader`: read the records BPF programs write to ``BPF_MAP_TYPE_RINGBUF`` maps.

A reader maps each ring buffer (the consumer page read-write; the producer
page and the data area, mapped twice, read-only), registers it on ONE epoll
fd, and drains records with the C loop of ``src_c/ringbuf.c``, which copies
every ready record in one call. Two ways to read:

- callbacks: ``RingBufReader(rb, callback=fn)`` / ``add(rb2, callback=fn2)`` then
  ``poll(timeout_ms)`` waits for data on any ring and calls each ring's
  callback once per record; it returns the number of records delivered
  (0 when the timeout expired with nothing ready);
- batches: ``read_batch(timeout_ms=0)`` returns every ready record of one ring
  at once: a `pybpf.kernel.records.Records` (a read-only sequence of ``bytes``
  over the one buffer the drain wrote), or a numpy structured array when the
  ring was added with a ``dtype``.

Records are ``bytes`` by default (safe to keep, hash, compare and send
anywhere). A batch keeps them packed: each ``bytes`` is made when the record
is read (indexing, iterating, ``.tolist()``), and ``batch.buffer`` /
``batch.offsets`` reach the payloads without making any (on CPython making
and freeing a small ``bytes`` costs several times what the C drain spends
copying it). ``memoryviews=True`` gives a list of memoryviews into the
drain's buffer instead (each view keeps the whole batch's buffer alive, and
on CPython building a memoryview costs several times more than cutting a
small ``bytes``, so this pays only for records of a few KiB or more).

Discarded records (``bpf_ringbuf_discard``) are skipped and counted in
`RingBufReader.discarded`.

Ownership rule: every record handed out is a COPY. Each drain call copies the
ready records into one freshly allocated buffer; the `Records` a batch read
returns holds that buffer (read-only) and cuts a new ``bytes`` from it for
each record read (callbacks get those ``bytes``), and the memoryviews
(``memoryviews=True``) or the numpy array returned or passed to callbacks are
slices of that buffer, which lives as long as any of them does (or the
`Records`, or a view of its ``.buffer``). So records stay valid after later reads,
after ``close()``, and after the map is gone; nothing returned ever points
into the ring's mapping, which the producer overwrites and ``close()`` unmaps.

>>> from pybpf.kernel.ringbuf import RingBufReader           # doctest: +SKIP
>>> with RingBufReader(events) as rb:                        # doctest: +SKIP
...     batch = rb.read_batch(timeout_ms=100)
...     batch
[b'...', b'...']
>>> len(batch), batch[0], batch.record_size                  # doctest: +SKIP
(2, b'...', 32)
>>> rb = RingBufReader(events, callback=lambda rec: print(rec))  # doctest: +SKIP
>>> rb.poll(timeout_ms=1000)                              # doctest: +SKIP
2
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from .. import uapi as attrs
from .._deprecated import module_getattr
from ..errors import PybpfError
from .fd import ClosedError
from .mmap_io import PAGE_SIZE, Epoll, MappedRegion, fd_of, map_info, native, raw_alloc, split_records
from .records import Records
from .ringbuf_math import check_ring_size, record_size

__all__ = ["RingBufReader", "map_info", "Epoll", "Record", "Records", "Callback"]

#: A record: ``bytes`` (a copy of the payload), a memoryview into a copy with
#: ``memoryviews=True``, or a numpy record when a dtype was given.
Record = Any
Callback = Callable[[Record], object]

_RINGBUF = attrs.map_type("ringbuf")
_USER_RINGBUF = attrs.map_type("user_ringbuf")


class _Ring:
    """One BPF ring buffer map as the reader sees it."""

    def __init__(self, index: int, fd: int, callback: Callback | None, dtype: Any,
                 as_bytes: bool = False) -> None:
        info = map_info(fd)
        kind = int(info["type"])
        name = info["name"]
        self.name = name.decode(errors="replace") if isinstance(name, bytes) else ""
        what = f"ring buffer {index} ({self.name or 'map id ' + str(info['id'])})"
        if kind == _USER_RINGBUF:
            raise PybpfError(f"{what} is a user_ringbuf map: userspace writes it and BPF programs "
                             "drain it, so it cannot be read with RingBufReader")
        if kind != _RINGBUF:
            raise PybpfError(f"{what} is a {attrs.type_name(attrs.MAP_TYPES, kind)} map, "
                             "not a ringbuf map")
        self.size = int(info["max_entries"])
        check_ring_size(self.size, PAGE_SIZE)
        self.index = index
        self.what = what
        self.callback = callback
        self.dtype = dtype
        self.as_bytes = as_bytes
        self.stride = int(dtype.itemsize) if dtype is not None else 0
        if dtype is not None and (self.stride <= 0 or dtype.hasobject):
            raise PybpfError(f"{what}: dtype {dtype} must be a fixed-size type without objects")
        self.fd = os.dup(fd)  # the reader's own reference: the user may close the map first
        self.maps: list[MappedRegion] = []
        # held while the mapping is read or unmapped: a close() from another thread (or
        # from a callback) can never unmap memory the drain loop is reading
        self.lock = threading.RLock()
        try:
            self.maps.append(MappedRegion(self.fd, PAGE_SIZE, 0, True, what + " consumer page"))
            self.maps.append(MappedRegion(self.fd, PAGE_SIZE + 2 * self.size, PAGE_SIZE, False,
                                      what + " producer page and data"))
        except BaseException:
            self.close()
            raise
        ffi, _ = native()
        self.consumer = self.maps[0].addr
        self.producer = self.maps[1].addr
        self.data = ffi.cast("char *", self.maps[1].addr) + PAGE_SIZE
        # records not delivered because a callback raised: a Records, or a list
        # (memoryviews, numpy records)
        self.pending: Any = []
        self.records = 0
        self.discarded = 0
        self.mismatched = 0
        self.res = ffi.new("struct pybpf_drain *")

    def close(self) -> None:
        with self.lock:
            for m in self.maps:
                m.unmap()
            self.maps = []
            if self.fd >= 0:
                fd, self.fd = self.fd, -1
                os.close(fd)

    def _check_open(self) -> None:
        if not self.maps:
            raise ClosedError(f"{self.what} is closed")

    def ready(self) -> int:
        with self.lock:
            self._check_open()
            return int(native()[1].pybpf_ringbuf_ready(self.consumer, self.producer))

    def _call(self, out: Any, out_cap: int, offsets: Any, max_records: int, stride: int) -> int:
        _, lib = native()
        status = lib.pybpf_ringbuf_drain(self.consumer, self.producer, self.data, self.size - 1,
                                         out, out_cap, offsets, max_records, stride, self.res)
        res = self.res
        self.records += res.records
        self.discarded += res.discarded
        self.mismatched += res.mismatched
        if status < 0:
            raise PybpfError(f"{self.what}: corrupt record header at the consumer position "
                             "(length larger than what was produced)")
        return int(status)

    def drain_records(self, max_bytes: int) -> Any:
        """Every ready record: a `Records` of bytes (or a list of memoryviews into one new
        buffer)."""
        ready = self.ready()
        if not ready:
            return Records() if self.as_bytes else []
        alloc = raw_alloc()
        cap = min(ready, max_bytes)
        max_records = cap // 8 + 1
        out = alloc("char[]", cap)
        offsets = alloc("unsigned int[]", max_records + 1)
        self._call(out, cap, offsets, max_records, 0)
        res = self.res
        return split_records(out, int(res.bytes), offsets, int(res.records), int(res.min_len),
                             int(res.max_len), self.as_bytes)

    def drain_array(self, max_bytes: int) -> Any:
        """Every ready record, as one numpy array of ``dtype`` (records padded or truncated)."""
        import numpy as np  # lazy: numpy is optional (pybpf[numpy])

        ffi, _ = native()
        budget = min(self.ready(), max_bytes)
        chunks = []
        while budget > 0:
            n_est = max(1, budget // record_size(self.stride))
            # numpy's allocator: no zeroing, and huge pages for big arrays (fewer page faults)
            arr = np.empty(n_est, dtype=self.dtype)
            out = ffi.from_buffer("char[]", arr.view(np.uint8), require_writable=True)
            status = self._call(out, n_est * self.stride, ffi.NULL, n_est, self.stride)
            n = int(self.res.records)
            if n:
                chunks.append(arr[:n])
            del out
            budget -= int(self.res.consumed)
            if status != 1:
                break
        if not chunks:
            return np.empty(0, dtype=self.dtype)
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def drain_into(self, out: Any) -> int:
        """Copy ready records into the caller's array ``out``; returns how many."""
        ffi, _ = native()
        with self.lock:
            if not self.ready() or len(out) == 0:
                return 0
            buf = ffi.from_buffer("char[]", out, require_writable=True)
            self._call(buf, len(out) * self.stride, ffi.NULL, len(out), self.stride)
            return int(self.res.records)

    def drain(self, max_bytes: int) -> Any:
        with self.lock:
            if self.dtype is not None:
                return self.drain_array(max_bytes)
            return self.drain_records(max_bytes)


class RingBufReader(Epoll):
    """Reader of one or more BPF ring buffer maps on one epoll fd.

    ``map`` is a ring buffer map (any object with an ``fd``, or an int fd);
    ``callback(record)`` is called by `poll` for each record; ``dtype`` (a
    numpy dtype) makes records numpy structured values: `read_batch` then
    returns one array, and records whose length differs from ``dtype.itemsize``
    are zero-padded or truncated (and counted in `mismatched`). Without a
    dtype records are ``bytes`` (`read_batch` returns them packed, as a
    `pybpf.kernel.records.Records`); ``memoryviews=True`` makes them memoryviews
    into each drain's buffer instead (see the module: worth it only for large
    records). ``as_bytes`` is the older spelling: ``as_bytes=False`` also
    gives memoryviews (the default before bytes became it).
    ``max_batch_bytes`` bounds the ring bytes one drain takes (default: all).
    `fileno` is the epoll fd: it turns readable when any ring has data, so a
    reader can sit in a ``selectors``/asyncio loop (then call `consume`).

    >>> with RingBufReader(events, dtype=np.dtype([("pid", "u4"), ("n", "u4")])) as rb:  # doctest: +SKIP
    ...     arr = rb.read_batch(timeout_ms=100)
    ...     arr["pid"]
    array([4242, 4242], dtype=uint32)
    """

    _kind = "ring buffer reader"

    def __init__(self, map: object = None, callback: Callback | None = None, *,  # noqa: A002
                 dtype: Any = None, memoryviews: bool = False, as_bytes: bool | None = None,
                 max_batch_bytes: int | None = None) -> None:
        super().__init__(kind="ring buffer reader")
        self._rings: list[_Ring] = []
        self._max_bytes = max_batch_bytes if max_batch_bytes is not None else 1 << 62
        if self._max_bytes <= 0:
            self.close()
            raise PybpfError(f"max_batch_bytes must be positive, got {max_batch_bytes}")
        if map is not None:
            try:
                self.add(map, callback, dtype=dtype, memoryviews=memoryviews, as_bytes=as_bytes)
            except BaseException:
                self.close()
                raise

    # -- rings --------------------------------------------------------------------------------
    def add(self, map: object, callback: Callback | None = None, *,  # noqa: A002
            dtype: Any = None, memoryviews: bool = False, as_bytes: bool | None = None) -> int:
        """Add a ring buffer map to this reader; returns its index (for `read_batch`).

        ``dtype`` and ``memoryviews`` choose how this ring's records come out (see the class).
        """
        index = len(self._rings)
        if as_bytes is not None:
            if as_bytes and memoryviews:
                raise PybpfError(f"ring buffer {index}: as_bytes=True and memoryviews=True "
                                 "contradict each other (records are bytes by default)")
            memoryviews = not as_bytes
        fd = fd_of(map, f"ring buffer {index}")
        if dtype is not None:
            import numpy as np  # lazy: numpy is optional (pybpf[numpy])

            dtype = np.dtype(dtype)
        ring = _Ring(index, fd, callback, dtype, not memoryviews)
        try:
            self.add_fd(ring.fd, index)
        except BaseException:
            ring.close()
            raise
        self._rings.append(ring)
        return index

    def _ring(self, ring: int) -> _Ring:
        self.fd  # noqa: B018 - raises ClosedError when closed
        if not self._rings:
            raise PybpfError("ring buffer reader has no ring buffer: call add(map) first")
        try:
            return self._rings[ring]
        except IndexError:
            raise PybpfError(f"no ring buffer {ring} in this reader "
                             f"(it has {len(self._rings)})") from None

    def __len__(self) -> int:
        return len(self._rings)

    # -- stats --------------------------------------------------------------------------------
    @property
    def records(self) -> int:
        """Records taken from all rings so far (discarded ones excluded)."""
        return sum(r.records for r in self._rings)

    @property
    def discarded(self) -> int:
        """Discarded records skipped so far, all rings."""
        return sum(r.discarded for r in self._rings)

    @property
    def mismatched(self) -> int:
        """Records whose length differed from their ring's dtype size (padded or truncated)."""
        return sum(r.mismatched for r in self._rings)

    def ready(self, ring: int = 0) -> int:
        """Bytes (headers included) waiting between the consumer and producer positions."""
        return self._ring(ring).ready()

    # -- callbacks ----------------------------------------------------------------------------
    def poll(self, timeout_ms: int = -1) -> int:
        """Wait up to ``timeout_ms`` (-1: forever) for records, deliver them to the callbacks.

        Returns the number of records delivered; 0 when nothing came in time.
        If a callback raises, the records after the failing one are kept and
        delivered first by the next `poll`/`consume`, and the exception propagates.
        """
        self.fd  # noqa: B018
        missing = [r.what for r in self._rings if r.callback is None]
        if missing:
            raise PybpfError(f"poll() needs a callback on every ring: {', '.join(missing)} has "
                             "none (add it with callback=..., or use read_batch)")
        if not self._rings:
            raise PybpfError("ring buffer reader has no ring buffer: call add(map) first")
        n = self.consume()
        if n or timeout_ms == 0:
            return n
        return self.poll_until(self._deliver_tokens, timeout_ms)

    def _deliver_tokens(self, tokens: list[int]) -> int:
        rings = self._rings
        return self._deliver_all([rings[t] for t in tokens if t < len(rings)])

    def consume(self) -> int:
        """Deliver every ready record of every ring to its callback without waiting."""
        return self._deliver_all(list(self._rings))

    def _deliver_all(self, rings: list[_Ring]) -> int:
        n = 0
        for ring in rings:
            if self.closed:  # a callback closed the reader: stop quietly
                break
            n += self._deliver(ring)
        return n

    def _deliver(self, ring: _Ring) -> int:
        if ring.callback is None:
            return 0
        batch = ring.drain(self._max_bytes)
        if ring.pending:
            batch = ring.pending + (list(batch) if ring.dtype is not None else batch)
        ring.pending = []
        cb = ring.callback
        for i, record in enumerate(batch):
            try:
                cb(record)
            except BaseException:
                rest = batch[i + 1:]  # a Records stays one (no bytes made for the rest)
                ring.pending = rest if isinstance(rest, Records) else list(rest)
                raise
        return len(batch)

    # -- batches ------------------------------------------------------------------------------
    def read_batch(self, timeout_ms: int = 0, *, ring: int = 0, out: Any = None) -> Any:
        """All records ready on ring ``ring``, at once (waiting up to ``timeout_ms`` for some).

        Returns a `pybpf.kernel.records.Records`: a read-only sequence of ``bytes``
        that compares equal to the list of them and makes each ``bytes`` when it is read
        (``.tolist()`` makes them all; ``.buffer``, ``.offsets`` and ``.record_size`` reach
        the packed payloads without making any). A list of memoryviews if the ring was
        added with ``memoryviews=True``, a numpy array when the ring has a dtype; empty when
        nothing came in time. Each call copies the records into one new
        buffer: see the module's ownership rule. A streaming consumer that
        processes and drops each batch does best with a bounded batch
        (``RingBufReader(..., max_batch_bytes=256 << 10)``): the memory of one
        batch's objects is then reused by the next.

        ``out`` (rings with a dtype only): a 1-D C-contiguous numpy array of
        that dtype to copy records into instead, at most ``len(out)`` of them
        (the rest wait for the next call); returns the view ``out[:n]``. The
        caller owns ``out``: passing it again overwrites the records. Reusing
        one array spares the page faults of fresh memory on every call.

        >>> batch = rb.read_batch()                           # doctest: +SKIP
        >>> batch == [b"rec1", b"rec2"], batch[-1], batch.tolist()  # doctest: +SKIP
        (True, b'rec2', [b'rec1', b'rec2'])
        >>> buf = np.empty(1 << 16, dtype=rb_dtype)           # doctest: +SKIP
        >>> while True:                                       # doctest: +SKIP
        ...     process(rb.read_batch(timeout_ms=100, out=buf))
        """
        r = self._ring(ring)
        if out is not None:
            self._check_out(r, out)
        if timeout_ms != 0 and not r.pending:
            self.wait_for(r.ready, timeout_ms)
        if out is not None:
            k = 0
            if r.pending:
                k = min(len(r.pending), len(out))
                out[:k] = r.pending[:k]
                r.pending = r.pending[k:]
            return out[:k + r.drain_into(out[k:])]
        batch = r.drain(self._max_bytes)
        if r.pending:
            pending, r.pending = r.pending, []
            if r.dtype is not None:
                import numpy as np  # lazy: numpy is optional (pybpf[numpy])

                return np.concatenate([np.array(pending, dtype=r.dtype), batch])
            return pending + batch
        return batch

    @staticmethod
    def _check_out(r: _Ring, out: Any) -> None:
        if r.dtype is None:
            raise PybpfError(f"{r.what}: read_batch(out=...) needs a ring added with a dtype")
        dtype = getattr(out, "dtype", None)
        flags = getattr(out, "flags", None)
        if dtype != r.dtype or getattr(out, "ndim", 0) != 1 or flags is None or \
                not flags.c_contiguous or not flags.writeable:
            raise PybpfError(f"{r.what}: out must be a writable 1-D C-contiguous numpy array of "
                             f"dtype {r.dtype}, got {type(out).__name__} "
                             f"{getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}")

    # -- lifetime -----------------------------------------------------------------------------
    def _release(self) -> None:
        for r in getattr(self, "_rings", []):
            r.close()
        self._rings = []

    def _repr_extra(self) -> str:
        return f" rings={len(self._rings)}" if not self.closed else ""


#: old names, kept for one release with a DeprecationWarning (docs/kernel.md showed them)
__getattr__ = module_getattr(__name__, {"RingBuffer": (f"{__name__}.RingBufReader", "0.2")})
