"""Calls: the dispatch of ``call`` and the helper calls.

A helper call (the kernel's ``check_helper_call``) looks the helper up in the running
kernel's profile (available to this program type? GPL-only?), checks each argument against
its prototype (`pybpf.verifier.helper_protos`: ``check_func_arg``/``check_reg_type``, then
the memory the helper touches), releases what it releases, clobbers R1-R5 and sets R0 from
the return kind. Calls of subprograms and callbacks are in `pybpf.verifier.frames`, references in
`pybpf.verifier.refs`, kernel functions (kfuncs) in `pybpf.verifier.kfuncs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import Insn, helper_name
from ..isa.generated.helpers_table import HELPERS
from . import dynptr, kptrs, mem
from .btf_types import find, is_struct, kernel, skip_modifiers, type_name
from .frames import leave_subprog, push_callback_call
from .helper_protos import Arg, ArgKind, HelperProto, RetKind, map_func_compatible
from .locks import process_spin_lock, struct_ids_match
from .refs import acquire_reference, check_resource_leak, clear_packet_pointers, release_reference
from .report import Reject
from .scalar import Scalar
from .state import (
    ALLOC,
    MAYBE_NULL,
    NON_OWN_REF,
    PERCPU,
    RCU,
    RDONLY,
    RINGBUF,
    RT,
    TRUSTED,
    Dynptr,
    MapRef,
    Reg,
    State,
    type_str,
)

if TYPE_CHECKING:
    from .session import Session

# enum members as globals: read from its class (``RT.SCALAR``) a member is a class
# attribute lookup at every step; a global is the cheapest read
_ARG_ANYTHING = ArgKind.ANYTHING
_ARG_CONST_ALLOC_SIZE_OR_ZERO = ArgKind.CONST_ALLOC_SIZE_OR_ZERO
_ARG_CONST_MAP_PTR = ArgKind.CONST_MAP_PTR
_ARG_CONST_SIZE = ArgKind.CONST_SIZE
_ARG_CONST_SIZE_OR_ZERO = ArgKind.CONST_SIZE_OR_ZERO
_ARG_KPTR_XCHG_DEST = ArgKind.KPTR_XCHG_DEST
_ARG_PTR_TO_BTF_ID_SOCK_COMMON = ArgKind.PTR_TO_BTF_ID_SOCK_COMMON
_ARG_PTR_TO_CONST_STR = ArgKind.PTR_TO_CONST_STR
_ARG_PTR_TO_DYNPTR = ArgKind.PTR_TO_DYNPTR
_ARG_PTR_TO_FUNC = ArgKind.PTR_TO_FUNC
_ARG_PTR_TO_MAP_KEY = ArgKind.PTR_TO_MAP_KEY
_ARG_PTR_TO_MAP_VALUE = ArgKind.PTR_TO_MAP_VALUE
_ARG_PTR_TO_MEM = ArgKind.PTR_TO_MEM
_ARG_PTR_TO_PERCPU_BTF_ID = ArgKind.PTR_TO_PERCPU_BTF_ID
_ARG_PTR_TO_SPIN_LOCK = ArgKind.PTR_TO_SPIN_LOCK
_ARG_PTR_TO_TIMER = ArgKind.PTR_TO_TIMER
_DYNPTR_SKB = Dynptr.SKB
_DYNPTR_SKB_META = Dynptr.SKB_META
_RET_INTEGER = RetKind.INTEGER
_RET_PTR_TO_MAP_VALUE = RetKind.PTR_TO_MAP_VALUE
_RET_PTR_TO_MEM = RetKind.PTR_TO_MEM
_RET_PTR_TO_MEM_OR_BTF_ID = RetKind.PTR_TO_MEM_OR_BTF_ID
_RET_PTR_TO_SOCKET = RetKind.PTR_TO_SOCKET
_RET_PTR_TO_SOCK_COMMON = RetKind.PTR_TO_SOCK_COMMON
_RET_PTR_TO_TCP_SOCK = RetKind.PTR_TO_TCP_SOCK
_RET_VOID = RetKind.VOID
_RT_CONST_PTR_TO_MAP = RT.CONST_PTR_TO_MAP
_RT_PTR_TO_BTF_ID = RT.PTR_TO_BTF_ID
_RT_PTR_TO_MAP_VALUE = RT.PTR_TO_MAP_VALUE
_RT_PTR_TO_MEM = RT.PTR_TO_MEM
_RT_PTR_TO_SOCKET = RT.PTR_TO_SOCKET
_RT_PTR_TO_SOCK_COMMON = RT.PTR_TO_SOCK_COMMON
_RT_NOT_INIT = RT.NOT_INIT
_RT_PTR_TO_STACK = RT.PTR_TO_STACK
_RT_PTR_TO_TCP_SOCK = RT.PTR_TO_TCP_SOCK

MAX_ERRNO = 4095
_ANY_BTF = ""

#: the kernel's compatible_reg_types: (base type, flags) a register may have per argument kind
_MEM_TYPES = ((RT.PTR_TO_STACK, 0), (RT.PTR_TO_PACKET, 0), (RT.PTR_TO_PACKET_META, 0),
              (RT.PTR_TO_MAP_KEY, 0), (RT.PTR_TO_MAP_VALUE, 0), (RT.PTR_TO_MEM, 0),
              (RT.PTR_TO_MEM, RINGBUF), (RT.PTR_TO_BUF, 0), (RT.PTR_TO_BTF_ID, TRUSTED))
_SOCK_TYPES = ((RT.PTR_TO_SOCK_COMMON, 0), (RT.PTR_TO_SOCKET, 0), (RT.PTR_TO_TCP_SOCK, 0),
               (RT.PTR_TO_XDP_SOCK, 0))
_COMPATIBLE: dict[ArgKind, tuple[tuple[RT, int], ...]] = {
    ArgKind.PTR_TO_MAP_KEY: _MEM_TYPES,
    ArgKind.PTR_TO_MAP_VALUE: _MEM_TYPES,
    ArgKind.CONST_SIZE: ((RT.SCALAR, 0),),
    ArgKind.CONST_SIZE_OR_ZERO: ((RT.SCALAR, 0),),
    ArgKind.CONST_ALLOC_SIZE_OR_ZERO: ((RT.SCALAR, 0),),
    ArgKind.CONST_MAP_PTR: ((RT.CONST_PTR_TO_MAP, 0),),
    ArgKind.PTR_TO_CTX: ((RT.PTR_TO_CTX, 0),),
    ArgKind.PTR_TO_SOCK_COMMON: _SOCK_TYPES,
    ArgKind.PTR_TO_BTF_ID_SOCK_COMMON: (*_SOCK_TYPES, (RT.PTR_TO_BTF_ID, 0),
                                        (RT.PTR_TO_BTF_ID, TRUSTED)),
    ArgKind.PTR_TO_SOCKET: ((RT.PTR_TO_SOCKET, 0),),
    ArgKind.PTR_TO_BTF_ID: ((RT.PTR_TO_BTF_ID, 0), (RT.PTR_TO_BTF_ID, TRUSTED),
                            (RT.PTR_TO_BTF_ID, RCU)),
    ArgKind.PTR_TO_SPIN_LOCK: ((RT.PTR_TO_MAP_VALUE, 0), (RT.PTR_TO_BTF_ID, ALLOC)),
    ArgKind.PTR_TO_MEM: _MEM_TYPES,
    ArgKind.PTR_TO_RINGBUF_MEM: ((RT.PTR_TO_MEM, RINGBUF),),
    ArgKind.PTR_TO_PERCPU_BTF_ID: ((RT.PTR_TO_BTF_ID, PERCPU), (RT.PTR_TO_BTF_ID, PERCPU | RCU),
                                   (RT.PTR_TO_BTF_ID, PERCPU | TRUSTED)),
    ArgKind.PTR_TO_FUNC: ((RT.PTR_TO_FUNC, 0),),
    ArgKind.PTR_TO_STACK: ((RT.PTR_TO_STACK, 0),),
    ArgKind.PTR_TO_CONST_STR: ((RT.PTR_TO_MAP_VALUE, 0),),
    ArgKind.PTR_TO_TIMER: ((RT.PTR_TO_MAP_VALUE, 0),),
    ArgKind.KPTR_XCHG_DEST: ((RT.PTR_TO_MAP_VALUE, 0), (RT.PTR_TO_BTF_ID, ALLOC)),
    ArgKind.PTR_TO_DYNPTR: ((RT.PTR_TO_STACK, 0), (RT.CONST_PTR_TO_DYNPTR, 0)),
}
#: ... as sets, for the check itself
_COMPATIBLE_SET = {k: frozenset(v) for k, v in _COMPATIBLE.items()}
#: R1-R5 after a call
_CLOBBERED = (Reg.not_init(),) * 5
#: helpers whose callbacks run synchronously, and the callback's argument set-up
SYNC_CALLBACK_HELPERS = frozenset({"loop", "for_each_map_elem", "find_vma", "user_ringbuf_drain"})
_PTR_CAST = frozenset({"tcp_sock", "sk_fullsock", "skc_to_tcp_sock", "skc_to_tcp6_sock",
                       "skc_to_udp6_sock", "skc_to_mptcp_sock", "skc_to_tcp_timewait_sock",
                       "skc_to_tcp_request_sock"})
_GPL = ("GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL",
        "Dual MPL/GPL")


def is_gpl(license: str) -> bool:  # noqa: A002
    return license in _GPL


def _name(num: int) -> str:
    """``bpf_map_lookup_elem`` for helper 1 (the kernel's func_id_name), or "unknown"."""
    return helper_name(num) or "unknown"


def _short(num: int) -> str:
    entry = HELPERS.get(num)
    return entry[0] if entry else ""


class _Meta:
    """The kernel's bpf_call_arg_meta: what the argument checks learned.

    Class attributes are the defaults (a call sets few of them), so making one sets nothing.
    """

    map: MapRef | None = None
    map_reg: Reg | None = None
    release_regno = 0
    ref_obj_id = 0
    mem_size = 0
    msize_max = 0
    subprog = -1
    raw: tuple[int, int] | None = None
    const_key: int = -1
    dynptr_id = 0
    dynptr_ref = 0
    ret_btf_id = 0
    kptr: kptrs.KptrField | None = None
    lock_reg = 0


def helper_call(v: Session, st: State, insn: Insn, i: int) -> None:
    """check_helper_call."""
    num = insn.imm
    if num not in HELPERS or num == 0:
        raise Reject(i, f"invalid func unknown#{num}", "unknown_helper")
    proto = v.helper_proto(num)
    if not v.kernel.allows(num, v.prog_type, v.attach):
        raise Reject(i, f"program of this type cannot use helper {_name(num)}#{num}",
                     "helper_not_allowed")
    if v.kernel.is_gpl_only(num) and not v.gpl:
        raise Reject(i, "cannot call GPL-restricted function from non-GPL compatible program",
                     "helper_not_allowed")
    if proto.might_sleep and not v.in_sleepable(st):
        raise Reject(i, "helper call might sleep in a non-sleepable prog", "helper_not_allowed")
    if proto.might_sleep:
        for active, where in ((st.active_rcu, "rcu_read_lock region"),
                              (st.active_preempt, "non-preemptible region"),
                              (st.active_irq_id, "IRQ-disabled region")):
            if active:
                raise Reject(i, f"sleepable helper {_name(num)}#{num} in {where}",
                             "helper_not_allowed")
    meta = _Meta()
    regs = st.frames[-1].regs
    args = proto.args
    for n, arg in enumerate(args):
        if arg.kind is _ARG_ANYTHING:  # _check_arg's only check of such an argument
            if regs[n + 1].type is _RT_NOT_INIT:
                raise Reject(i, f"R{n + 1} !read_ok", "uninit_register", reg=n + 1)
            continue
        _check_arg(v, st, i, proto, n, arg, meta)
    if proto.name == "tail_call":  # record_func_key: a known in-range index is precise
        key = regs[3]
        if key.var.is_const and meta.map is not None and key.var.value < meta.map.max_entries:
            v.mark_precise(st, 3)
    if meta.raw is not None:  # the helper writes the buffer: byte by byte, like the kernel
        regno, size = meta.raw
        for k in range(size):
            mem.access(v, st, regno, k, 1, write=True, value=None, value_regno=-1, insn=i)
    if meta.release_regno:
        arg = args[meta.release_regno - 1]
        if arg.kind is _ARG_PTR_TO_DYNPTR:
            dynptr.release_stack(v, st, meta.release_regno, i)
        elif proto.name == "kptr_xchg" and meta.ref_obj_id:
            release_reference(v, st, meta.ref_obj_id, i, proto)
        elif meta.ref_obj_id:
            release_reference(v, st, meta.ref_obj_id, i, proto)
        elif not regs[meta.release_regno].is_null_const:
            raise Reject(i, f"func {_name(num)}#{num} reference has not been acquired before",
                         "release_invalid")
    name = proto.name
    changes_data = proto.changes_pkt_data
    if name == "tail_call":
        check_resource_leak(v, st, i, main=True, prefix="tail_call")
    elif name == "get_local_storage":
        if not regs[2].is_null_const:
            raise Reject(i, "get_local_storage() doesn't support non-zero flags",
                         "helper_arg_type")
    elif name in ("for_each_map_elem", "timer_set_callback", "find_vma", "user_ringbuf_drain"):
        push_callback_call(v, st, insn, i, meta.subprog, name)
    elif name == "loop":
        v.mark_precise(st, 1)
        if st.frame.callback_depth < regs[1].var.umax:
            push_callback_call(v, st, insn, i, meta.subprog, name)
        else:
            st.frame.callback_depth = 0
    elif name == "dynptr_from_mem":
        if regs[1].type is not _RT_PTR_TO_MAP_VALUE:
            raise Reject(i, f"Unsupported reg type {regs[1].type_label()} for bpf_dynptr_from_mem "
                         "data", "helper_arg_type", reg=1)
    elif name in ("dynptr_data", "dynptr_write"):
        d = dynptr.arg_reg(v, st, proto)
        if name == "dynptr_data":
            meta.dynptr_id = dynptr.id_of(v, st, d)
            meta.ref_obj_id = dynptr.ref_of(v, st, d)
        elif dynptr.type_of(v, st, d) in (_DYNPTR_SKB, _DYNPTR_SKB_META):
            changes_data = True
    regs[1:6] = _CLOBBERED
    regs[0] = _ret(v, st, i, proto, meta)
    if proto.map_types is not None or meta.map is not None:
        if meta.map is not None and not map_func_compatible(meta.map.type, name):
            from ..uapi import MAP_TYPES

            raise Reject(i, f"cannot pass map_type {MAP_TYPES.get(meta.map.type, meta.map.type)} "
                         f"into func {_name(num)}#{num}", "helper_map_mismatch")
    if name == "tail_call" and len(st.frames) > 1:
        other = v.push_branch(st, i + 1, i)
        _ = other
        clear_packet_pointers(st)
        regs[0] = Reg.scalar()
        leave_subprog(v, st, i)
        st.insn -= 1
        changes_data = False
    if changes_data:
        clear_packet_pointers(st)


def _expect(i: int, regno: int, reg: Reg, types: tuple[tuple[RT, int], ...]) -> Reject:
    names = ", ".join(type_str(t, f) for t, f in types)
    return Reject(i, f"R{regno} type={reg.type_label()} expected={names}", "helper_arg_type",
                  reg=regno, type_label=reg.type_label())


def _check_reg_type(v: Session, i: int, regno: int, reg: Reg, arg: Arg, proto: HelperProto,
                    meta: _Meta) -> None:
    """check_reg_type: the register's type is one the argument kind accepts."""
    kind = arg.kind
    allowed = _COMPATIBLE_SET.get(kind)
    if allowed is None:
        return
    flags = reg.flags
    if flags:
        if arg.readonly:
            flags &= ~RDONLY
        if arg.nullable:
            flags &= ~MAYBE_NULL
        if flags & ALLOC and regno == 2 and proto.name == "kptr_xchg":
            flags &= ~(ALLOC | PERCPU)
    if (reg.type, flags) not in allowed:
        raise _expect(i, regno, reg, _COMPATIBLE[kind])
    if reg.type is not _RT_PTR_TO_BTF_ID:
        return
    compatible = _COMPATIBLE[kind]
    if compatible is _MEM_TYPES:
        if not arg.readonly:
            raise Reject(i, f"bpf_{proto.name}() may write into memory pointed by R{regno} "
                         f"type={reg.type_label()}", "helper_arg_type", reg=regno)
        return
    if reg.flags & ALLOC:  # an allocated object: only kptr_xchg's source is checked here
        if proto.name == "kptr_xchg" and regno == 2 and meta.kptr is not None:
            kptrs.match_type(i, meta.kptr, reg, regno)
        return
    if reg.flags & MAYBE_NULL and (not arg.nullable or arg.release):
        raise Reject(i, f"Possibly NULL pointer passed to helper arg{regno}", "null_deref",
                     reg=regno)
    if proto.name == "kptr_xchg":
        if meta.kptr is not None:
            kptrs.match_type(i, meta.kptr, reg, regno)
        return
    need = arg.btf or ("sock_common" if arg.kind is _ARG_PTR_TO_BTF_ID_SOCK_COMMON else "")
    if need and not reg.flags & ALLOC:
        if not struct_ids_match(reg.btf, reg.btf_id, reg.off, need,
                                strict=arg.release and proto.name != "sk_release"):
            raise Reject(i, f"R{regno} is of type {type_name(reg.btf, reg.btf_id)} but {need} is "
                         "expected", "helper_arg_type", reg=regno)


def check_ptr_off(i: int, regno: int, reg: Reg, fixed_ok: bool) -> None:
    """__check_ptr_off_reg: the pointer must not have been moved (or only by a constant)."""
    if reg.off < 0:
        raise Reject(i, f"negative offset {reg.type_label()} ptr R{regno} off={reg.off} disallowed",
                     "ctx_modified", reg=regno)
    if not fixed_ok and reg.off:
        raise Reject(i, f"dereference of modified {reg.type_label()} ptr R{regno} off={reg.off} "
                     "disallowed", "ctx_modified", reg=regno)
    if not (reg.var.is_const and reg.var.value == 0):
        raise Reject(i, f"variable {reg.type_label()} access var_off={reg.var.var_off.fmt()} "
                     "disallowed", "ctx_modified", reg=regno)


#: (type, flags) whose fixed and variable offsets are both allowed in a helper argument
_ANY_OFF = frozenset({(RT.PTR_TO_STACK, 0), (RT.PTR_TO_PACKET, 0), (RT.PTR_TO_PACKET_META, 0),
                      (RT.PTR_TO_MAP_KEY, 0), (RT.PTR_TO_MAP_VALUE, 0), (RT.PTR_TO_MEM, 0),
                      (RT.PTR_TO_MEM, RDONLY), (RT.PTR_TO_MEM, RINGBUF), (RT.PTR_TO_BUF, 0),
                      (RT.PTR_TO_BUF, RDONLY), (RT.PTR_TO_ARENA, 0), (RT.SCALAR, 0)})
#: (PTR_TO_BTF_ID, flags) whose fixed offset is allowed
_BTF_FIXED_OFF = frozenset({0, ALLOC, TRUSTED, RCU, ALLOC | NON_OWN_REF,
                            ALLOC | NON_OWN_REF | RCU})


def check_func_arg_reg_off(i: int, regno: int, reg: Reg, *, release: bool = False,
                           dynptr: bool = False) -> None:
    """check_func_arg_reg_off: which offsets a pointer passed to a helper or kfunc may have."""
    if release:
        if dynptr and reg.type is _RT_PTR_TO_STACK:
            return
        if reg.off:
            raise Reject(i, f"R{regno} must have zero offset when passed to release func or "
                         "trusted arg to kfunc", "release_invalid", reg=regno)
        check_ptr_off(i, regno, reg, False)
        return
    key = (reg.type, reg.flags)
    if key in _ANY_OFF:
        return
    if reg.type is _RT_PTR_TO_BTF_ID and reg.flags in _BTF_FIXED_OFF:
        check_ptr_off(i, regno, reg, True)
        return
    check_ptr_off(i, regno, reg, False)


def _check_reg_off(i: int, regno: int, reg: Reg, arg: Arg) -> None:
    check_func_arg_reg_off(i, regno, reg, release=arg.release,
                           dynptr=arg.kind is _ARG_PTR_TO_DYNPTR)


def _check_arg(v: Session, st: State, i: int, proto: HelperProto, n: int, arg: Arg,
               meta: _Meta) -> None:
    """check_func_arg for argument ``n`` (R``n+1``)."""
    regno = n + 1
    reg = st.frames[-1].regs[regno]
    t = reg.type
    if t is _RT_NOT_INIT:
        raise Reject(i, f"R{regno} !read_ok", "uninit_register", reg=regno)
    kind = arg.kind
    if kind is _ARG_ANYTHING:
        return
    if t.is_packet and not (v.prog_type in mem._PKT_READ and proto.pkt_access):
        raise Reject(i, "helper access to the packet is not allowed", "packet_oob", reg=regno)
    if kind is _ARG_PTR_TO_MAP_VALUE and meta.map is not None and \
            meta.map.type in ("sockmap", "sockhash") and proto.name in ("map_update_elem",):
        arg = Arg(_ARG_PTR_TO_BTF_ID_SOCK_COMMON)
        kind = arg.kind
    if not (arg.nullable and reg.is_null_const):
        _check_reg_type(v, i, regno, reg, arg, proto, meta)
        _check_reg_off(i, regno, reg, arg)
    if arg.release:
        if kind is _ARG_PTR_TO_DYNPTR:
            if reg.type is _RT_PTR_TO_STACK:
                if not dynptr.is_referenced(v, st, reg):
                    raise Reject(i, f"arg {regno} is an unacquired reference", "release_invalid",
                                 reg=regno)
            else:
                raise Reject(i, "cannot release unowned const bpf_dynptr", "release_invalid",
                             reg=regno)
        elif not reg.ref_obj_id and not reg.is_null_const:
            raise Reject(i, f"R{regno} must be referenced when passed to release function",
                         "release_invalid", reg=regno)
        meta.release_regno = regno
    if reg.ref_obj_id and kind is not _ARG_KPTR_XCHG_DEST:
        if meta.ref_obj_id:
            raise Reject(i, f"more than one arg with ref_obj_id R{regno} {reg.ref_obj_id} "
                         f"{meta.ref_obj_id}", "release_invalid", reg=regno)
        meta.ref_obj_id = reg.ref_obj_id
    if kind is _ARG_CONST_MAP_PTR:
        if meta.map is not None and (meta.map is not reg.map or
                                     (meta.map_reg and meta.map_reg.map_uid != reg.map_uid)):
            raise Reject(i, f"timer pointer in R1 map_uid={meta.map_reg.map_uid if meta.map_reg else 0} "
                         f"doesn't match map pointer in R2 map_uid={reg.map_uid}",
                         "helper_arg_type", reg=regno)
        meta.map = reg.map
        meta.map_reg = reg
        if proto.name == "tail_call" and reg.map is not None and reg.map.type != "prog_array":
            raise Reject(i, "expected prog array map for tail call", "helper_map_mismatch",
                         reg=regno)
    elif kind is _ARG_PTR_TO_MAP_KEY:
        assert meta.map is not None
        mem.helper_access(v, st, regno, meta.map.key_size, write=False, zero_ok=False, insn=i)
        if meta.map.type in ("array", "percpu_array") and \
                v.kernel.has_feature("array_lookup_const_key_nonnull"):
            meta.const_key = _const_key(v, st, reg, meta.map.key_size, regno)
    elif kind is _ARG_PTR_TO_MAP_VALUE:
        if arg.nullable and reg.is_null_const:
            return
        assert meta.map is not None
        raw = mem.helper_access(v, st, regno, meta.map.value_size, write=arg.uninit or arg.write,
                                zero_ok=False, insn=i, raw=arg.uninit)
        if raw is not None:
            meta.raw = raw
    elif kind is _ARG_PTR_TO_PERCPU_BTF_ID:
        if not reg.btf_id:
            raise Reject(i, f"Helper has invalid btf_id in R{regno}", "helper_arg_type",
                         reg=regno)
        meta.ret_btf_id = reg.btf_id
    elif kind is _ARG_PTR_TO_SPIN_LOCK:
        process_spin_lock(v, st, regno, i, lock=proto.name == "spin_lock")
    elif kind is _ARG_PTR_TO_TIMER:
        _process_timer(v, st, regno, i, meta)
    elif kind is _ARG_PTR_TO_FUNC:
        meta.subprog = reg.subprog
    elif kind is _ARG_PTR_TO_MEM:
        if arg.fixed_size is not None:
            raw = mem.helper_access(v, st, regno, arg.fixed_size, write=arg.uninit or arg.write,
                                    zero_ok=False, insn=i, raw=arg.uninit)
            if raw is not None:
                meta.raw = raw
    elif kind in (_ARG_CONST_SIZE, _ARG_CONST_SIZE_OR_ZERO):
        prev = proto.args[n - 1]
        _check_mem_size(v, st, i, regno, reg, prev, kind is _ARG_CONST_SIZE_OR_ZERO, meta)
    elif kind is _ARG_PTR_TO_DYNPTR:
        dynptr.process_arg(v, st, regno, i, arg)
    elif kind is _ARG_CONST_ALLOC_SIZE_OR_ZERO:
        if not reg.var.is_const:
            raise Reject(i, f"R{regno} is not a known constant'", "helper_arg_size", reg=regno)
        meta.mem_size = reg.var.value
        v.mark_precise(st, regno)
    elif kind is _ARG_PTR_TO_CONST_STR:
        check_const_str(v, st, i, regno, reg)
    elif kind is _ARG_KPTR_XCHG_DEST:
        meta.kptr = kptrs.process_dest(i, regno, reg)


def _check_mem_size(v: Session, st: State, i: int, regno: int, reg: Reg, prev: Arg,
                    zero_ok: bool, meta: _Meta) -> None:
    """check_mem_size_reg: a size argument bounds the memory argument before it."""
    var = reg.var
    meta.msize_max = var.umax
    raw_ok = var.is_const
    if var.smin < 0:
        raise Reject(i, f"R{regno} min value is negative, either use unsigned or 'var &= const'",
                     "helper_arg_size", reg=regno)
    if var.umin == 0 and not zero_ok:
        raise Reject(i, f"R{regno} invalid zero-sized read: u64=[{var.umin},{var.umax}]",
                     "helper_arg_size", reg=regno)
    if var.umax >= mem.BPF_MAX_VAR_SIZ:
        raise Reject(i, f"R{regno} unbounded memory access, use 'var &= const' or "
                     "'if (var < const)'", "helper_arg_size", reg=regno)
    prev_reg = st.regs[regno - 1]
    if not (prev.nullable and prev_reg.is_null_const and var.umax == 0) and \
            not (prev.nullable and prev_reg.is_null_const):
        raw = mem.helper_access(v, st, regno - 1, var.umax, write=prev.uninit or prev.write,
                                zero_ok=zero_ok, insn=i, raw=prev.uninit and raw_ok)
        if raw is not None:
            meta.raw = raw
    elif not (zero_ok and var.umax == 0) and prev_reg.is_null_const and var.umax:
        raise Reject(i, f"R{regno - 1} type=scalar expected=fp", "helper_arg_type",
                     reg=regno - 1)
    v.mark_precise(st, regno)


def _const_key(v: Session, st: State, reg: Reg, size: int, regno: int) -> int:
    """get_constant_map_key: the constant an array map key holds on the stack, or -1."""
    if reg.type is not _RT_PTR_TO_STACK or not reg.var.is_const:
        return -1
    slot = -(reg.off + reg.var.signed_value()) - 1
    spi, off = divmod(slot, 8)
    f = st.frames[reg.frameno]
    stack = f.stack
    base = spi * 8
    zeros = 0
    k = off
    while k >= 0 and stack[base + k] == 3:
        zeros += 1
        k -= 1
    if zeros >= size:
        return 0
    if not f.is_spilled_scalar(spi):
        return -1
    spilled = 0
    k = off
    while k >= 0 and stack[base + k] == 1:
        spilled += 1
        k -= 1
    if spilled != size:
        return -1
    sp = f.spills[spi]
    if not sp.var.is_const:
        return -1
    v.mark_stack_precise(st, reg.frameno, spi)
    return sp.var.value


def check_const_str(v: Session, st: State, i: int, regno: int, reg: Reg) -> None:
    """check_reg_const_str: a NUL-terminated string in a frozen read-only map."""
    m = reg.map
    if m is None or m.frozen_data is None:
        raise Reject(i, f"R{regno} does not point to a readonly map'", "helper_arg_type",
                     reg=regno)
    if not reg.var.is_const:
        raise Reject(i, f"R{regno} is not a constant address'", "helper_arg_type", reg=regno)
    off = reg.off + reg.var.value
    data = m.frozen_data
    if b"\0" not in data[off:]:
        raise Reject(i, "string is not zero-terminated", "helper_arg_type", reg=regno)


def _process_timer(v: Session, st: State, regno: int, i: int, meta: _Meta) -> None:
    reg = st.regs[regno]
    m = reg.map
    if not reg.var.is_const:
        raise Reject(i, f"R{regno} doesn't have constant offset. bpf_timer has to be at the "
                     "constant offset", "helper_arg_type", reg=regno)
    if m is None or m.field("timer") is None:
        raise Reject(i, f"map '{m.name if m else ''}' has no valid bpf_timer", "helper_arg_type",
                     reg=regno)
    at = reg.off + reg.var.value
    if m.field("timer") != at:
        raise Reject(i, f"off {at} doesn't point to 'struct bpf_timer' that is at "
                     f"{m.field('timer')}", "helper_arg_type", reg=regno)
    if meta.map is not None:
        raise Reject(i, "verifier internal error: misconfigured", "helper_arg_type")
    meta.map = m
    meta.map_reg = reg


def _ret(v: Session, st: State, i: int, proto: HelperProto, meta: _Meta) -> Reg:
    """R0 after the call (the kernel's switch on the return type, then refinements)."""
    ret = proto.ret
    name = proto.name
    if ret is _RET_VOID:
        return Reg.not_init()
    if ret is _RET_INTEGER or not proto.known:
        if name in ("get_stack", "get_task_stack", "probe_read_str", "probe_read_kernel_str",
                    "probe_read_user_str"):
            top = meta.msize_max
            return Reg.scalar(Scalar.make(smin=-MAX_ERRNO, smax=_s64(top), s32_min=-MAX_ERRNO,
                                          s32_max=_s32(top)))
        if name == "get_smp_processor_id":
            top = v.kernel.nr_cpu_ids - 1
            return Reg.scalar(Scalar.make(smin=0, smax=top, umin=0, umax=top, s32_min=0,
                                          s32_max=top, u32_min=0, u32_max=top))
        return Reg.scalar()
    flags = MAYBE_NULL if proto.ret_nullable else 0
    if ret is _RET_PTR_TO_MAP_VALUE:
        m = meta.map
        assert m is not None
        if m.inner is not None:  # map-in-map: the inner map (as the running 6.18 build does)
            r0 = Reg.ptr(_RT_CONST_PTR_TO_MAP, map=m.inner, flags=flags)
        else:
            if name == "map_lookup_elem" and m.type in ("array", "percpu_array") and \
                    0 <= meta.const_key < m.max_entries:
                flags &= ~MAYBE_NULL
            r0 = Reg.ptr(_RT_PTR_TO_MAP_VALUE, map=m, flags=flags,
                         map_uid=meta.map_reg.map_uid if meta.map_reg is not None else 0)
            if not flags & MAYBE_NULL and m.field("spin_lock") is not None:
                r0 = r0.with_(id=v.new_id())
    elif ret is _RET_PTR_TO_SOCKET:
        r0 = Reg.ptr(_RT_PTR_TO_SOCKET, flags=flags)
    elif ret is _RET_PTR_TO_SOCK_COMMON:
        r0 = Reg.ptr(_RT_PTR_TO_SOCK_COMMON, flags=flags)
    elif ret is _RET_PTR_TO_TCP_SOCK:
        r0 = Reg.ptr(_RT_PTR_TO_TCP_SOCK, flags=flags)
    elif ret is _RET_PTR_TO_MEM:
        r0 = Reg.ptr(_RT_PTR_TO_MEM, flags=flags | (RINGBUF if proto.ret_ringbuf else 0)
                     | (RDONLY if proto.ret_rdonly else 0), mem_size=meta.mem_size)
    elif ret is _RET_PTR_TO_MEM_OR_BTF_ID:
        tid, rec = skip_modifiers(None, meta.ret_btf_id) if meta.ret_btf_id else (0, None)
        if rec is None or not is_struct(rec):
            size = kernel().size_of(tid) if tid else 0
            r0 = Reg.ptr(_RT_PTR_TO_MEM, flags=flags | RDONLY, mem_size=size)
        else:
            r0 = Reg.ptr(_RT_PTR_TO_BTF_ID, flags=flags, btf_id=meta.ret_btf_id)
    else:  # PTR_TO_BTF_ID
        if name == "kptr_xchg":
            assert meta.kptr is not None
            r0 = kptrs.xchg_ret(meta.kptr)
        else:
            btf_id = find(kernel(), proto.ret_btf, "struct") if proto.ret_btf else 0
            r0 = Reg.ptr(_RT_PTR_TO_BTF_ID, flags=flags | proto.ret_flags, btf_id=btf_id)
    if r0.flags & MAYBE_NULL:
        r0 = r0.with_(id=v.new_id())
    if name == "dynptr_data":
        r0 = r0.with_(dynptr_id=meta.dynptr_id)
    if name in _PTR_CAST or name == "dynptr_data":
        r0 = r0.with_(ref_obj_id=meta.ref_obj_id)
    elif proto.acquires or (name == "map_lookup_elem" and meta.map is not None
                            and meta.map.type in ("sockmap", "sockhash")):
        ref = acquire_reference(v, st, i)
        r0 = r0.with_(id=ref, ref_obj_id=ref)
    return r0


def _s64(x: int) -> int:
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >> 63 else x


def _s32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x >> 31 else x


__all__ = ["SYNC_CALLBACK_HELPERS", "check_const_str", "check_func_arg_reg_off", "check_ptr_off",
           "helper_call", "is_gpl"]
