"""BPF maps: `Map` (a dict-like view of a kernel map), one class per map kind, codecs.

- `base`: the `Map` base class (creation from a `MapSpec`, element access, iteration,
  pinning), the registry of kind classes;
- `kinds`: one class per map kind (`HashMap`, `ArrayMap`, `RingBufMap`, ...);
- `storage`: local-storage maps (sk, inode, task, cgroup), which need BTF;
- `batch`: the batch operations mixed into `Map`;
- `codec`: keys and values as Python objects (``int``, struct formats, ctypes, numpy).

Importing the package registers every kind, so `Map.create` returns the class of the kind.

>>> from pybpf.kernel.maps import HashMap                       # doctest: +SKIP
>>> with HashMap.create(MapSpec(max_entries=64, key_type="<I", value_type="<Q")) as m:
...     m[1] = 10
...     m[1], 1 in m, 2 in m, m.count()
(10, True, False, 1)
"""
from __future__ import annotations

from .base import (
    CodecError,
    Map,
    MapInfo,
    MapSpec,
    MapSpecError,
    map_class,
    possible_cpus,
    register,
)
from .batch import BatchItems
from .codec import Codec, codec_for
from .kinds import (
    ArenaMap,
    ArrayMap,
    ArrayOfMaps,
    BloomFilterMap,
    CgroupArrayMap,
    CpuMap,
    DevMap,
    DevMapHash,
    HashMap,
    HashOfMaps,
    LpmTrieMap,
    LruHashMap,
    LruPerCpuHashMap,
    PerCpuArrayMap,
    PerCpuHashMap,
    PerfEventArrayMap,
    ProgArrayMap,
    QueueMap,
    ReuseportSockArrayMap,
    RingBufMap,
    SockHash,
    SockMap,
    StackMap,
    StackTraceMap,
    UserRingBufMap,
    XskMap,
)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from .storage import (
        CgroupStorageMap,
        CgrpStorageMap,
        InodeStorageMap,
        PerCpuCgroupStorageMap,
        SkStorageMap,
        TaskStorageMap,
        storage_btf,
    )

#: the local-storage kinds, imported (and registered) at their first use: `map_class` of a
#: storage type or one of these names
_STORAGE = ("CgroupStorageMap", "CgrpStorageMap", "InodeStorageMap", "PerCpuCgroupStorageMap",
            "SkStorageMap", "TaskStorageMap", "storage_btf")

__all__ = [
    "Map", "MapInfo", "MapSpec", "MapSpecError", "possible_cpus", "map_class",
    "register", "Codec", "CodecError", "codec_for", "BatchItems",
    "HashMap", "ArrayMap", "PerCpuHashMap", "PerCpuArrayMap", "LruHashMap", "LruPerCpuHashMap",
    "LpmTrieMap", "ArrayOfMaps", "HashOfMaps", "ProgArrayMap", "PerfEventArrayMap", "RingBufMap",
    "UserRingBufMap", "QueueMap", "StackMap", "BloomFilterMap", "StackTraceMap", "CgroupArrayMap",
    "DevMap", "DevMapHash", "CpuMap", "XskMap", "SockMap", "SockHash", "ReuseportSockArrayMap",
    "ArenaMap", "SkStorageMap", "InodeStorageMap", "TaskStorageMap", "CgrpStorageMap",
    "CgroupStorageMap", "PerCpuCgroupStorageMap", "storage_btf",
]


def __getattr__(name: str) -> object:
    if name in _STORAGE:
        from . import storage

        return getattr(storage, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
