"""The running kernel: bpf() commands, maps, programs, links, ring/perf buffers.

Nothing outside this package touches the kernel. Submodules: `maps` (one class per map
kind), `prog` (load, test_run), `link` (attach, one function per kind), `ringbuf`/`perfbuf`
(readers), `pin` (bpffs), `fs`/`tracefs` (mounts, tracepoint formats), `features`
(probes), `btf` (BTF loading), `oracle` (run a program the way the VM does, to compare).
The bpf() layouts and constants it packs are `pybpf.uapi`'s (no kernel needed to read them).

>>> from pybpf.kernel import Map, MapSpec, load                 # doctest: +SKIP
>>> counts = Map.create(MapSpec("counts", "hash", max_entries=64, key_type="<I", value_type="<Q"))
"""
from ..uapi import (
    BPF_ANY,
    BPF_EXIST,
    BPF_F_MMAPABLE,
    BPF_F_NO_PREALLOC,
    BPF_F_RDONLY_PROG,
    BPF_NOEXIST,
    attach_type,
    map_type,
    prog_type,
)
from . import fs, link, pin, tracefs
from .fd import FD, ClosedError
from .maps import (
    ArenaMap,
    ArrayMap,
    ArrayOfMaps,
    BloomFilterMap,
    CgroupArrayMap,
    CgroupStorageMap,
    CgrpStorageMap,
    Codec,
    CodecError,
    CpuMap,
    DevMap,
    DevMapHash,
    HashMap,
    HashOfMaps,
    InodeStorageMap,
    LpmTrieMap,
    LruHashMap,
    LruPerCpuHashMap,
    Map,
    MapInfo,
    MapSpec,
    MapSpecError,
    PerCpuArrayMap,
    PerCpuCgroupStorageMap,
    PerCpuHashMap,
    PerfEventArrayMap,
    ProgArrayMap,
    QueueMap,
    ReuseportSockArrayMap,
    RingBufMap,
    SkStorageMap,
    SockHash,
    SockMap,
    StackMap,
    StackTraceMap,
    TaskStorageMap,
    UserRingBufMap,
    XskMap,
    possible_cpus,
)
from .perfbuf import PerfBufReader
from .prog import LoadOptions, ProgInfo, ProgLoadError, Program, TestRun, load
from .ringbuf import RingBufReader
from .syscall import Cmd, bpf

__all__ = [
    "BPF_ANY", "BPF_EXIST", "BPF_NOEXIST", "BPF_F_MMAPABLE", "BPF_F_NO_PREALLOC", "BPF_F_RDONLY_PROG",
    "attach_type", "map_type", "prog_type", "FD", "ClosedError",
    "Map", "MapInfo", "MapSpec", "MapSpecError", "possible_cpus", "Codec", "CodecError",
    "HashMap", "ArrayMap", "PerCpuHashMap", "PerCpuArrayMap", "LruHashMap", "LruPerCpuHashMap",
    "LpmTrieMap", "ArrayOfMaps", "HashOfMaps", "ProgArrayMap", "PerfEventArrayMap", "RingBufMap",
    "UserRingBufMap", "QueueMap", "StackMap", "BloomFilterMap", "StackTraceMap", "CgroupArrayMap",
    "DevMap", "DevMapHash", "CpuMap", "XskMap", "SockMap", "SockHash", "ReuseportSockArrayMap",
    "ArenaMap", "SkStorageMap", "InodeStorageMap", "TaskStorageMap", "CgrpStorageMap",
    "CgroupStorageMap", "PerCpuCgroupStorageMap",
    "LoadOptions", "Program", "ProgInfo", "ProgLoadError", "TestRun", "load", "Cmd", "bpf",
    "RingBufReader", "PerfBufReader",
    "features", "fs", "link", "pin", "tracefs",
]


def __getattr__(name: str) -> object:
    # `features` probes the kernel with the verifier's tables, whose import costs more than a
    # probe's whole startup (pybpf trace's first event): it loads on first use.
    if name == "features":
        import importlib

        return importlib.import_module(f"{__name__}.features")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
