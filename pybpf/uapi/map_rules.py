"""What BPF_MAP_CREATE refuses, as rules over a `MapSpec`: checked before anything exists.

Part of the ABI as data: a ``.map`` line of assembly, a map of an object or of a probe file
is checked here when it is assembled and when it is verified, so ``.map m blah key=4 value=8`` is an error at its
line instead of an EINVAL at load time. Each rule is the kernel's ``map_alloc_check`` for
the type (``kernel/bpf/*.c``), written as data; ``tests/kernel/test_map_rules.py`` holds
every verdict here against what BPF_MAP_CREATE answers on the running kernel.

max_entries is judged as pybpf creates the map (`entries_at_creation`): 0 is one slot a
possible CPU for a perf event array (as libbpf creates it) and a cpumap.

What memory decides (a huge value size answered E2BIG or ENOMEM) is not predicted; maps
that need BTF to exist (task/inode/socket/cgroup local storage, struct_ops) are checked
for their shape only, and arena maps not at all.

>>> from pybpf.isa import MapSpec
>>> map_problem(MapSpec("m", "hsah", 4, 8, 1))
"unknown map type 'hsah': did you mean hash?"
>>> map_problem(MapSpec("m", "array", 8, 8, 1))
'an array map needs key = 4 (the index), not 8'
>>> map_problem(MapSpec("m", "hash", 4, 8, 1024)) is None
True
"""

from __future__ import annotations

from .._record import record
from .names import MAP_TYPES

TYPE_CHECKING = False  # (not typing's: the assembler's start-up)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..isa.mapspec import MapSpec

    Check = Callable[[int], bool]

#: map flag bits by name (``BPF_F_*`` of ``union bpf_attr``'s map_flags)
FLAGS: dict[str, int] = {
    "no_prealloc": 0, "no_common_lru": 1, "numa_node": 2, "rdonly": 3, "wronly": 4,
    "stack_build_id": 5, "zero_seed": 6, "rdonly_prog": 7, "wronly_prog": 8, "mmapable": 10,
    "preserve_elems": 11, "inner_map": 12, "segv_on_fault": 17, "no_user_conv": 18}
PAGE_SIZE = 4096
PCPU_MIN_UNIT_SIZE = 32768  # the largest per-CPU value


@record(frozen=True)
class Size:
    """A rule for one size field: ``ok`` decides, ``says`` is the rule in words."""

    ok: Check
    says: str


def _eq(n: int, what: str = "") -> Size:
    return Size(lambda v: v == n, f"= {n}{what}")


_POSITIVE = Size(lambda v: v > 0, "> 0")
_FD = _eq(4, " (a file descriptor)")
_FD_OR_VAL = Size(lambda v: v in (4, 8), "= 4 or 8")
_INDEX = _eq(4, " (the index)")
_NONE = _eq(0, " (it has none)")


def _at_most(n: int) -> Size:
    return Size(lambda v: 0 < v <= n, f"in 1..{n}")


@record(frozen=True)
class Rule:
    """The kernel's checks for one map type."""

    key: Size
    value: Size
    flags: frozenset[str]
    entries: Size = _POSITIVE
    required: frozenset[str] = frozenset()
    inner: bool = False  # a map-in-map: needs an inner map template
    btf: bool = False  # exists only with BTF: acceptance cannot be told without it


def _f(*names: str) -> frozenset[str]:
    return frozenset(names)


_HASH_FLAGS = _f("no_prealloc", "numa_node", "rdonly", "wronly", "zero_seed", "rdonly_prog",
                 "wronly_prog")
_RW = _f("numa_node", "rdonly", "wronly")
_QUEUE_FLAGS = _f("numa_node", "rdonly", "wronly", "rdonly_prog", "wronly_prog")
_STORAGE = Rule(_FD, _POSITIVE, _f("no_prealloc", "numa_node", "rdonly", "wronly"),
                entries=_NONE, required=_f("no_prealloc"), btf=True)
_CGROUP_STORAGE_KEY = Size(lambda v: v in (8, 16), "= 8 (a cgroup id) or 16 (struct "
                           "bpf_cgroup_storage_key)")
_RINGBUF_SIZE = Size(lambda v: v >= PAGE_SIZE and v & (v - 1) == 0,
                     f"= a power of 2, at least the page size ({PAGE_SIZE})")

RULES: dict[str, Rule] = {
    "hash": Rule(_POSITIVE, _POSITIVE, _HASH_FLAGS),
    "lru_hash": Rule(_POSITIVE, _POSITIVE, _HASH_FLAGS - {"no_prealloc"} | {"no_common_lru"}),
    "percpu_hash": Rule(_POSITIVE, _at_most(PCPU_MIN_UNIT_SIZE), _HASH_FLAGS - {"numa_node"}),
    "lru_percpu_hash": Rule(_POSITIVE, _at_most(PCPU_MIN_UNIT_SIZE),
                            _HASH_FLAGS - {"no_prealloc", "numa_node"} | {"no_common_lru"}),
    "array": Rule(_INDEX, _POSITIVE, _f("numa_node", "rdonly", "wronly", "rdonly_prog",
                                       "wronly_prog", "mmapable", "inner_map")),
    "percpu_array": Rule(_INDEX, _at_most(PCPU_MIN_UNIT_SIZE),
                         _f("rdonly", "wronly", "rdonly_prog", "wronly_prog")),
    "prog_array": Rule(_INDEX, _FD, _RW),
    "perf_event_array": Rule(_INDEX, _FD, _RW | {"preserve_elems"}),
    "cgroup_array": Rule(_INDEX, _FD, _RW),
    "stack_trace": Rule(_INDEX, Size(lambda v: v > 0 and v % 8 == 0,
                                     "= a multiple of 8 (u64 addresses)"),
                        _RW | {"stack_build_id"}),
    "lpm_trie": Rule(Size(lambda v: 5 <= v <= 260, "in 5..260 (u32 prefix length + 1..256 bytes)"),
                     _POSITIVE, _f("no_prealloc", "numa_node", "rdonly", "wronly", "rdonly_prog",
                                   "wronly_prog"), required=_f("no_prealloc")),
    "array_of_maps": Rule(_INDEX, _FD, _RW, inner=True),
    "hash_of_maps": Rule(_POSITIVE, _FD, _HASH_FLAGS, inner=True),
    "devmap": Rule(_INDEX, _FD_OR_VAL, _RW),
    "devmap_hash": Rule(_INDEX, _FD_OR_VAL, _RW),
    "cpumap": Rule(_INDEX, _FD_OR_VAL, _f("numa_node")),
    "xskmap": Rule(_INDEX, _FD, _RW),
    "sockmap": Rule(_INDEX, _FD_OR_VAL, _RW),
    "sockhash": Rule(_at_most(512), _FD_OR_VAL, _RW),
    "reuseport_sockarray": Rule(_INDEX, _FD_OR_VAL, _RW | {"rdonly_prog", "wronly_prog"}),
    "queue": Rule(_NONE, _POSITIVE, _QUEUE_FLAGS),
    "stack": Rule(_NONE, _POSITIVE, _QUEUE_FLAGS),
    "bloom_filter": Rule(_NONE, _POSITIVE, _QUEUE_FLAGS | {"zero_seed"}),
    "ringbuf": Rule(_NONE, _NONE, _f("numa_node"), entries=_RINGBUF_SIZE),
    "user_ringbuf": Rule(_NONE, _NONE, _f("numa_node"), entries=_RINGBUF_SIZE),
    "cgroup_storage": Rule(_CGROUP_STORAGE_KEY, _POSITIVE, _RW | {"rdonly_prog", "wronly_prog"},
                           entries=_NONE),
    "percpu_cgroup_storage": Rule(_CGROUP_STORAGE_KEY, _at_most(PCPU_MIN_UNIT_SIZE),
                                  _RW | {"rdonly_prog", "wronly_prog"}, entries=_NONE),
    "sk_storage": _STORAGE, "inode_storage": _STORAGE, "task_storage": _STORAGE,
    "cgrp_storage": _STORAGE,
}
#: types pybpf does not check: they need a kernel struct's BTF (struct_ops) or are refused
#: here whatever the attributes (arena: EPERM on this kernel build)
UNCHECKED = frozenset({"struct_ops", "arena"})
#: types whose max_entries 0 pybpf creates with one slot a possible CPU (libbpf does so for
#: perf event arrays; BPF_MAP_CREATE itself refuses 0): `entries_at_creation`
CPU_SLOT_TYPES = frozenset({"perf_event_array", "cpumap"})
_ALIASES = {"cgroup_storage_deprecated": "cgroup_storage",
            "percpu_cgroup_storage_deprecated": "percpu_cgroup_storage"}


def entries_at_creation(map_type: str | int, max_entries: int) -> int:
    """The max_entries a map of ``map_type`` declared with ``max_entries`` is created with:
    0 is one slot a possible CPU for the `CPU_SLOT_TYPES`, else as declared. `Map.create`
    sizes the map by it, and `field_problem` judges a declaration's max_entries by it (the
    assembler's ``.map`` lines, the verifier's maps).

    >>> from pybpf.uapi.cpus import possible_cpus
    >>> entries_at_creation("perf_event_array", 0) == possible_cpus()
    True
    >>> entries_at_creation("perf_event_array", 4), entries_at_creation("array", 0)
    (4, 0)
    """
    if isinstance(max_entries, int) and max_entries == 0 and map_type in CPU_SLOT_TYPES:
        from .cpus import possible_cpus

        return possible_cpus()
    return max_entries


def _machine_limit(path: str) -> int | None:
    """An integer the running kernel publishes (a build option or a sysctl), or None."""
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def machine_limits() -> dict[str, int]:
    """Limits this kernel sets by its build or sysctls, read where it publishes them (absent
    elsewhere, then not checked): ``cpumap`` entries (NR_CPUS) and ``stack_trace`` depth."""
    out = {}
    kernel_max = _machine_limit("/sys/devices/system/cpu/kernel_max")
    if kernel_max is not None:
        out["nr_cpus"] = kernel_max + 1
    depth = _machine_limit("/proc/sys/kernel/perf_event_max_stack")
    if depth is not None:
        out["max_stack"] = depth
    return out


def map_type_names() -> list[str]:
    """Every map type name of ``enum bpf_map_type``, without ``unspec``."""
    return [n for n in MAP_TYPES if n != "unspec"]


def _article(t: str) -> str:
    return "an" if t[0] in "aeiou" else "a"


#: map type -> the flags bits its rule allows
_ALLOWED: dict[str, int] = {}


def map_problem(decl: MapSpec, declared: dict[str, MapSpec] | None = None) -> str | None:
    """What BPF_MAP_CREATE would refuse in ``decl``, in words, or None. ``declared``: the
    maps declared so far, where an ``inner=`` template must be."""
    found = field_problem(decl, declared)
    return None if found is None else found[1]


#: `_own_problem`'s answers by what it reads of a declaration (the verifier judges a
#: program's maps again at every verification); emptied past `_MAX_MEMO`
_MEMO: dict[tuple, tuple[str, str] | None] = {}
_MAX_MEMO = 4096


def field_problem(decl: MapSpec, declared: dict[str, MapSpec] | None = None
                  ) -> tuple[str, str] | None:
    """`map_problem` with the field it is about: ``type``, ``key``, ``value``,
    ``max_entries``, ``flags``, ``map_extra`` or ``inner``."""
    t, inner = decl.type, decl.inner
    fields = ks, vs, me, fl, mx = (decl.key_size, decl.value_size, decl.max_entries, decl.flags,
                                   decl.map_extra)
    if type(t) is str and t not in _LIMITED and type(ks) is int and type(vs) is int and \
            type(me) is int and type(fl) is int and type(mx) is int:
        key = (t, *fields, decl.key_type is not None, decl.value_type is not None,
               bool(inner), isinstance(inner, str), bool(decl.extra.get("inner_decl")))
        if key in _MEMO:
            found = _MEMO[key]
        else:
            if len(_MEMO) >= _MAX_MEMO:
                _MEMO.clear()
            found = _MEMO[key] = _own_problem(decl)
    else:
        found = _own_problem(decl)
    if found is not _NAMED_INNER:
        return found
    if declared is not None and inner not in declared:
        return "inner", f"inner map {inner!r} is not declared (declare it before this map)"
    return None


#: `_own_problem`'s answer for a map of maps whose ``inner=`` is a name: fine if declared
_NAMED_INNER: tuple[str, str] = ("inner", "")
#: types whose checks read the machine's limits (not kept in `_MEMO`)
_LIMITED = frozenset({"cpumap", "stack_trace"})


def _size_problem(a: str, t: str, field: str, value: Any, size: Size, typed: Any
                  ) -> tuple[str, str] | None:
    """What a ``t`` map's ``field`` of ``value`` breaks of ``size`` (``typed``: the key or value
    type, whose size the kernel takes for a 0), or None."""
    if not isinstance(value, int) or isinstance(value, bool):  # a fuzzed DSL: max_entries=u32
        return field, f"{a} {t} map needs {field} as an integer, not {value!r}"
    if value == 0 and typed is not None:
        return None  # the size comes from the key/value type when the map is created
    if not size.ok(value):
        return field, f"{a} {t} map needs {field} {size.says}, not {value}"
    return None


def _own_problem(decl: MapSpec) -> tuple[str, str] | None:
    """`field_problem` but for an ``inner=`` name missing from the maps declared before
    (`_NAMED_INNER`: an ``inner=`` name, to look up)."""
    t = decl.type
    if isinstance(t, int):  # a number: its name, when the table knows it
        t = next((n for n, v in MAP_TYPES.items() if v == t), str(t))
    if not isinstance(t, str) or t == "unspec" or t not in MAP_TYPES:
        names = map_type_names()
        import difflib

        near = difflib.get_close_matches(t, names, 1, 0.6)
        hint = f"did you mean {near[0]}?" if near else "expected one of " + ", ".join(names)
        return "type", f"unknown map type {t!r}: {hint}"
    t = _ALIASES.get(t, t)
    rule = RULES.get(t)
    if rule is None:
        return None
    a = _article(t)
    entries = entries_at_creation(t, decl.max_entries) if t in CPU_SLOT_TYPES else \
        decl.max_entries
    found = _size_problem(a, t, "key", decl.key_size, rule.key, decl.key_type) or \
        _size_problem(a, t, "value", decl.value_size, rule.value, decl.value_type) or \
        _size_problem(a, t, "max_entries", entries, rule.entries, None)
    if found is not None:
        return found
    if t in _LIMITED:
        if t == "stack_trace" and decl.flags >> FLAGS["stack_build_id"] & 1 and \
                decl.value_size % 32:
            return "value", ("a stack_trace map with flags stack_build_id has a value that is a "
                             f"multiple of 32 (struct bpf_stack_build_id), not {decl.value_size}")
        # the machine's limits bound two map types only (read from /sys and /proc: not per map)
        limits = machine_limits()
        if t == "cpumap" and "nr_cpus" in limits and entries > limits["nr_cpus"]:
            return "max_entries", (f"a cpumap map has at most one entry a CPU this kernel can "
                                   f"have (NR_CPUS = {limits['nr_cpus']}), not {entries}")
        elem = 32 if decl.flags >> FLAGS["stack_build_id"] & 1 else 8
        if t == "stack_trace" and "max_stack" in limits and \
                decl.value_size > elem * limits["max_stack"]:
            return "value", (f"a stack_trace map's value holds at most "
                             f"kernel.perf_event_max_stack ({limits['max_stack']}) frames of "
                             f"{elem} bytes, not {decl.value_size} bytes")
    if t == "bloom_filter" and decl.map_extra > 15:
        return "map_extra", f"a bloom_filter map's map_extra (hash functions) is 0..15, not {decl.map_extra}"
    allowed = _ALLOWED.get(t)
    if allowed is None:
        allowed = _ALLOWED[t] = sum(1 << FLAGS[n] for n in rule.flags)
    bad = decl.flags & ~allowed
    if bad:
        names_of = {bit: n for n, bit in FLAGS.items()}
        shown = ", ".join(names_of.get(b, f"bit {b}") for b in range(64) if bad >> b & 1)
        return "flags", (f"{a} {t} map takes flags {', '.join(sorted(rule.flags)) or 'none'}; "
                         f"not {shown} (flags={decl.flags:#x})")
    if rule.required:
        for need in sorted(rule.required):
            if not decl.flags >> FLAGS[need] & 1:
                return "flags", f"{a} {t} map needs flags {need} ({1 << FLAGS[need]:#x})"
    if rule.inner and not decl.inner and not decl.extra.get("inner_decl"):
        return "inner", f"{a} {t} map needs an inner map: inner=NAME of a map declared before it"
    if not rule.inner and decl.inner:
        return "inner", (f"{a} {t} map holds no maps: inner= applies to array_of_maps and "
                         "hash_of_maps")
    if rule.inner and isinstance(decl.inner, str):
        return _NAMED_INNER
    return None
