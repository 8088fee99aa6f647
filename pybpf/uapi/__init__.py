"""The bpf() ABI as data: attribute layouts, kernel type names, flags. No kernel needed.

Every layer may read this package (the verifier and the ELF loader name map and program
types with it; `pybpf.kernel` packs its bpf() attributes with it); it imports nothing of
pybpf but `pybpf.errors`.

- `pybpf.uapi.names`: ``MAP_TYPES``, ``PROG_TYPES``, ``ATTACH_TYPES``, ``LINK_TYPES``...,
  `map_type` / `prog_type` / `attach_type` / `link_type` (name or number -> number),
  `type_name`, and the flag constants (``BPF_ANY``, ``BPF_F_MMAPABLE``, ``BPF_F_SLEEPABLE``...);
- `pybpf.uapi.layouts`: `Layout` and one layout per attribute struct (``MAP_CREATE``,
  ``PROG_LOAD``, ``TEST``, ``PROG_INFO``...);
- `pybpf.uapi.cpus`: `possible_cpus`, the length of a per-CPU value;
- `pybpf.uapi.generated`: the table generated from the running kernel's BTF
  (``attrs_table.py``) beside its generator (``gen_attrs_table.py``).

>>> attr = MAP_CREATE.new(map_type=map_type("hash"), key_size=4, value_size=8, max_entries=16)
>>> MAP_CREATE.get(attr, "map_type") == MAP_TYPES["hash"]
True
"""
from __future__ import annotations

from . import names
from .cpus import possible_cpus
from .layouts import (
    BATCH,
    BTF_INFO,
    BTF_LOAD,
    ENABLE_STATS,
    GET_ID,
    INFO,
    ITER_CREATE,
    LINK_CREATE,
    LINK_DETACH,
    LINK_INFO,
    LINK_UPDATE,
    MAP_CREATE,
    MAP_ELEM,
    MAP_INFO,
    OBJ,
    PROG_ATTACH,
    PROG_BIND_MAP,
    PROG_INFO,
    PROG_LOAD,
    QUERY,
    RAW_TRACEPOINT,
    TASK_FD_QUERY,
    TEST,
    Layout,
)
from .names import *  # noqa: F403 - every name of names.__all__, listed there once

__all__ = [
    "possible_cpus",
    "Layout",
    "MAP_CREATE",
    "MAP_ELEM",
    "BATCH",
    "PROG_LOAD",
    "OBJ",
    "PROG_ATTACH",
    "TEST",
    "GET_ID",
    "INFO",
    "QUERY",
    "RAW_TRACEPOINT",
    "BTF_LOAD",
    "TASK_FD_QUERY",
    "LINK_CREATE",
    "LINK_UPDATE",
    "LINK_DETACH",
    "ENABLE_STATS",
    "ITER_CREATE",
    "PROG_BIND_MAP",
    "PROG_INFO",
    "MAP_INFO",
    "BTF_INFO",
    "LINK_INFO",
]
__all__ += names.__all__  # every name of names (imported above)
