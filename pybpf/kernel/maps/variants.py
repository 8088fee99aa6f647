"""The LRU and per-CPU variants of the hash and array kinds (`LruHashMap`, `PerCpuHashMap`,
`LruPerCpuHashMap`, `PerCpuArrayMap`): imported, and registered, at their first use
(`pybpf.kernel.maps.kinds` and the package name them; `Map.create` of their type loads
them), so that a program using a plain hash or array map makes none of their classes.

>>> from pybpf.kernel.maps import MapSpec, PerCpuArrayMap, possible_cpus
>>> with PerCpuArrayMap.create(MapSpec(max_entries=1, key_type=int, value_type="<Q")) as m:  # doctest: +SKIP
...     m[0] = 5                                                    # every CPU's value
...     m[0] == [5] * possible_cpus()
True
"""
from __future__ import annotations

from .base import register
from .kinds import ArrayMap, HashMap

__all__ = ["LruHashMap", "PerCpuHashMap", "LruPerCpuHashMap", "PerCpuArrayMap"]


@register
class LruHashMap(HashMap):
    """``BPF_MAP_TYPE_LRU_HASH``: a hash map evicting the least recently used entries."""

    TYPE = "lru_hash"


@register
class PerCpuHashMap(HashMap):
    """``BPF_MAP_TYPE_PERCPU_HASH``: one value per possible CPU (read as a list)."""

    TYPE = "percpu_hash"
    PER_CPU = True


@register
class LruPerCpuHashMap(PerCpuHashMap):
    """``BPF_MAP_TYPE_LRU_PERCPU_HASH``."""

    TYPE = "lru_percpu_hash"


@register
class PerCpuArrayMap(ArrayMap):
    """``BPF_MAP_TYPE_PERCPU_ARRAY``: an array with one value per possible CPU."""

    TYPE = "percpu_array"
    PER_CPU = True
