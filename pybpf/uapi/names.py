"""Kernel names and constants of the bpf() ABI: map, program, attach and link types, flags.

The type tables and the flag enums are generated from the running kernel's BTF into
`pybpf.uapi.generated.attrs_table`; the few constants the uapi header has only as
``#define`` (program flags, test-run flags, log levels), which BTF cannot carry, are
spelt here. `map_type`, `prog_type`, `attach_type`, `link_type` turn kernel names (lower
case, no prefix) or numbers into numbers, with a clear error for unknown names.

>>> prog_type("xdp") == PROG_TYPES["xdp"]
True
>>> type_name(MAP_TYPES, map_type("BPF_MAP_TYPE_RINGBUF"))
'ringbuf'
"""
from __future__ import annotations

from ..errors import PybpfError
from .generated.attrs_table import (
    ATTACH_TYPES,
    COMMANDS,
    FLAGS,
    LINK_TYPES,
    MAP_TYPES,
    PERF_EVENT_TYPES,
    PROG_TYPES,
    STATS_TYPES,
)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ATTACH_TYPES", "COMMANDS", "FLAGS", "LINK_TYPES", "MAP_TYPES", "PERF_EVENT_TYPES",
    "PROG_TYPES", "STATS_TYPES", "attach_type", "link_type", "map_type", "object_name", "prog_type",
    "type_name",
    "BPF_F_STRICT_ALIGNMENT",
    "BPF_F_ANY_ALIGNMENT",
    "BPF_F_TEST_RND_HI32",
    "BPF_F_TEST_STATE_FREQ",
    "BPF_F_SLEEPABLE",
    "BPF_MAXINSNS",
    "BPF_F_XDP_HAS_FRAGS",
    "BPF_F_XDP_DEV_BOUND_ONLY",
    "BPF_F_TEST_REG_INVARIANTS",
    "BPF_F_TEST_RUN_ON_CPU",
    "BPF_F_TEST_XDP_LIVE_FRAMES",
    "BPF_F_TEST_SKB_CHECKSUM_COMPLETE",
    "BPF_LOG_LEVEL1",
    "BPF_LOG_LEVEL2",
    "BPF_LOG_STATS",
    "BPF_F_ALLOW_OVERRIDE",
    "BPF_F_ALLOW_MULTI",
    "BPF_F_REPLACE",
    "BPF_F_BEFORE",
    "BPF_F_AFTER",
    "BPF_F_ID",
    "BPF_F_QUERY_EFFECTIVE",
    "BPF_OBJ_NAME_LEN",
    "BPF_TAG_SIZE",
    "XDP_FLAGS_UPDATE_IF_NOEXIST",
    "XDP_FLAGS_SKB_MODE",
    "XDP_FLAGS_DRV_MODE",
    "XDP_FLAGS_HW_MODE",
    "XDP_FLAGS_REPLACE",
    "BPF_ANY",
    "BPF_NOEXIST",
    "BPF_EXIST",
    "BPF_F_LOCK",
    "BPF_F_NO_PREALLOC",
    "BPF_F_NO_COMMON_LRU",
    "BPF_F_NUMA_NODE",
    "BPF_F_RDONLY",
    "BPF_F_WRONLY",
    "BPF_F_ZERO_SEED",
    "BPF_F_RDONLY_PROG",
    "BPF_F_WRONLY_PROG",
    "BPF_F_MMAPABLE",
    "BPF_F_INNER_MAP",
    "BPF_F_LINK",
]


def _lookup(table: Mapping[str, int], what: str, value: str | int) -> int:
    if isinstance(value, bool):
        raise PybpfError(f"{what}: expected a name or a number, got {value!r}")
    if isinstance(value, int):
        if value < 0 or value > 0xFFFFFFFF:
            raise PybpfError(f"{what}: {value} is out of range")
        return value
    if not isinstance(value, str):
        raise PybpfError(f"{what}: expected a name or a number, got {type(value).__name__}")
    key = value.lower()
    for prefix in ("bpf_map_type_", "bpf_prog_type_", "bpf_link_type_", "bpf_"):
        if key.startswith(prefix) and key[len(prefix):] in table:
            key = key[len(prefix):]
            break
    try:
        return table[key]
    except KeyError:
        close = [n for n in table if key in n or n in key][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise PybpfError(f"unknown {what} {value!r}{hint}; this kernel knows: "
                         f"{', '.join(n for n in table if n != 'unspec')}") from None


def map_type(value: str | int) -> int:
    """The number of a map type given by name (``"hash"``) or number.

    >>> map_type("ringbuf") == MAP_TYPES["ringbuf"]
    True
    """
    return _lookup(MAP_TYPES, "map type", value)


def prog_type(value: str | int) -> int:
    """The number of a program type given by name (``"xdp"``) or number."""
    return _lookup(PROG_TYPES, "program type", value)


def attach_type(value: str | int) -> int:
    """The number of an attach type given by name (``"cgroup_inet_ingress"``) or number."""
    return _lookup(ATTACH_TYPES, "attach type", value)


def link_type(value: str | int) -> int:
    """The number of a link type given by name or number."""
    return _lookup(LINK_TYPES, "link type", value)


def object_name(name: str) -> str:
    """A kernel object name (``map_name``, ``prog_name``): at most 15 characters of
    ``[A-Za-z0-9_.]``, others replaced by ``_``.

    >>> object_name("my-counts/by pid, long name")
    'my_counts_by_pi'
    """
    if not _NAME_CHARS.issuperset(name):
        name = "".join(c if c in _NAME_CHARS else "_" for c in name)
    return name[:BPF_OBJ_NAME_LEN - 1]


def type_name(table: Mapping[str, int], value: int) -> str:
    """The kernel name of ``value`` in one of the type tables, or its number as text.

    >>> type_name(MAP_TYPES, MAP_TYPES["array"])
    'array'
    """
    for name, number in table.items():
        if number == value:
            return name
    return str(value)


# -- constants BTF cannot carry (uapi #defines), kernel names -------------------------------
#: BPF_PROG_LOAD prog_flags
BPF_F_STRICT_ALIGNMENT = 1 << 0
BPF_F_ANY_ALIGNMENT = 1 << 1
BPF_F_TEST_RND_HI32 = 1 << 2
BPF_F_TEST_STATE_FREQ = 1 << 3
BPF_F_SLEEPABLE = 1 << 4
#: instruction slots BPF_PROG_LOAD accepts from a loader without CAP_BPF (BPF_MAXINSNS,
#: include/uapi/linux/bpf_common.h; E2BIG past it, before the verifier runs)
BPF_MAXINSNS = 4096
BPF_F_XDP_HAS_FRAGS = 1 << 5
BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6
BPF_F_TEST_REG_INVARIANTS = 1 << 7
#: BPF_PROG_TEST_RUN flags
BPF_F_TEST_RUN_ON_CPU = 1 << 0
BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1
BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 1 << 2
#: log_level bits
BPF_LOG_LEVEL1 = 1
BPF_LOG_LEVEL2 = 2
BPF_LOG_STATS = 4
#: BPF_PROG_ATTACH attach_flags
BPF_F_ALLOW_OVERRIDE = 1 << 0
BPF_F_ALLOW_MULTI = 1 << 1
BPF_F_REPLACE = 1 << 2
BPF_F_BEFORE = 1 << 3
BPF_F_AFTER = 1 << 4
BPF_F_ID = 1 << 5
BPF_F_QUERY_EFFECTIVE = 1 << 0
BPF_OBJ_NAME_LEN = 16
BPF_TAG_SIZE = 8
#: XDP attach flags (uapi if_link.h #defines), for BPF_LINK_CREATE on XDP
XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_FLAGS_SKB_MODE = 1 << 1
XDP_FLAGS_DRV_MODE = 1 << 2
XDP_FLAGS_HW_MODE = 1 << 3
XDP_FLAGS_REPLACE = 1 << 4

#: map update flags and map_flags, from the kernel's anonymous enums
BPF_ANY = FLAGS["BPF_ANY"]
BPF_NOEXIST = FLAGS["BPF_NOEXIST"]
BPF_EXIST = FLAGS["BPF_EXIST"]
BPF_F_LOCK = FLAGS["BPF_F_LOCK"]
BPF_F_NO_PREALLOC = FLAGS["BPF_F_NO_PREALLOC"]
BPF_F_NO_COMMON_LRU = FLAGS["BPF_F_NO_COMMON_LRU"]
BPF_F_NUMA_NODE = FLAGS["BPF_F_NUMA_NODE"]
BPF_F_RDONLY = FLAGS["BPF_F_RDONLY"]
BPF_F_WRONLY = FLAGS["BPF_F_WRONLY"]
BPF_F_ZERO_SEED = FLAGS["BPF_F_ZERO_SEED"]
BPF_F_RDONLY_PROG = FLAGS["BPF_F_RDONLY_PROG"]
BPF_F_WRONLY_PROG = FLAGS["BPF_F_WRONLY_PROG"]
BPF_F_MMAPABLE = FLAGS["BPF_F_MMAPABLE"]
BPF_F_INNER_MAP = FLAGS["BPF_F_INNER_MAP"]
BPF_F_LINK = FLAGS["BPF_F_LINK"]

#: the characters the kernel keeps in object names ([A-Za-z0-9_.]; no re: a start-up path)
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.")
