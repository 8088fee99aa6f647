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

from dataclasses import dataclass

from ..isa.generated.helpers_table import HELPERS
from .generated.helper_availability import AVAILABLE_IN, GPL_ONLY, PROBED_PROG_TYPES
from .kernel_profile import default as _default_profile
from .state import TRUSTED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from enum import Enum as _Kinds
else:  # pybpf's own: a member read from its class (``ArgKind.ANYTHING``) is a plain class
    # attribute and hashes as its string, where enum's go through Python-level hooks
    from .._enum import StrEnum as _Kinds


class ArgKind(_Kinds):
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
    PTR_TO_SOCKET = "pointer to a full socket"
    PTR_TO_PERCPU_BTF_ID = "pointer to a per-CPU kernel variable"
    PTR_TO_DYNPTR = "pointer to a dynptr"
    KPTR_XCHG_DEST = "pointer to a kptr field"


class RetKind(_Kinds):
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
    initialised; ``write``: the helper writes initialised memory; ``fixed_size``: the
    memory size when the kind carries it; ``release``: the argument is a reference the
    helper releases; ``btf``: the kernel struct a BTF pointer argument must point to.
    """

    kind: ArgKind
    nullable: bool = False
    readonly: bool = False
    uninit: bool = False
    fixed_size: int | None = None
    release: bool = False
    write: bool = False
    btf: str = ""
    dynptr: str = ""

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
    #: the helper may sleep (sleepable programs only)
    might_sleep: bool = False
    #: the helper may take packet pointers as memory arguments
    pkt_access: bool = False
    #: return flags: ringbuf memory, read-only memory, the struct of a BTF pointer and its flags
    ret_ringbuf: bool = False
    ret_rdonly: bool = False
    ret_btf: str = ""
    ret_flags: int = 0

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

#: (name, args, ret, extra fields): pybpf's rows of the kernel's helper prototypes
#: (``struct bpf_func_proto``: argument kinds and flags, return kind, acquire/release, may
#: sleep, packet access), as this project wrote them from the kernel's definitions. Checked
#: against the live kernel by tests/verifier/test_helper_protos.py.
_ROWS: list[tuple[str, tuple[Arg, ...], RetKind, dict]] = [
    ("map_lookup_elem", (MAP, KEY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True, "pkt_access": True}),
    ("map_update_elem", (MAP, KEY, VALUE, ANY), INT, {"pkt_access": True}),
    ("map_delete_elem", (MAP, KEY), INT, {"pkt_access": True}),
    ("probe_read", (UNINIT, SIZE0, ANY), INT, {}),
    ("ktime_get_ns", (), INT, {}),
    ("trace_printk", (MEM_RO, SIZE), INT, {}),
    ("get_prandom_u32", (), INT, {}),
    ("get_smp_processor_id", (), INT, {}),
    ("skb_store_bytes", (CTX, ANY, MEM_RO, SIZE, ANY), INT, {}),
    ("l3_csum_replace", (CTX, ANY, ANY, ANY, ANY), INT, {}),
    ("l4_csum_replace", (CTX, ANY, ANY, ANY, ANY), INT, {}),
    ("tail_call", (CTX, MAP, ANY), V, {}),
    ("clone_redirect", (CTX, ANY, ANY), INT, {}),
    ("get_current_pid_tgid", (), INT, {}),
    ("get_current_uid_gid", (), INT, {}),
    ("get_current_comm", (UNINIT, SIZE), INT, {}),
    ("get_cgroup_classid", (CTX,), INT, {}),
    ("skb_vlan_push", (CTX, ANY, ANY), INT, {}),
    ("skb_vlan_pop", (CTX,), INT, {}),
    ("skb_get_tunnel_key", (CTX, UNINIT, SIZE, ANY), INT, {}),
    ("skb_set_tunnel_key", (CTX, MEM_RO, SIZE, ANY), INT, {}),
    ("perf_event_read", (MAP, ANY), INT, {}),
    ("redirect", (ANY, ANY), INT, {}),
    ("get_route_realm", (CTX,), INT, {}),
    ("perf_event_output", (CTX, MAP, ANY, MEM_RO, SIZE0), INT, {}),
    ("skb_load_bytes", (CTX, ANY, UNINIT, SIZE), INT, {}),
    ("get_stackid", (CTX, MAP, ANY), INT, {}),
    ("csum_diff", (MEM_RO_NULL, SIZE0, MEM_RO_NULL, SIZE0, ANY), INT, {"pkt_access": True}),
    ("skb_get_tunnel_opt", (CTX, UNINIT, SIZE), INT, {}),
    ("skb_set_tunnel_opt", (CTX, MEM_RO, SIZE), INT, {}),
    ("skb_change_proto", (CTX, ANY, ANY), INT, {}),
    ("skb_change_type", (CTX, ANY), INT, {}),
    ("skb_under_cgroup", (CTX, MAP, ANY), INT, {}),
    ("get_hash_recalc", (CTX,), INT, {}),
    ("get_current_task", (), INT, {}),
    ("probe_write_user", (ANY, MEM_RO, SIZE), INT, {}),
    ("current_task_under_cgroup", (MAP, ANY), INT, {}),
    ("skb_change_tail", (CTX, ANY, ANY), INT, {}),
    ("skb_pull_data", (CTX, ANY), INT, {}),
    ("csum_update", (CTX, ANY), INT, {}),
    ("set_hash_invalid", (CTX,), INT, {}),
    ("get_numa_node_id", (), INT, {}),
    ("skb_change_head", (CTX, ANY, ANY), INT, {}),
    ("xdp_adjust_head", (CTX, ANY), INT, {}),
    ("probe_read_str", (UNINIT, SIZE0, ANY), INT, {}),
    ("get_socket_cookie", (CTX,), INT, {}),
    ("get_socket_uid", (CTX,), INT, {}),
    ("set_hash", (CTX, ANY), INT, {}),
    ("setsockopt", (CTX, ANY, ANY, MEM_RO, SIZE), INT, {}),
    ("skb_adjust_room", (CTX, ANY, ANY, ANY), INT, {}),
    ("redirect_map", (MAP, ANY, ANY), INT, {}),
    ("sk_redirect_map", (CTX, MAP, ANY, ANY), INT, {}),
    ("sock_map_update", (CTX, MAP, KEY, ANY), INT, {"pkt_access": True}),
    ("xdp_adjust_meta", (CTX, ANY), INT, {}),
    ("perf_event_read_value", (MAP, ANY, UNINIT, SIZE), INT, {}),
    ("perf_prog_read_value", (CTX, UNINIT, SIZE), INT, {}),
    ("getsockopt", (CTX, ANY, ANY, UNINIT, SIZE), INT, {}),
    ("override_return", (CTX, ANY), INT, {}),
    ("sock_ops_cb_flags_set", (CTX, ANY), INT, {}),
    ("msg_redirect_map", (CTX, MAP, ANY, ANY), INT, {}),
    ("msg_apply_bytes", (CTX, ANY), INT, {}),
    ("msg_cork_bytes", (CTX, ANY), INT, {}),
    ("msg_pull_data", (CTX, ANY, ANY, ANY), INT, {}),
    ("bind", (CTX, MEM_RO, SIZE), INT, {}),
    ("xdp_adjust_tail", (CTX, ANY), INT, {}),
    ("skb_get_xfrm_state", (CTX, ANY, UNINIT, SIZE, ANY), INT, {}),
    ("get_stack", (CTX, UNINIT, SIZE0, ANY), INT, {}),
    ("skb_load_bytes_relative", (CTX, ANY, UNINIT, SIZE, ANY), INT, {}),
    ("fib_lookup", (CTX, Arg(_A.PTR_TO_MEM, write=True), SIZE, ANY), INT, {}),
    ("sock_hash_update", (CTX, MAP, KEY, ANY), INT, {"pkt_access": True}),
    ("msg_redirect_hash", (CTX, MAP, KEY, ANY), INT, {}),
    ("sk_redirect_hash", (CTX, MAP, KEY, ANY), INT, {}),
    ("lwt_push_encap", (CTX, ANY, MEM_RO, SIZE), INT, {}),
    ("lwt_seg6_store_bytes", (CTX, ANY, MEM_RO, SIZE), INT, {}),
    ("lwt_seg6_adjust_srh", (CTX, ANY, ANY), INT, {}),
    ("lwt_seg6_action", (CTX, ANY, MEM_RO, SIZE), INT, {}),
    ("skb_cgroup_id", (CTX,), INT, {}),
    ("get_current_cgroup_id", (), INT, {}),
    ("get_local_storage", (MAP, ANY), RetKind.PTR_TO_MAP_VALUE, {}),
    ("sk_select_reuseport", (CTX, MAP, KEY, ANY), INT, {}),
    ("skb_ancestor_cgroup_id", (CTX, ANY), INT, {}),
    ("sk_lookup_tcp", (CTX, MEM_RO, SIZE0, ANY, ANY), RetKind.PTR_TO_SOCKET, {"ret_nullable": True, "pkt_access": True, "acquires": True}),
    ("sk_lookup_udp", (CTX, MEM_RO, SIZE0, ANY, ANY), RetKind.PTR_TO_SOCKET, {"ret_nullable": True, "pkt_access": True, "acquires": True}),
    ("sk_release", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON, release=True),), INT, {}),
    ("map_push_elem", (MAP, VALUE, ANY), INT, {"pkt_access": True}),
    ("map_pop_elem", (MAP, Arg(_A.PTR_TO_MAP_VALUE, uninit=True, write=True)), INT, {}),
    ("map_peek_elem", (MAP, Arg(_A.PTR_TO_MAP_VALUE, uninit=True, write=True)), INT, {}),
    ("msg_push_data", (CTX, ANY, ANY, ANY), INT, {}),
    ("msg_pop_data", (CTX, ANY, ANY, ANY), INT, {}),
    ("spin_lock", (LOCK,), V, {}),
    ("spin_unlock", (LOCK,), V, {}),
    ("sk_fullsock", (Arg(_A.PTR_TO_SOCK_COMMON),), RetKind.PTR_TO_SOCKET, {"ret_nullable": True}),
    ("tcp_sock", (Arg(_A.PTR_TO_SOCK_COMMON),), RetKind.PTR_TO_TCP_SOCK, {"ret_nullable": True}),
    ("skb_ecn_set_ce", (CTX,), INT, {}),
    ("get_listener_sock", (Arg(_A.PTR_TO_SOCK_COMMON),), RetKind.PTR_TO_SOCKET, {"ret_nullable": True}),
    ("skc_lookup_tcp", (CTX, MEM_RO, SIZE0, ANY, ANY), RetKind.PTR_TO_SOCK_COMMON, {"ret_nullable": True, "pkt_access": True, "acquires": True}),
    ("tcp_check_syncookie", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON), MEM_RO, SIZE, MEM_RO, SIZE), INT, {"pkt_access": True}),
    ("sysctl_get_name", (CTX, Arg(_A.PTR_TO_MEM, write=True), SIZE, ANY), INT, {}),
    ("sysctl_get_current_value", (CTX, UNINIT, SIZE), INT, {}),
    ("sysctl_get_new_value", (CTX, UNINIT, SIZE), INT, {}),
    ("sysctl_set_new_value", (CTX, MEM_RO, SIZE), INT, {}),
    ("strtol", (MEM_RO, SIZE, ANY, Arg(_A.PTR_TO_MEM, uninit=True, write=True, fixed_size=8)), INT, {}),
    ("strtoul", (MEM_RO, SIZE, ANY, Arg(_A.PTR_TO_MEM, uninit=True, write=True, fixed_size=8)), INT, {}),
    ("sk_storage_get", (MAP, Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON), Arg(_A.PTR_TO_MAP_VALUE, nullable=True), ANY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True}),
    ("sk_storage_delete", (MAP, Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON)), INT, {}),
    ("send_signal", (ANY,), INT, {}),
    ("tcp_gen_syncookie", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON), MEM_RO, SIZE, MEM_RO, SIZE), INT, {"pkt_access": True}),
    ("skb_output", (Arg(_A.PTR_TO_BTF_ID, btf="sk_buff"), MAP, ANY, MEM_RO, SIZE0), INT, {}),
    ("probe_read_user", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_kernel", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_user_str", (UNINIT, SIZE0, ANY), INT, {}),
    ("probe_read_kernel_str", (UNINIT, SIZE0, ANY), INT, {}),
    ("send_signal_thread", (ANY,), INT, {}),
    ("jiffies64", (), INT, {}),
    ("read_branch_records", (CTX, Arg(_A.PTR_TO_MEM, nullable=True, write=True), SIZE0, ANY), INT, {}),
    ("get_ns_current_pid_tgid", (ANY, ANY, UNINIT, SIZE), INT, {}),
    ("xdp_output", (Arg(_A.PTR_TO_BTF_ID, btf="xdp_buff"), MAP, ANY, MEM_RO, SIZE0), INT, {}),
    ("get_netns_cookie", (Arg(_A.PTR_TO_CTX, nullable=True),), INT, {}),
    ("get_current_ancestor_cgroup_id", (ANY,), INT, {}),
    ("sk_assign", (CTX, Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON), ANY), INT, {}),
    ("ktime_get_boot_ns", (), INT, {}),
    ("seq_printf", (Arg(_A.PTR_TO_BTF_ID, btf="seq_file"), MEM_RO, SIZE, MEM_RO_NULL, SIZE0), INT, {}),
    ("seq_write", (Arg(_A.PTR_TO_BTF_ID, btf="seq_file"), MEM_RO, SIZE0), INT, {}),
    ("sk_cgroup_id", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON),), INT, {}),
    ("sk_ancestor_cgroup_id", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON), ANY), INT, {}),
    ("ringbuf_output", (MAP, MEM_RO, SIZE0, ANY), INT, {}),
    ("ringbuf_reserve", (MAP, Arg(_A.CONST_ALLOC_SIZE_OR_ZERO), ANY), RetKind.PTR_TO_MEM, {"ret_nullable": True, "ret_ringbuf": True, "acquires": True}),
    ("ringbuf_submit", (Arg(_A.PTR_TO_RINGBUF_MEM, release=True), ANY), V, {}),
    ("ringbuf_discard", (Arg(_A.PTR_TO_RINGBUF_MEM, release=True), ANY), V, {}),
    ("ringbuf_query", (MAP, ANY), INT, {}),
    ("csum_level", (CTX, ANY), INT, {}),
    ("skc_to_tcp6_sock", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'tcp6_sock'}),
    ("skc_to_tcp_sock", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'tcp_sock'}),
    ("skc_to_tcp_timewait_sock", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'tcp_timewait_sock'}),
    ("skc_to_tcp_request_sock", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'tcp_request_sock'}),
    ("skc_to_udp6_sock", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'udp6_sock'}),
    ("get_task_stack", (Arg(_A.PTR_TO_BTF_ID, btf="task_struct"), UNINIT, SIZE0, ANY), INT, {}),
    ("load_hdr_opt", (CTX, Arg(_A.PTR_TO_MEM, write=True), SIZE, ANY), INT, {}),
    ("store_hdr_opt", (CTX, MEM_RO, SIZE, ANY), INT, {}),
    ("reserve_hdr_opt", (CTX, ANY, ANY), INT, {}),
    ("inode_storage_get", (MAP, Arg(_A.PTR_TO_BTF_ID, nullable=True, btf="inode"), Arg(_A.PTR_TO_MAP_VALUE, nullable=True), ANY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True}),
    ("inode_storage_delete", (MAP, Arg(_A.PTR_TO_BTF_ID, nullable=True, btf="inode")), INT, {}),
    ("d_path", (Arg(_A.PTR_TO_BTF_ID, btf="path"), Arg(_A.PTR_TO_MEM, write=True), SIZE0), INT, {}),
    ("copy_from_user", (UNINIT, SIZE0, ANY), INT, {"might_sleep": True}),
    ("snprintf_btf", (Arg(_A.PTR_TO_MEM, write=True), SIZE, MEM_RO, SIZE, ANY), INT, {}),
    ("seq_printf_btf", (Arg(_A.PTR_TO_BTF_ID, btf="seq_file"), MEM_RO, SIZE0, ANY), INT, {}),
    ("skb_cgroup_classid", (CTX,), INT, {}),
    ("redirect_neigh", (ANY, MEM_RO_NULL, SIZE0, ANY), INT, {}),
    ("per_cpu_ptr", (Arg(_A.PTR_TO_PERCPU_BTF_ID), ANY), RetKind.PTR_TO_MEM_OR_BTF_ID, {"ret_nullable": True, "ret_rdonly": True}),
    ("this_cpu_ptr", (Arg(_A.PTR_TO_PERCPU_BTF_ID),), RetKind.PTR_TO_MEM_OR_BTF_ID, {"ret_rdonly": True}),
    ("redirect_peer", (ANY, ANY), INT, {}),
    ("task_storage_get", (MAP, Arg(_A.PTR_TO_BTF_ID, nullable=True, btf="task_struct"), Arg(_A.PTR_TO_MAP_VALUE, nullable=True), ANY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True}),
    ("task_storage_delete", (MAP, Arg(_A.PTR_TO_BTF_ID, nullable=True, btf="task_struct")), INT, {}),
    ("get_current_task_btf", (), RetKind.PTR_TO_BTF_ID, {"ret_flags": TRUSTED, "ret_btf": 'task_struct'}),
    ("bprm_opts_set", (Arg(_A.PTR_TO_BTF_ID, btf="linux_binprm"), ANY), INT, {}),
    ("ktime_get_coarse_ns", (), INT, {}),
    ("ima_inode_hash", (Arg(_A.PTR_TO_BTF_ID, btf="inode"), UNINIT, SIZE), INT, {"might_sleep": True}),
    ("sock_from_file", (Arg(_A.PTR_TO_BTF_ID, btf="file"),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'socket'}),
    ("check_mtu", (CTX, ANY, Arg(_A.PTR_TO_MEM, write=True, fixed_size=4), ANY, ANY), INT, {}),
    ("for_each_map_elem", (MAP, FUNC, STACK_NULL, ANY), INT, {}),
    ("snprintf", (Arg(_A.PTR_TO_MEM, nullable=True, write=True), SIZE0, Arg(_A.PTR_TO_CONST_STR), MEM_RO_NULL, SIZE0), INT, {}),
    ("sys_bpf", (ANY, MEM_RO, SIZE), INT, {}),
    ("btf_find_by_name_kind", (MEM_RO, SIZE, ANY, ANY), INT, {}),
    ("sys_close", (ANY,), INT, {}),
    ("timer_init", (TIMER, MAP, ANY), INT, {}),
    ("timer_set_callback", (TIMER, FUNC), INT, {}),
    ("timer_start", (TIMER, ANY, ANY), INT, {}),
    ("timer_cancel", (TIMER,), INT, {}),
    ("get_func_ip", (CTX,), INT, {}),
    ("get_attach_cookie", (CTX,), INT, {}),
    ("task_pt_regs", (Arg(_A.PTR_TO_BTF_ID, btf="task_struct"),), RetKind.PTR_TO_BTF_ID, {"ret_btf": 'pt_regs'}),
    ("get_branch_snapshot", (UNINIT, SIZE0), INT, {}),
    ("trace_vprintk", (MEM_RO, SIZE, MEM_RO_NULL, SIZE0), INT, {}),
    ("skc_to_unix_sock", (Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'unix_sock'}),
    ("kallsyms_lookup_name", (MEM_RO, SIZE0, ANY, Arg(_A.PTR_TO_MEM, uninit=True, write=True, fixed_size=8)), INT, {}),
    ("find_vma", (Arg(_A.PTR_TO_BTF_ID, btf="task_struct"), ANY, FUNC, STACK_NULL, ANY), INT, {}),
    ("loop", (ANY, FUNC, STACK_NULL, ANY), INT, {}),
    ("strncmp", (MEM_RO, SIZE, Arg(_A.PTR_TO_CONST_STR)), INT, {}),
    ("get_func_arg", (CTX, ANY, Arg(_A.PTR_TO_MEM, uninit=True, write=True, fixed_size=8)), INT, {}),
    ("get_func_ret", (CTX, Arg(_A.PTR_TO_MEM, uninit=True, write=True, fixed_size=8)), INT, {}),
    ("get_func_arg_cnt", (CTX,), INT, {}),
    ("get_retval", (), INT, {}),
    ("set_retval", (ANY,), INT, {}),
    ("xdp_get_buff_len", (CTX,), INT, {}),
    ("xdp_load_bytes", (CTX, ANY, UNINIT, SIZE), INT, {}),
    ("xdp_store_bytes", (CTX, ANY, MEM_RO, SIZE), INT, {}),
    ("copy_from_user_task", (UNINIT, SIZE0, ANY, Arg(_A.PTR_TO_BTF_ID, btf="task_struct"), ANY), INT, {"might_sleep": True}),
    ("skb_set_tstamp", (CTX, ANY, ANY), INT, {}),
    ("ima_file_hash", (Arg(_A.PTR_TO_BTF_ID, btf="file"), UNINIT, SIZE), INT, {"might_sleep": True}),
    ("kptr_xchg", (Arg(_A.KPTR_XCHG_DEST), Arg(_A.PTR_TO_BTF_ID, nullable=True, release=True)), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "acquires": True}),
    ("map_lookup_percpu_elem", (MAP, KEY, ANY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True, "pkt_access": True}),
    ("skc_to_mptcp_sock", (Arg(_A.PTR_TO_SOCK_COMMON),), RetKind.PTR_TO_BTF_ID, {"ret_nullable": True, "ret_btf": 'mptcp_sock'}),
    ("dynptr_from_mem", (UNINIT, SIZE0, ANY, Arg(_A.PTR_TO_DYNPTR, dynptr="local", uninit=True, write=True)), INT, {}),
    ("ringbuf_reserve_dynptr", (MAP, ANY, ANY, Arg(_A.PTR_TO_DYNPTR, dynptr="ringbuf", uninit=True, write=True)), INT, {}),
    ("ringbuf_submit_dynptr", (Arg(_A.PTR_TO_DYNPTR, dynptr="ringbuf", release=True), ANY), V, {}),
    ("ringbuf_discard_dynptr", (Arg(_A.PTR_TO_DYNPTR, dynptr="ringbuf", release=True), ANY), V, {}),
    ("dynptr_read", (UNINIT, SIZE0, Arg(_A.PTR_TO_DYNPTR, readonly=True), ANY, ANY), INT, {}),
    ("dynptr_write", (Arg(_A.PTR_TO_DYNPTR, readonly=True), ANY, MEM_RO, SIZE0, ANY), INT, {}),
    ("dynptr_data", (Arg(_A.PTR_TO_DYNPTR, readonly=True), ANY, Arg(_A.CONST_ALLOC_SIZE_OR_ZERO)), RetKind.PTR_TO_MEM, {"ret_nullable": True}),
    ("tcp_raw_gen_syncookie_ipv4", (Arg(_A.PTR_TO_MEM, readonly=True, fixed_size=20), MEM_RO, SIZE0), INT, {"pkt_access": True}),
    ("tcp_raw_gen_syncookie_ipv6", (Arg(_A.PTR_TO_MEM, readonly=True, fixed_size=40), MEM_RO, SIZE0), INT, {"pkt_access": True}),
    ("tcp_raw_check_syncookie_ipv4", (Arg(_A.PTR_TO_MEM, readonly=True, fixed_size=20), Arg(_A.PTR_TO_MEM, readonly=True, fixed_size=20)), INT, {"pkt_access": True}),
    ("tcp_raw_check_syncookie_ipv6", (Arg(_A.PTR_TO_MEM, readonly=True, fixed_size=40), Arg(_A.PTR_TO_MEM, readonly=True, fixed_size=20)), INT, {"pkt_access": True}),
    ("ktime_get_tai_ns", (), INT, {}),
    ("user_ringbuf_drain", (MAP, FUNC, STACK_NULL, ANY), INT, {}),
    ("cgrp_storage_get", (MAP, Arg(_A.PTR_TO_BTF_ID, nullable=True, btf="cgroup"), Arg(_A.PTR_TO_MAP_VALUE, nullable=True), ANY), RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True}),
    ("cgrp_storage_delete", (MAP, Arg(_A.PTR_TO_BTF_ID, nullable=True, btf="cgroup")), INT, {}),
]

#: prototypes that differ by program type: (helper, kind of program) -> row. ``kind`` is
#: "tracing" for the BTF-typed tracing programs (fentry, tp_btf, iterators, LSM).
_VARIANT_ROWS: dict[tuple[str, str], tuple[tuple[Arg, ...], RetKind, dict]] = {
    ("sk_storage_get", "tracing"): ((MAP, Arg(_A.PTR_TO_BTF_ID, nullable=True, btf="sock"),
                                     Arg(_A.PTR_TO_MAP_VALUE, nullable=True), ANY),
                                    RetKind.PTR_TO_MAP_VALUE, {"ret_nullable": True}),
    ("sk_storage_delete", "tracing"): ((MAP, Arg(_A.PTR_TO_BTF_ID, btf="sock")), INT, {}),
    ("get_socket_cookie", "tracing"): ((Arg(_A.PTR_TO_BTF_ID_SOCK_COMMON, nullable=True),), INT,
                                       {}),
    ("xdp_get_buff_len", "tracing"): ((Arg(_A.PTR_TO_BTF_ID, btf="xdp_buff"),), INT, {}),
    ("get_cgroup_classid", "tracing"): ((), INT, {}),
    ("get_func_ip", "kprobe"): ((CTX,), INT, {}),
}

#: helpers after which every packet pointer is stale (bpf_helper_changes_pkt_data)
CHANGES_PKT_DATA = frozenset(
    "clone_redirect l3_csum_replace l4_csum_replace lwt_push_encap lwt_seg6_action "
    "lwt_seg6_adjust_srh lwt_seg6_store_bytes msg_pop_data msg_pull_data msg_push_data "
    "skb_adjust_room skb_change_head skb_change_proto skb_change_tail skb_pull_data "
    "skb_store_bytes skb_vlan_pop skb_vlan_push store_hdr_opt xdp_adjust_head xdp_adjust_meta "
    "xdp_adjust_tail tail_call".split())

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
                                     map_types=maps, changes_pkt_data=name in CHANGES_PKT_DATA,
                                     **extra)
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


def _build_variants() -> dict[tuple[int, str], HelperProto]:
    out = {}
    for (name, family), (args, ret, extra) in _VARIANT_ROWS.items():
        base = _BY_NAME[name]
        out[(base.id, family)] = HelperProto(base.id, name, args, ret, gpl_only=base.gpl_only,
                                             prog_types=base.prog_types, map_types=base.map_types,
                                             changes_pkt_data=base.changes_pkt_data, **extra)
    return out


_VARIANTS = _build_variants()


def proto_for(helper: int, family: str) -> HelperProto:
    """The prototype of helper number ``helper`` in programs of ``family`` ("tracing" for the
    BTF-typed tracing programs, "kprobe", or anything else for the common one)."""
    return _VARIANTS.get((helper, family)) or HELPER_PROTOS[helper]


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
