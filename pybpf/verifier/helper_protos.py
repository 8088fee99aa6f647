"""What the verifier knows about each helper call: pybpf's own fact table.

One `HelperProto` row per helper of the running kernel's list
(`pybpf.isa.generated.helpers_table.HELPERS`):

- argument kinds (`Arg`: an `ArgKind` plus the flags the kernel combines with
  it: may be NULL, read-only, uninitialised memory the helper writes, fixed
  size, released reference), for R1..R5 in order;
- the return kind (`RetKind`, with ``ret_nullable``);
- ``gpl_only``, whether it acquires a reference (``acquires``) or releases one
  (the argument with ``release=True``), whether it changes packet data;
- which program types may call it (``prog_types``) on the reference kernel.

Argument and return kinds are written here from the kernel's helper
prototypes (``struct bpf_func_proto`` in kernel/bpf/helpers.c, net/core/filter.c,
kernel/trace/bpf_trace.c ...), for the helpers programs use most; a helper
without a written row has ``known=False`` and no argument facts.
Availability per program type and GPL-only flags are facts of a kernel build: the
``prog_types``/``gpl_only`` of a row are the reference kernel's (measured by
``pybpf/verifier/generated/gen_helper_availability.py`` into
`pybpf.verifier.generated.helper_availability`); the
verifier itself asks a `pybpf.verifier.kernel_profile.KernelProfile`, which is the
running kernel's own measurement when one was made here.
Map compatibility (``check_map_func_compatibility``) is `map_func_compatible`.

>>> p = proto("map_lookup_elem")
>>> [a.kind.name for a in p.args], p.ret.name, p.ret_nullable
(['CONST_MAP_PTR', 'PTR_TO_MAP_KEY'], 'PTR_TO_MAP_VALUE', True)
>>> proto("ringbuf_reserve").acquires, proto(132).releases
(True, 0)
>>> allowed("xdp_adjust_head", "xdp"), allowed("xdp_adjust_head", "kprobe")
(True, False)
>>> map_func_compatible("ringbuf", "map_lookup_elem")
False
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from ..isa.generated.helpers_table import HELPERS
from .generated.helper_availability import AVAILABLE_IN, GPL_ONLY, PROBED_PROG_TYPES
from .kernel_profile import default as _default_profile


class ArgKind(enum.Enum):
    """Base kind of a helper argument (the kernel's ``enum bpf_arg_type`` without flags)."""

    ANYTHING = "anything"
    CONST_MAP_PTR = "const map pointer"
    PTR_TO_MAP_KEY = "pointer to a map key"
    PTR_TO_MAP_VALUE = "pointer to a map value"
    PTR_TO_MEM = "pointer to memory"
    CONST_SIZE = "constant size > 0"
    CONST_SIZE_OR_ZERO = "constant size >= 0"
    PTR_TO_CTX = "pointer to the context"
    PTR_TO_STACK = "pointer to the stack"
    CONST_ALLOC_SIZE_OR_ZERO = "constant allocation size"
    PTR_TO_RINGBUF_MEM = "pointer to reserved ring buffer memory"
    PTR_TO_FUNC = "pointer to a callback function"
    PTR_TO_SPIN_LOCK = "pointer to a bpf_spin_lock"
    PTR_TO_TIMER = "pointer to a bpf_timer"
    PTR_TO_CONST_STR = "pointer to a constant string"
    PTR_TO_BTF_ID = "pointer to a kernel object"
    PTR_TO_BTF_ID_SOCK_COMMON = "pointer to a socket"
    PTR_TO_SOCK_COMMON = "pointer to sock_common"
    PTR_TO_PERCPU_BTF_ID = "pointer to a per-CPU kernel variable"
    PTR_TO_DYNPTR = "pointer to a dynptr"
    KPTR_XCHG_DEST = "pointer to a kptr field"


class RetKind(enum.Enum):
    """What a helper leaves in R0 (the kernel's ``enum bpf_return_type`` without flags)."""

    INTEGER = "integer"
    VOID = "void"
    PTR_TO_MAP_VALUE = "map value"
    PTR_TO_SOCKET = "socket"
    PTR_TO_TCP_SOCK = "tcp_sock"
    PTR_TO_SOCK_COMMON = "sock_common"
    PTR_TO_MEM = "memory"
    PTR_TO_MEM_OR_BTF_ID = "memory or kernel object"
    PTR_TO_BTF_ID = "kernel object"


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument: a kind and its flags.

    ``nullable``: NULL (scalar 0) is accepted; ``readonly``: the helper only
    reads the memory; ``uninit``: the helper writes it, so it need not be
    initialised; ``fixed_size``: the memory size when the kind carries it;
    ``release``: the argument is a reference the helper releases.
    """

    kind: ArgKind
    nullable: bool = False
    readonly: bool = False
    uninit: bool = False
    fixed_size: int | None = None
    release: bool = False

    @property
    def is_pointer(self) -> bool:
        return self.kind.name.startswith(("PTR", "CONST_MAP", "KPTR"))

    @property
    def is_size(self) -> bool:
        return self.kind in (ArgKind.CONST_SIZE, ArgKind.CONST_SIZE_OR_ZERO,
                             ArgKind.CONST_ALLOC_SIZE_OR_ZERO)


@dataclass(frozen=True, slots=True)
class HelperProto:
    """Everything the verifier needs about one helper."""

    id: int
    name: str
    args: tuple[Arg, ...]
    ret: RetKind
    ret_nullable: bool = False
    gpl_only: bool = False
    acquires: bool = False
    changes_pkt_data: bool = False
    prog_types: frozenset[str] = frozenset()
    known: bool = True
    map_types: frozenset[str] | None = None

    @property
    def releases(self) -> int | None:
        """Index (0-based: R1 is 0) of the argument released, or None."""
        for i, a in enumerate(self.args):
            if a.release:
                return i
        return None

    @property
    def c_name(self) -> str:
        return "bpf_" + self.name


# -- the rows ----------------------------------------------------------------

_A = ArgKind
ANY = Arg(_A.ANYTHING)
MAP = Arg(_A.CONST_MAP_PTR)
KEY = Arg(_A.PTR_TO_MAP_KEY)
VALUE = Arg(_A.PTR_TO_MAP_VALUE)
CTX = Arg(_A.PTR_TO_CTX)
MEM_RO = Arg(_A.PTR_TO_MEM, readonly=True)
MEM_RO_NULL = Arg(_A.PTR_TO_MEM, readonly=True, nullable=True)
MEM = Arg(_A.PTR_TO_MEM)
UNINIT = Arg(_A.PTR_TO_MEM, uninit=True)
SIZE = Arg(_A.CONST_SIZE)
SIZE0 = Arg(_A.CONST_SIZE_OR_ZERO)
FUNC = Arg(_A.PTR_TO_FUNC)
STACK_NULL = Arg(_A.PTR_TO_STACK, nullable=True)
TIMER = Arg(_A.PTR_TO_TIMER)
LOCK = Arg(_A.PTR_TO_SPIN_LOCK)
INT, V = RetKind.INTEGER, RetKind.VOID

#: (name, args, ret, extra fields); facts from the kernel's bpf_func_proto definitions.
_ROWS: list[tuple[str, tuple[Arg, ...], RetKind, dict]] = [
    # maps
    ("map_lookup_elem", (MAP, KEY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True}),
    ("map_update_elem", (MAP, KEY, VALUE, ANY), INT, {}),
    ("map_delete_elem", (MAP, KEY), INT, {}),
    ("map_push_elem", (MAP, VALUE, ANY), INT, {}),
    ("map_pop_elem", (MAP, Arg(_A.PTR_TO_MAP_VALUE, uninit=True)), INT, {}),
    ("map_peek_elem", (MAP, Arg(_A.PTR_TO_MAP_VALUE, uninit=True)), INT, {}),
    ("map_lookup_percpu_elem", (MAP, KEY, ANY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True}),
    ("for_each_map_elem", (MAP, FUNC, STACK_NULL, ANY), INT, {}),
    ("get_local_storage", (MAP, ANY), RetKind.PTR_TO_MAP_VALUE, {}),
    ("tail_call", (CTX, MAP, ANY), V, {}),
    # ring buffer and perf output
    ("ringbuf_output", (MAP, MEM_RO, SIZE0, ANY), INT, {}),
    ("ringbuf_reserve", (MAP, Arg(_A.CONST_ALLOC_SIZE_OR_ZERO), ANY), RetKind.PTR_TO_MEM,
     {"ret_nullable": True, "acquires": True}),
    ("ringbuf_submit", (Arg(_A.PTR_TO_RINGBUF_MEM, release=True), ANY), V, {}),
    ("ringbuf_discard", (Arg(_A.PTR_TO_RINGBUF_MEM, release=True), ANY), V, {}),
    ("ringbuf_query", (MAP, ANY), INT, {}),
    ("ringbuf_reserve_dynptr", (MAP, ANY, ANY, Arg(_A.PTR_TO_DYNPTR, uninit=True)), INT, {}),
    ("ringbuf_submit_dynptr", (Arg(_A.PTR_TO_DYNPTR, release=True), ANY), V, {}),
    ("ringbuf_discard_dynptr", (Arg(_A.PTR_TO_DYNPTR, release=True), ANY), V, {}),
    ("user_ringbuf_drain", (MAP, FUNC, STACK_NULL, ANY), INT, {}),
    ("perf_event_output", (CTX, MAP, ANY, MEM_RO, SIZE0), INT, {}),
    ("perf_event_read", (MAP, ANY), INT, {}),
    ("perf_event_read_value", (MAP, ANY, UNINIT, SIZE), INT, {}),
    ("get_stackid", (CTX, MAP, ANY), INT, {}),
    ("get_stack", (CTX, UNINIT, SIZE0, ANY), INT, {}),
    # memory access
    ("probe_read", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_str", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_user", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_kernel", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_user_str", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_kernel_str", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_write_user", (ANY, MEM_RO, SIZE), INT, {}),
    ("strncmp", (MEM_RO, SIZE, Arg(_A.PTR_TO_CONST_STR)), INT, {}),
    ("snprintf", (Arg(_A.PTR_TO_MEM, nullable=True), SIZE0, Arg(_A.PTR_TO_CONST_STR), MEM_RO_NULL,
                  SIZE0), INT, {}),
    ("trace_printk", (MEM_RO, SIZE), INT, {}),
    ("trace_vprintk", (MEM_RO, SIZE, MEM_RO_NULL, SIZE0), INT, {}),
    # time, randomness, current task
    ("ktime_get_ns", (), INT, {}),
    ("ktime_get_boot_ns", (), INT, {}),
    ("ktime_get_coarse_ns", (), INT, {}),
    ("ktime_get_tai_ns", (), INT, {}),
    ("jiffies64", (), INT, {}),
    ("get_prandom_u32", (), INT, {}),
    ("get_smp_processor_id", (), INT, {}),
    ("get_numa_node_id", (), INT, {}),
    ("get_current_pid_tgid", (), INT, {}),
    ("get_current_uid_gid", (), INT, {}),
    ("get_current_comm", (UNINIT, SIZE), INT, {}),
    ("get_current_task", (), INT, {}),
    ("get_current_task_btf", (), RetKind.PTR_TO_BTF_ID, {}),
    ("get_current_cgroup_id", (), INT, {}),
    ("get_ns_current_pid_tgid", (ANY, ANY, UNINIT, SIZE), INT, {}),
    ("get_func_ip", (CTX,), INT, {}),
    ("get_attach_cookie", (CTX,), INT, {}),
    ("send_signal", (ANY,), INT, {}),
    ("send_signal_thread", (ANY,), INT, {}),
    ("current_task_under_cgroup", (MAP, ANY), INT, {}),
    ("per_cpu_ptr", (Arg(_A.PTR_TO_PERCPU_BTF_ID), ANY), RetKind.PTR_TO_MEM_OR_BTF_ID,
     {"ret_nullable": True}),
    ("this_cpu_ptr", (Arg(_A.PTR_TO_PERCPU_BTF_ID),), RetKind.PTR_TO_MEM_OR_BTF_ID, {}),
    # control flow, locks, timers
    ("loop", (ANY, FUNC, STACK_NULL, ANY), INT, {}),
    ("spin_lock", (LOCK,), V, {}),
    ("spin_unlock", (LOCK,), V, {}),
    ("timer_init", (TIMER, MAP, ANY), INT, {}),
    ("timer_set_callback", (TIMER, FUNC), INT, {}),
    ("timer_start", (TIMER, ANY, ANY), INT, {}),
    ("timer_cancel", (TIMER,), INT, {}),
    ("kptr_xchg", (Arg(_A.KPTR_XCHG_DEST), Arg(_A.PTR_TO_BTF_ID, nullable=True, release=True)),
     RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "acquires": True}),
    ("dynptr_read", (UNINIT, SIZE0, Arg(_A.PTR_TO_DYNPTR, readonly=True), ANY, ANY), INT, {}),
    ("dynptr_write", (Arg(_A.PTR_TO_DYNPTR, readonly=True), ANY, MEM_RO, SIZE0, ANY), INT, {}),
    ("dynptr_data", (Arg(_A.PTR_TO_DYNPTR, readonly=True), ANY, Arg(_A.CONST_ALLOC_SIZE_OR_ZERO)),
     RetKind.PTR_TO_MEM, {"ret_nullable": True}),
    # packets: skb
    ("skb_load_bytes", (CTX, ANY, UNINIT, SIZE), INT, {}),
    ("skb_load_bytes_relative", (CTX, ANY, UNINIT, SIZE, ANY), INT, {}),
    ("skb_store_bytes", (CTX, ANY, MEM_RO, SIZE, ANY), INT, {"changes_pkt_data": True}),
    ("xdp_load_bytes", (CTX, ANY, UNINIT, SIZE), INT, {}),
    ("xdp_store_bytes", (CTX, ANY, MEM_RO, SIZE), INT, {}),
    ("l3_csum_replace", (CTX, ANY, ANY, ANY, ANY), INT, {"changes_pkt_data": True}),
    ("l4_csum_replace", (CTX, ANY, ANY, ANY, ANY), INT, {"changes_pkt_data": True}),
    ("csum_diff", (MEM_RO_NULL, SIZE0, MEM_RO_NULL, SIZE0, ANY), INT, {}),
    ("csum_update", (CTX, ANY), INT, {}),
    ("clone_redirect", (CTX, ANY, ANY), INT, {"changes_pkt_data": True}),
    ("redirect", (ANY, ANY), INT, {}),
    ("redirect_map", (MAP, ANY, ANY), INT, {}),
    ("get_cgroup_classid", (CTX,), INT, {}),
    ("get_route_realm", (CTX,), INT, {}),
    ("get_hash_recalc", (CTX,), INT, {}),
    ("set_hash_invalid", (CTX,), V, {}),
    ("set_hash", (CTX, ANY), INT, {}),
    ("get_socket_cookie", (CTX,), INT, {}),
    ("get_socket_uid", (CTX,), INT, {}),
    ("skb_vlan_push", (CTX, ANY, ANY), INT, {"changes_pkt_data": True}),
    ("skb_vlan_pop", (CTX,), INT, {"changes_pkt_data": True}),
    ("skb_change_proto", (CTX, ANY, ANY), INT, {"changes_pkt_data": True}),
    ("skb_change_type", (CTX, ANY), INT, {}),
    ("skb_change_tail", (CTX, ANY, ANY), INT, {"changes_pkt_data": True}),
    ("skb_pull_data", (CTX, ANY), INT, {"changes_pkt_data": True}),
    ("skb_adjust_room", (CTX, ANY, ANY, ANY), INT, {"changes_pkt_data": True}),
    ("skb_get_tunnel_key", (CTX, UNINIT, SIZE, ANY), INT, {}),
    ("skb_set_tunnel_key", (CTX, MEM_RO, SIZE, ANY), INT, {}),
    ("skb_under_cgroup", (CTX, MAP, ANY), INT, {}),
    ("skb_ecn_set_ce", (CTX,), INT, {}),
    ("fib_lookup", (CTX, MEM, SIZE, ANY), INT, {}),
    ("sk_lookup_tcp", (CTX, MEM_RO, SIZE, ANY, ANY), RetKind.PTR_TO_SOCKET,
     {"ret_nullable": True, "acquires": True}),
    ("sk_lookup_udp", (CTX, MEM_RO, SIZE, ANY, ANY), RetKind.PTR_TO_SOCKET,
     {"ret_nullable": True, "acquires": True}),
    ("skc_lookup_tcp", (CTX, MEM_RO, SIZE, ANY, ANY), RetKind.PTR_TO_SOCK_COMMON,
     {"ret_nullable": True, "acquires": True}),
    ("sk_release", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON, release=True),), INT, {}),
    ("get_netns_cookie", (Arg(_A.PTR_TO_CTX, nullable=True),), INT, {}),
    # packets: xdp
    ("xdp_adjust_head", (CTX, ANY), INT, {"changes_pkt_data": True}),
    ("xdp_adjust_meta", (CTX, ANY), INT, {"changes_pkt_data": True}),
    ("xdp_adjust_tail", (CTX, ANY), INT, {"changes_pkt_data": True}),
    ("xdp_get_buff_len", (CTX,), INT, {}),
]

# -- map compatibility (check_map_func_compatibility) -------------------------

#: map type -> the only helpers that accept it (map types not listed accept any
#: helper that does not require a special map kind)
MAP_ONLY_HELPERS: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in {
    "prog_array": "tail_call",
    "perf_event_array": "perf_event_read perf_event_output perf_event_read_value skb_output xdp_output",
    "ringbuf": "ringbuf_output ringbuf_reserve ringbuf_query ringbuf_reserve_dynptr "
               "ringbuf_submit_dynptr ringbuf_discard_dynptr",
    "user_ringbuf": "user_ringbuf_drain",
    "stack_trace": "get_stackid",
    "cgroup_array": "skb_under_cgroup current_task_under_cgroup",
    "cgroup_storage": "get_local_storage",
    "percpu_cgroup_storage": "get_local_storage",
    "devmap": "redirect_map map_lookup_elem",
    "devmap_hash": "redirect_map map_lookup_elem",
    "cpumap": "redirect_map",
    "xskmap": "redirect_map map_lookup_elem",
    "array_of_maps": "map_lookup_elem",
    "hash_of_maps": "map_lookup_elem",
    "sockmap": "sk_redirect_map sock_map_update msg_redirect_map sk_select_reuseport "
               "map_lookup_elem map_update_elem map_delete_elem",
    "sockhash": "sk_redirect_hash sock_hash_update msg_redirect_hash sk_select_reuseport "
                "map_lookup_elem map_update_elem map_delete_elem",
    "reuseport_sockarray": "sk_select_reuseport",
    "queue": "map_peek_elem map_pop_elem map_push_elem",
    "stack": "map_peek_elem map_pop_elem map_push_elem",
    "bloom_filter": "map_peek_elem map_push_elem",
    "sk_storage": "sk_storage_get sk_storage_delete kptr_xchg",
    "inode_storage": "inode_storage_get inode_storage_delete kptr_xchg",
    "task_storage": "task_storage_get task_storage_delete kptr_xchg",
    "cgrp_storage": "cgrp_storage_get cgrp_storage_delete kptr_xchg",
}.items()}

#: helper -> the map types it requires
HELPER_MAP_TYPES: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in {
    "tail_call": "prog_array",
    "perf_event_read": "perf_event_array",
    "perf_event_output": "perf_event_array",
    "perf_event_read_value": "perf_event_array",
    "skb_output": "perf_event_array",
    "xdp_output": "perf_event_array",
    "ringbuf_output": "ringbuf", "ringbuf_reserve": "ringbuf", "ringbuf_query": "ringbuf",
    "ringbuf_reserve_dynptr": "ringbuf",
    "user_ringbuf_drain": "user_ringbuf",
    "get_stackid": "stack_trace",
    "current_task_under_cgroup": "cgroup_array", "skb_under_cgroup": "cgroup_array",
    "redirect_map": "devmap devmap_hash cpumap xskmap",
    "sk_redirect_map": "sockmap", "msg_redirect_map": "sockmap", "sock_map_update": "sockmap",
    "sk_redirect_hash": "sockhash", "msg_redirect_hash": "sockhash", "sock_hash_update": "sockhash",
    "get_local_storage": "cgroup_storage percpu_cgroup_storage",
    "sk_select_reuseport": "reuseport_sockarray sockmap sockhash",
    "map_pop_elem": "queue stack",
    "map_peek_elem": "queue stack bloom_filter",
    "map_push_elem": "queue stack bloom_filter",
    "map_lookup_percpu_elem": "percpu_array percpu_hash lru_percpu_hash",
    "sk_storage_get": "sk_storage", "sk_storage_delete": "sk_storage",
    "inode_storage_get": "inode_storage", "inode_storage_delete": "inode_storage",
    "task_storage_get": "task_storage", "task_storage_delete": "task_storage",
    "cgrp_storage_get": "cgrp_storage", "cgrp_storage_delete": "cgrp_storage",
}.items()}


def map_func_compatible(map_type: str, helper: str | int) -> bool:
    """Whether the kernel lets ``helper`` take a map of ``map_type`` (names without prefix).

    >>> map_func_compatible("hash", "map_lookup_elem"), map_func_compatible("array", "tail_call")
    (True, False)
    """
    name = _name(helper)
    only = MAP_ONLY_HELPERS.get(map_type)
    if only is not None and name not in only:
        return False
    need = HELPER_MAP_TYPES.get(name)
    return need is None or map_type in need


# -- building the table -------------------------------------------------------

def _name(helper: str | int) -> str:
    if isinstance(helper, int):
        entry = HELPERS.get(helper)
        if entry is None:
            raise KeyError(f"unknown helper id {helper}")
        return entry[0]
    return helper[4:] if helper.startswith("bpf_") else helper


def _build() -> dict[int, HelperProto]:
    by_name = {name: num for num, (name, _sig) in HELPERS.items()}
    rows = {name: (args, ret, extra) for name, args, ret, extra in _ROWS}
    table: dict[int, HelperProto] = {}
    for num, (name, _sig) in HELPERS.items():
        if num == 0:
            continue
        types = frozenset(AVAILABLE_IN.get(num, ()))
        gpl = GPL_ONLY.get(num, False)
        maps = HELPER_MAP_TYPES.get(name)
        if name in rows:
            args, ret, extra = rows[name]
            table[num] = HelperProto(num, name, args, ret, gpl_only=gpl, prog_types=types,
                                     map_types=maps, **extra)
        else:
            table[num] = HelperProto(num, name, (), RetKind.INTEGER, gpl_only=gpl,
                                     prog_types=types, known=False, map_types=maps)
    missing = set(rows) - set(by_name)
    if missing:  # pragma: no cover - caught by the tests
        raise RuntimeError(f"helper_protos rows name unknown helpers: {sorted(missing)}")
    return table


#: helper id -> prototype, for every helper of the running kernel's list
HELPER_PROTOS: dict[int, HelperProto] = _build()
_BY_NAME = {p.name: p for p in HELPER_PROTOS.values()}


def proto(helper: str | int) -> HelperProto:
    """The prototype of a helper by id or name (with or without ``bpf_``).

    Raises KeyError for a helper the running kernel does not have.
    """
    if isinstance(helper, int):
        return HELPER_PROTOS[helper]
    p = _BY_NAME.get(_name(helper))
    if p is None:
        raise KeyError(f"unknown helper {helper!r}")
    return p


def allowed(helper: str | int, prog_type: str) -> bool:
    """Whether programs of ``prog_type`` may call ``helper`` on the running kernel (its
    measured `KernelProfile` when there is one, else the shipped table's answer)."""
    return _default_profile().allows(proto(helper).id, prog_type)


__all__ = ["Arg", "ArgKind", "HELPER_MAP_TYPES", "HELPER_PROTOS", "HelperProto", "MAP_ONLY_HELPERS",
           "PROBED_PROG_TYPES", "RetKind", "allowed", "map_func_compatible", "proto"]
