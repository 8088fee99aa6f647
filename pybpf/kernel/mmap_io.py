"""What the ring and perf buffer readers share: epoll, mmap'd regions, the native drain
calls and the cutting of drained bytes into records.

`pybpf.kernel.ringbuf.RingBufReader` and `pybpf.kernel.perfbuf.PerfBufReader` both own an
`Epoll` over mmap'd kernel memory (`MappedRegion`) and drain it with the C loop of
``pybpf._native``; this module is that common ground.

>>> fd_of(7, "map")
7
"""
from __future__ import annotations

import errno
import gc
import mmap
import time
from collections.abc import Callable
from typing import Any

from .. import uapi as attrs
from ..errors import KernelError, PybpfError
from .fd import FD
from .records import Records
from .syscall import Cmd, bpf

__all__ = ["PAGE_SIZE", "Epoll", "MappedRegion", "drained_records", "fd_of", "map_info", "native",
           "raw_alloc", "split_records"]

PAGE_SIZE = mmap.PAGESIZE
_EPOLLIN = 0x001


_NATIVE: tuple[Any, Any] | None = None


def native() -> tuple[Any, Any]:
    """``(ffi, lib)`` of ``pybpf._native``, imported once (an import statement per call
    would cost more than draining a small batch)."""
    global _NATIVE
    if _NATIVE is None:
        from .._native import ffi, lib  # lazy: the compiled module loads on first syscall

        _NATIVE = (ffi, lib)
    return _NATIVE


def raw_alloc() -> Callable[[str, int], Any]:
    """An ffi allocator that does not zero memory (every byte handed out is written first)."""
    global _ALLOC
    if _ALLOC is None:
        ffi, _ = native()
        _ALLOC = ffi.new_allocator(should_clear_after_alloc=False)
    return _ALLOC


_ALLOC: Callable[[str, int], Any] | None = None


def fd_of(obj: object, what: str) -> int:
    """The fd number of a map object (``.fd``/``fileno()``) or of a plain int."""
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj
    fd = getattr(obj, "fd", None)
    if fd is None and hasattr(obj, "fileno"):
        fd = obj.fileno()
    if not isinstance(fd, int):
        raise PybpfError(f"{what}: expected a map object with an fd or an int fd, "
                         f"got {type(obj).__name__}")
    return fd


def map_info(fd: int) -> dict[str, int | bytes]:
    """``BPF_OBJ_GET_INFO_BY_FD`` of a map: type, id, key/value size, max_entries, name...

    >>> map_info(rb_fd)["max_entries"]        # doctest: +SKIP
    4096
    """
    info = bytearray(attrs.MAP_INFO.size)
    ffi, _ = native()
    buf = ffi.from_buffer(info)
    attr = attrs.INFO.new(bpf_fd=fd, info_len=len(info), info=int(ffi.cast("uintptr_t", buf)))
    bpf(Cmd.OBJ_GET_INFO_BY_FD, attr)
    return attrs.MAP_INFO.unpack(info)


_VIEW_CHUNK = 4096
_SLICES: dict[int, list[slice]] = {}


def _slices(length: int) -> list[slice]:
    """``slice(i * length, (i + 1) * length)`` for i < 4096, made once per length."""
    s = _SLICES.get(length)
    if s is None:
        if len(_SLICES) > 64:
            _SLICES.clear()
        s = _SLICES[length] = [slice(i * length, (i + 1) * length) for i in range(_VIEW_CHUNK)]
    return s


def drained_records(out: Any, nbytes: int, offsets: Any, n: int, min_len: int,
                    max_len: int) -> Records:
    """The packed output of a drain call as one `Records` (no per-record object).

    ``out`` holds ``nbytes`` of payload, record ``i`` at ``offsets[i]:offsets[i+1]``.
    When every record has the same length (``min_len == max_len``) the offsets are not
    kept: the records are cut by that length.
    """
    if n == 0:
        return Records()
    ffi, _ = native()
    buf = ffi.buffer(out, nbytes)
    if min_len == max_len:
        return Records(buf, size=min_len, count=n)
    return Records(buf, memoryview(ffi.buffer(offsets, 4 * (n + 1))).cast("I"))


def split_records(out: Any, nbytes: int, offsets: Any, n: int, min_len: int, max_len: int,
                  as_bytes: bool) -> Any:
    """Cut the packed output of a drain call into ``n`` records.

    ``out`` holds ``nbytes`` of payload, record ``i`` at
    ``offsets[i]:offsets[i+1]``. Records are memoryviews of ``out`` (which
    they keep alive), in a list; with ``as_bytes``, a `Records` of ``bytes``
    (`drained_records`).
    """
    if as_bytes:
        return drained_records(out, nbytes, offsets, n, min_len, max_len)
    if n == 0:
        return []
    ffi, _ = native()
    data = memoryview(ffi.buffer(out, nbytes))
    # memoryviews are GC-tracked: building many at once triggers collections of the
    # growing list again and again, so the collector is paused meanwhile.
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        if min_len == max_len and min_len:
            # same-length records: cut 4096-record chunks with slice objects made once
            result: list[Any] = []
            step = _VIEW_CHUNK * min_len
            cuts = _slices(min_len)
            full, rest = divmod(n, _VIEW_CHUNK)
            for i in range(full + (rest > 0)):
                chunk = data[i * step:(i + 1) * step]
                result.extend(map(chunk.__getitem__, cuts if i < full else cuts[:rest]))
            return result
        offs = memoryview(ffi.buffer(offsets, 4 * (n + 1))).cast("I").tolist()
        return list(map(data.__getitem__, map(slice, offs, offs[1:])))
    finally:
        if enabled:
            gc.enable()


class Epoll(FD):
    """An epoll fd that maps registered fds to small integer tokens (level-triggered, EPOLLIN).

    >>> ep = Epoll(); ep.add_fd(fd, token=3); ep.wait(100)   # doctest: +SKIP
    [3]
    """

    _kind = "epoll"

    def __init__(self, *, kind: str = "epoll") -> None:
        ffi, lib = native()
        err = ffi.new("int *")
        fd = lib.pybpf_epoll_create(err)
        if fd < 0:
            raise KernelError("epoll_create1", err[0])
        super().__init__(int(fd), kind=kind)
        self._tokens = ffi.new("unsigned long long[64]")
        self._events = ffi.new("unsigned int[64]")
        self._err = err

    def add_fd(self, fd: int, token: int) -> None:
        """Watch ``fd`` for input; `wait` reports it as ``token``."""
        ffi, lib = native()
        if lib.pybpf_epoll_add(self.fd, fd, _EPOLLIN, token, self._err) < 0:
            raise KernelError("epoll_ctl(EPOLL_CTL_ADD)", self._err[0], detail=f"fd {fd}")

    def wait(self, timeout_ms: int) -> list[int]:
        """Tokens of the fds ready within ``timeout_ms`` (-1: forever, 0: do not block).

        EINTR is retried with the time left (Python signal handlers run in between).
        """
        _, lib = native()
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            n = lib.pybpf_epoll_wait(self.fd, self._tokens, self._events, 64, timeout_ms, self._err)
            if n >= 0:
                return [int(self._tokens[i]) for i in range(n)]
            if self._err[0] != errno.EINTR:
                raise KernelError("epoll_wait", self._err[0])
            if deadline is not None:
                timeout_ms = max(0, int((deadline - time.monotonic()) * 1000))

    def poll_until(self, deliver: Callable[[list[int]], int], timeout_ms: int) -> int:
        """``deliver(tokens)`` after each `wait` until it delivers something, this fd is
        closed or ``timeout_ms`` has passed (-1: forever); returns its last count."""
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            left = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            n = deliver(self.wait(left))
            if n or self.closed or (deadline is not None and time.monotonic() >= deadline):
                return n

    def wait_for(self, ready: Callable[[], Any], timeout_ms: int) -> None:
        """`wait` until ``ready()`` is true or ``timeout_ms`` has passed (-1: forever)."""
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while not ready():
            left = -1 if deadline is None else int((deadline - time.monotonic()) * 1000)
            if deadline is not None and left <= 0:
                return
            self.wait(left)


class MappedRegion:
    """One mmap of an fd, unmapped once."""

    __slots__ = ("addr", "length")

    def __init__(self, fd: int, length: int, offset: int, writable: bool, what: str) -> None:
        ffi, lib = native()
        err = ffi.new("int *")
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
        addr = lib.pybpf_mmap(fd, length, prot, mmap.MAP_SHARED, offset, err)
        if addr == ffi.NULL:
            raise KernelError("mmap", err[0], detail=f"{what}: {length} bytes at offset {offset}")
        self.addr = addr
        self.length = length

    def unmap(self) -> None:
        if self.addr is not None:
            ffi, lib = native()
            addr, self.addr = self.addr, None
            lib.pybpf_munmap(addr, self.length, ffi.new("int *"))
