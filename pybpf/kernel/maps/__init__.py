"""BPF maps: `Map` (a dict-like view of a kernel map), one class per map kind, codecs.

- `base`: the `Map` base class (creation from a `MapSpec`, element access, iteration,
  pinning), the registry of kind classes;
- `kinds`: the hash and array kinds (`HashMap`, `ArrayMap`); `variants`: their LRU and
  per-CPU variants (`PerCpuHashMap`, ...); `special`: the others (`RingBufMap`,
  `QueueMap`, ...); the last two imported at their first use;
- `storage`: local-storage maps (sk, inode, task, cgroup), which need BTF;
- `batch`: the batch operations of `Map` (loaded at the first batch call);
- `codec`: keys and values as Python objects (``int``, struct formats, ctypes, numpy).

`Map.create` returns the class of the kind: the hash and array kinds are registered with the
package, the others (`variants`, `special`, `storage`) at their first use.

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
    MapSpec,
    MapSpecError,
    map_class,
    possible_cpus,
    register,
)
from .codec import Codec, codec_for
from .kinds import SPECIAL, VARIANTS, ArrayMap, HashMap

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from ..info import MapInfo
    from .batch import BatchItems
    from .special import *  # noqa: F403 - the kinds of special.__all__, named there once
    from .storage import *  # noqa: F403 - the storage kinds and storage_btf (storage.__all__)
    from .variants import *  # noqa: F403 - the LRU and per-CPU kinds (variants.__all__)

#: the local-storage kinds and the kinds beyond the hash and array families (`kinds.SPECIAL`),
#: imported (and registered) at their first use: `map_class` of their type or one of these names
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
    if name == "BatchItems":  # (the batch module loads at the first batch call)
        from .batch import BatchItems

        return BatchItems
    if name == "MapInfo":  # (what `Map.info` answers: pybpf.kernel.info, loaded then)
        from ..info import MapInfo

        return MapInfo
    if name in VARIANTS:  # (the LRU and per-CPU kinds: made at their first use)
        from . import variants

        return getattr(variants, name)
    if name in _STORAGE or name in SPECIAL:
        from . import special, storage

        return getattr(storage if name in _STORAGE else special, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
