"""One `Map` class per kernel map kind: the hash and array kinds here, their LRU and per-CPU
variants in `pybpf.kernel.maps.variants`, the others in `pybpf.kernel.maps.special` (both
imported at their first use; named here as well).

Each class fixes what its kind requires (key/value sizes, flags, codecs) so
that `Map.create` can refuse a wrong spec with `MapSpecError` before the
kernel is asked, and adds the operations of its kind (queue push/pop, LPM
prefixes, map-in-map inner maps, memory-mapped arrays...).

>>> from pybpf.kernel.maps import MapSpec, QueueMap
>>> with QueueMap.create(MapSpec(max_entries=8, value_type="<I")) as q:
...     q.push(1); q.push(2); q.pop(), q.peek()
(1, 2)
"""
from __future__ import annotations

import errno
import os

from ... import uapi as A
from ...errors import KernelError, PybpfError
from .base import Map, register

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

    from .special import *  # noqa: F403 - the kinds of special.__all__ (named there once)
    from .variants import *  # noqa: F403 - the LRU and per-CPU kinds (variants.__all__)

__all__ = [
    "HashMap", "ArrayMap", "PerCpuHashMap", "PerCpuArrayMap", "LruHashMap", "LruPerCpuHashMap",
    "LpmTrieMap", "ArrayOfMaps", "HashOfMaps", "ProgArrayMap", "PerfEventArrayMap", "RingBufMap",
    "UserRingBufMap", "QueueMap", "StackMap", "BloomFilterMap", "StackTraceMap", "CgroupArrayMap",
    "DevMap", "DevMapHash", "CpuMap", "XskMap", "SockMap", "SockHash", "ReuseportSockArrayMap",
    "ArenaMap",
]

_PAGE = os.sysconf("SC_PAGE_SIZE")  # (mmap.PAGESIZE: mmap is imported by memory() alone)


@register
class HashMap(Map):
    """``BPF_MAP_TYPE_HASH``: any key size, any value size."""

    TYPE = "hash"


@register
class ArrayMap(Map):
    """``BPF_MAP_TYPE_ARRAY``: 4-byte int index keys 0..max_entries-1, all present (zeroed).

    With ``flags=BPF_F_MMAPABLE``, `memory` maps the values into this process as a
    writable ``memoryview`` that programs and user space share.
    """

    TYPE = "array"
    KEY_SIZE = 4
    KEY_TYPE = int

    def delete(self, key: Any) -> None:
        raise PybpfError(f"{self._detail()}: array elements cannot be deleted (set them to zero)")

    def count(self) -> int:
        return self.max_entries

    @property
    def stride(self) -> int:
        """Bytes between consecutive elements in `memory` (value_size rounded up to 8)."""
        return (self.value_size + 7) & ~7

    def memory(self) -> memoryview:
        """The values as one writable memoryview of ``stride * max_entries`` bytes: element
        ``i`` is at ``i * stride`` (``BPF_F_MMAPABLE`` arrays only; read-only once frozen).
        Valid while referenced, even after `close`."""
        if not self.flags & A.BPF_F_MMAPABLE:
            raise PybpfError(f"{self._detail()}: memory() needs an array created with "
                             "flags=BPF_F_MMAPABLE")
        if self._mmap is None:
            import mmap  # (a start-up path: the one use)

            length = (self.stride * self.max_entries + _PAGE - 1) // _PAGE * _PAGE
            try:
                self._mmap = mmap.mmap(self.fd, length, mmap.MAP_SHARED,
                                       mmap.PROT_READ | mmap.PROT_WRITE)
            except PermissionError:
                self._mmap = mmap.mmap(self.fd, length, mmap.MAP_SHARED, mmap.PROT_READ)
            except OSError as e:
                raise KernelError("mmap", e.errno or errno.EINVAL,
                                  hint="cannot map the array into memory", detail=self._detail()) from e
        return memoryview(self._mmap)[:self.stride * self.max_entries]


#: the kinds `pybpf.kernel.maps.variants` defines, imported at their first use
VARIANTS = frozenset(__all__[2:6])
#: the kinds `pybpf.kernel.maps.special` defines, imported at their first use
SPECIAL = frozenset(__all__[6:])


def __getattr__(name: str) -> object:
    if name in VARIANTS:
        from . import variants

        return getattr(variants, name)
    if name in SPECIAL:
        from . import special

        return getattr(special, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
