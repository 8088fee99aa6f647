"""``m[k]``, ``m[k] = v`` and ``del m[k]`` of `pybpf.kernel.maps.Map`: its base `ElemBase`.

`ElemBase` is `pybpf._mapcall`'s ``ElemBase`` (src_c/pyext/mapcall.c) where that extension
was built: a C type whose mapping slots make an integer map's ``m[k]`` and ``m[k] = v``
one slot call (no Python frame), reading the map's fd and shape from its two C fields
(``_fd``, which `pybpf.kernel.fd.FD` sets, and ``_fast``, which ``Map._fast_uint`` sets).
Everything else (a key or value that is not an int that fits, an error other than a missing
key, a closed map, the `pybpf.kernel.syscall` seam replaced) calls ``Map.lookup`` or
``Map.update``, which decide; ``del m[k]`` is ``Map.delete``. Where the extension is
missing, `ElemsPy` does the same in Python (through `Map`'s compiled calls when there are
some). tests/kernel/test_map_fast_paths.py holds the paths to each other.
"""
from __future__ import annotations

import errno

from .. import syscall

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ElemBase", "ElemsPy"]

_NATIVE_BPF = syscall._native_bpf
_ENOENT = errno.ENOENT


class ElemsPy:
    """`Map`'s ``m[k]``, ``m[k] = v`` and ``del m[k]`` in Python (the base of `Map` where
    `pybpf._mapcall` is missing)."""

    if TYPE_CHECKING:
        _fd: int
        _shape: int
        _get: Any
        _set: Any
        def lookup(self, key: Any) -> Any: ...
        def update(self, key: Any, value: Any) -> None: ...
        def delete(self, key: Any) -> None: ...

    def __getitem__(self, key: Any) -> Any:
        """``m[k]``: ``Map.lookup`` without a default (an integer map's found key costs one C
        call and no more: this is the hottest line of many a reader)."""
        get = self._get
        if get is not None and syscall._sys_bpf is _NATIVE_BPF:
            try:
                value = get(self._fd, key, self._shape)
            except (TypeError, OverflowError):
                return self.lookup(key)
            if value >= 0:
                return value
            if value == -_ENOENT:
                raise KeyError(key)
        return self.lookup(key)  # other errors: lookup says which

    def __setitem__(self, key: Any, value: Any) -> None:
        """``m[k] = v``: ``Map.update`` with BPF_ANY (an integer map: one C call)."""
        set_ = self._set
        if set_ is not None and syscall._sys_bpf is _NATIVE_BPF:
            try:
                if not set_(self._fd, key, value, self._shape, 0):
                    return
            except (TypeError, OverflowError):
                pass
        self.update(key, value)  # and failures: update raises the error

    def __delitem__(self, key: Any) -> None:
        self.delete(key)


if TYPE_CHECKING:
    ElemBase = ElemsPy


def __getattr__(name: str) -> object:
    if name == "ElemBase":  # (chosen by pybpf.kernel.maps.base, which loads this module only
        from .base import ElemBase  # where pybpf._mapcall was not built)

        return ElemBase
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
