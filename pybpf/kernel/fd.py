"""`FD`: the small base class of every object that owns a kernel file descriptor.

An `FD` is a context manager, closes its descriptor exactly once (``close()``
twice is harmless), closes it when garbage collected, and refuses to be used
after closing (`PybpfError` naming the object, instead of an ``EBADF`` on a
number the process may already have reused).

>>> import os
>>> r, w = os.pipe(); os.close(w)
>>> with FD(r, kind="pipe") as f:
...     f.fileno() == r
True
>>> f.closed
True
"""
from __future__ import annotations

import os
from _thread import allocate_lock  # (threading's Lock, without importing threading)

from ..errors import PybpfError

__all__ = ["FD", "ClosedError"]


class ClosedError(PybpfError, ValueError):
    """An operation on an object whose file descriptor is already closed."""


class FD:
    """Owns one file descriptor. Subclasses add meaning (`Map`, `Program`, links...)."""

    _kind = "fd"

    def __init__(self, fd: int, *, kind: str | None = None) -> None:
        if not isinstance(fd, int) or isinstance(fd, bool) or fd < 0:
            raise PybpfError(f"{kind or self._kind}: invalid file descriptor {fd!r}")
        self._fd: int = fd
        if kind is not None:
            self._kind = kind
        self._close_lock = allocate_lock()

    # -- the descriptor ---------------------------------------------------------------------
    @property
    def fd(self) -> int:
        """The descriptor number; `ClosedError` once closed."""
        fd = self._fd
        if fd < 0:
            raise ClosedError(f"{self._kind} is closed")
        return fd

    def fileno(self) -> int:
        return self.fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def close(self) -> None:
        """Close the descriptor (once; later calls do nothing)."""
        lock = getattr(self, "_close_lock", None)
        if lock is None:  # __init__ failed before the fd was owned
            return
        with lock:
            fd = getattr(self, "_fd", -1)
            if fd < 0:
                return
            self._fd = -1
        self._release()
        try:
            os.close(fd)
        except OSError:
            pass

    def _release(self) -> None:
        """Hook for subclasses: drop resources tied to the fd (mmaps, owned maps...)."""

    def detach_fd(self) -> int:
        """Give up ownership: return the fd without closing it (the caller must close it)."""
        with self._close_lock:
            fd = self.fd
            self._fd = -1
        return fd

    # -- protocol ---------------------------------------------------------------------------
    def __enter__(self):  # noqa: ANN204 - returns the subclass
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"<{type(self).__name__} {state}{self._repr_extra()}>"

    def _repr_extra(self) -> str:
        return ""
