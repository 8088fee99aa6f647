"""The running kernel: bpf() commands, maps, programs, links, ring/perf buffers.

Nothing outside this package touches the kernel. Submodules: `maps` (one class per map
kind), `prog` (load, test_run), `link` (attach, one function per kind), `ringbuf`/`perfbuf`
(readers), `pin` (bpffs), `fs`/`tracefs` (mounts, tracepoint formats), `features`
(probes), `btf` (BTF loading), `oracle` (run a program the way the VM does, to compare).
The bpf() layouts and constants it packs are `pybpf.uapi`'s (no kernel needed to read them).

>>> from pybpf.kernel import Map, MapSpec, load
>>> counts = Map.create(MapSpec("counts", "hash", max_entries=64, key_type="<I", value_type="<Q"))
"""
import sys as _sys

TYPE_CHECKING = False  # (not typing's: `import pybpf.kernel` stays cheap)
if TYPE_CHECKING:  # the names below load on first use (see __getattr__)
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
    from . import features, fs, link, pin, tracefs
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
    from .records import Records
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
    "RingBufReader", "PerfBufReader", "Records",
    "features", "fs", "link", "pin", "tracefs",
]


#: name -> the module that defines it (relative to this package; "" for a submodule).
#: Nothing is imported with the package: `pybpf.kernel.Map` loads the map classes on first
#: use, so a probe that needs a map, a program and one link kind imports no more than that
#: (start-up is part of every probe's cost: see benchmarks/startup.py).
_LAZY: dict[str, str] = {
    **dict.fromkeys(("BPF_ANY", "BPF_EXIST", "BPF_F_MMAPABLE", "BPF_F_NO_PREALLOC",
                     "BPF_F_RDONLY_PROG", "BPF_NOEXIST", "attach_type", "map_type", "prog_type"),
                    "..uapi"),
    **dict.fromkeys(("features", "fs", "link", "pin", "tracefs"), ""),
    "FD": ".fd", "ClosedError": ".fd",
    **dict.fromkeys(("ArenaMap", "ArrayMap", "ArrayOfMaps", "BloomFilterMap", "CgroupArrayMap", "CgroupStorageMap", "CgrpStorageMap", "Codec", "CodecError", "CpuMap", "DevMap", "DevMapHash", "HashMap", "HashOfMaps", "InodeStorageMap", "LpmTrieMap", "LruHashMap", "LruPerCpuHashMap", "Map", "MapInfo", "MapSpec", "MapSpecError", "PerCpuArrayMap", "PerCpuCgroupStorageMap", "PerCpuHashMap", "PerfEventArrayMap", "ProgArrayMap", "QueueMap", "ReuseportSockArrayMap", "RingBufMap", "SkStorageMap", "SockHash", "SockMap", "StackMap", "StackTraceMap", "TaskStorageMap", "UserRingBufMap", "XskMap", "possible_cpus"), ".maps"),
    "PerfBufReader": ".perfbuf", "RingBufReader": ".ringbuf", "Records": ".records",
    **dict.fromkeys(("LoadOptions", "ProgInfo", "ProgLoadError", "Program", "TestRun", "load"),
                    ".prog"),
    "Cmd": ".syscall", "bpf": ".syscall",
}


def __getattr__(name: str) -> object:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # (__import__, not importlib's import_module: importlib imports warnings)
    module = f"pybpf.{where[2:]}" if where.startswith("..") else f"{__name__}{where or '.' + name}"
    __import__(module)
    value = _sys.modules[module] if not where else getattr(_sys.modules[module], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
