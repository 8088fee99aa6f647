"""Kernel functions (kfuncs): their prototypes from the kernel's BTF, their flags as data.

A kfunc call (``call`` with ``src=2``, ``imm`` the BTF id of a ``FUNC`` in
/sys/kernel/btf/vmlinux) is checked like the kernel's ``check_kfunc_call``:

- the function must be a kfunc the program type may call (`KernelProfile.kfunc_allowed`,
  measured on the running kernel), sleepable ones only from sleepable programs;
- each argument is matched against its BTF parameter (``check_kfunc_args``): scalars (a
  ``__k`` suffix asks for a known constant, ``__sz``/``__szk`` give the size of the memory
  argument before them), the program's context, BTF-typed kernel objects (trusted,
  referenced or RCU-protected as the flags ask), memory of the pointee's size, dynptrs,
  open-coded iterators on the stack, allocated objects, callbacks, constant strings, IRQ
  flags and resilient spin locks;
- the flags (``KF_ACQUIRE``, ``KF_RELEASE``, ``KF_RET_NULL``, ``KF_TRUSTED_ARGS``, ``KF_RCU``,
  ``KF_SLEEPABLE``, ``KF_ITER_*``, ``KF_RCU_PROTECTED``...) come from the kernel's
  registrations (`pybpf.verifier.generated.kfunc_flags`): BTF does not carry them;
- R0 is typed from the BTF return type; an iterator's ``next`` forks the state (an element,
  or the end of the iteration), as the kernel's ``process_iter_next_call``.

Linked lists and red-black trees of allocated objects (``bpf_list_*``, ``bpf_rbtree_*``),
workqueues and task work are not modelled: a call of one is reported as unsupported.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..btf import types as T
from ..btf.format import Kind
from ..isa import Insn, RefKind
from . import btf_types, dynptr, mem
from .analysis import CallInfo
from .calls import check_const_str, check_func_arg_reg_off
from .frames import push_callback_call
from .generated.kfunc_flags import KF, KFUNC_FLAGS
from .refs import acquire_reference, clear_packet_pointers, release_reference
from .report import Reject
from .scalar import Scalar
from .stack_objects import get_spi
from .state import (
    ALLOC,
    DYNPTR_PKT,
    MAYBE_NULL,
    NON_OWN_REF,
    PERCPU,
    RCU,
    RDONLY,
    RT,
    TRUSTED,
    TRUSTED_MODIFIERS,
    UNTRUSTED,
    Dynptr,
    IterState,
    RefState,
    Reg,
    Slot,
    State,
    is_trusted,
    type_str,
)

if TYPE_CHECKING:
    from .session import Session

ACQUIRE, RELEASE, RET_NULL = KF["KF_ACQUIRE"], KF["KF_RELEASE"], KF["KF_RET_NULL"]
TRUSTED_ARGS, SLEEPABLE, DESTRUCTIVE = KF["KF_TRUSTED_ARGS"], KF["KF_SLEEPABLE"], KF["KF_DESTRUCTIVE"]
KF_RCU, ITER_NEW, ITER_NEXT = KF["KF_RCU"], KF["KF_ITER_NEW"], KF["KF_ITER_NEXT"]
ITER_DESTROY, RCU_PROTECTED = KF["KF_ITER_DESTROY"], KF["KF_RCU_PROTECTED"]
_ITER_ANY = ITER_NEW | ITER_NEXT | ITER_DESTROY
MAX_ARGS = 5
_SCALAR_KINDS = (Kind.INT, Kind.ENUM, Kind.ENUM64)
#: register types that stand for a kernel struct (the kernel's reg2btf_ids)
_REG2BTF = {RT.PTR_TO_SOCKET: "sock", RT.PTR_TO_SOCK_COMMON: "sock_common",
            RT.PTR_TO_TCP_SOCK: "tcp_sock", RT.CONST_PTR_TO_MAP: "bpf_map"}
_UNSUPPORTED = ("bpf_list_", "bpf_rbtree_", "bpf_wq_", "bpf_task_work_", "bpf_refcount_acquire")
_NOT_MODELLED_ARGS = ("bpf_list_head", "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_wq",
                      "bpf_task_work")


@dataclass(frozen=True)
class Param:
    """One BTF parameter: its name (with the kernel's suffix conventions) and type id."""

    name: str
    type: int


@dataclass(frozen=True)
class Kfunc:
    """A kfunc: its BTF id and name in the kernel's BTF, parameters, return type, flags."""

    btf_id: int
    name: str
    params: tuple[Param, ...]
    ret: int
    flags: int

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)


@lru_cache(maxsize=4096)
def _lookup(btf: Any, btf_id: int) -> Kfunc | None:
    try:
        rec = btf[btf_id]
    except Exception:  # noqa: BLE001 - an id out of range is "not a function"
        return None
    if not isinstance(rec, T.Func):
        return None
    proto = btf[rec.type]
    if not isinstance(proto, T.FuncProto):
        return None
    params = tuple(Param(p.name, p.type) for p in proto.params)
    return Kfunc(btf_id, rec.name, params, proto.type, KFUNC_FLAGS.get(rec.name, 0))


def lookup(btf_id: int) -> Kfunc | None:
    """The kfunc of BTF id ``btf_id`` in the judged kernel's BTF (None: not a function)."""
    return _lookup(btf_types.kernel(), btf_id)


def resolve(v: Session, insn: Insn, i: int) -> int:
    """The BTF id a kfunc call names: its ``imm``, or the kernel's id of the name the program
    refers to (an object verified before a loader bound its externs)."""
    if insn.imm:
        return insn.imm
    ref = v.program.refs.get(i)
    if ref is not None and ref.kind is RefKind.KFUNC:
        try:
            return btf_types.kernel().find(ref.name, "func")
        except Exception:  # noqa: BLE001
            return 0
    return 0


def call_info(v: Session, insn: Insn, i: int = -1) -> CallInfo | None:
    """What the static analyses need about a kfunc call (None: no such kfunc)."""
    btf_id = resolve(v, insn, i) if i >= 0 else insn.imm
    kf = lookup(btf_id) if btf_id and not insn.off else None
    if kf is None:
        return None
    return CallInfo("kfunc", kf.name, len(kf.params),
                    sync_callback=kf.name == "bpf_rbtree_add_impl",
                    async_callback=kf.name.startswith(("bpf_wq_set_callback", "bpf_task_work_")),
                    iter_next=kf.has(ITER_NEXT) and v.kernel.kfunc_allowed(kf.name, v.prog_type,
                                                                           v.attach))


def check_program(v: Session) -> None:
    """add_kfunc_call, before anything else: every kfunc call names a function of the kernel's
    BTF, and only GPL-compatible programs call kfuncs."""
    from ..isa import CALL, CallSrc

    for i, insn in enumerate(v.insns):
        if insn.opcode != CALL or insn.src != CallSrc.KFUNC:
            continue
        if not v.gpl:
            raise Reject(None, "cannot call kernel function from non-GPL compatible program",
                         "helper_not_allowed")
        if insn.off:
            raise Reject(None, "calls of kfuncs in kernel modules are not modelled",
                         "unsupported")
        btf_id = resolve(v, insn, i)
        if not btf_id:
            continue
        try:
            rec = btf_types.kernel()[btf_id]
        except Exception:  # noqa: BLE001
            rec = None
        if not isinstance(rec, T.Func):
            raise Reject(None, f"kernel btf_id {btf_id} is not a function", "unknown_helper")


# -- the BTF conventions of kfunc parameters --------------------------------------------------
def _suffix(p: Param, suffix: str) -> bool:
    return len(p.name) > len(suffix) and p.name.endswith(suffix)


def _skip(tid: int) -> tuple[int, Any]:
    return btf_types.skip_modifiers(None, tid)


def _is_scalar(rec: Any) -> bool:
    return rec.kind in _SCALAR_KINDS


def _ptr_to(p: Param, struct: str) -> bool:
    _, t = _skip(p.type)
    if t.kind != Kind.PTR:
        return False
    _, t = _skip(t.type)
    return t.kind == Kind.STRUCT and t.name == struct


def _scalar_struct(rec: Any, depth: int = 0) -> bool:
    """__btf_type_is_scalar_struct: a struct of scalars (or arrays of them), nested ≤ 3."""
    if not btf_types.is_struct(rec):
        return False
    for m in rec.members:
        _, mt = _skip(m.type)
        if btf_types.is_struct(mt):
            if depth >= 3 or not _scalar_struct(mt, depth + 1):
                return False
            continue
        if mt.kind == Kind.ARRAY:
            if not mt.nelems:
                return False
            _, et = _skip(mt.type)
            if not _is_scalar(et):
                return False
            continue
        if not _is_scalar(mt):
            return False
    return True


def _is_callback(p: Param) -> bool:
    _, t = _skip(p.type)
    if t.kind != Kind.PTR:
        return False
    _, t = _skip(t.type)
    return t.kind == Kind.FUNC_PROTO


def _is_mem_size(p: Param, reg: Reg, suffix: str) -> bool:
    _, t = _skip(p.type)
    return _is_scalar(t) and reg.type is RT.SCALAR and _suffix(p, suffix)


def _iter_arg(kf: Kfunc, n: int) -> int:
    """btf_check_iter_arg: the ``struct bpf_iter_*`` argument ``n`` points to (-1: none)."""
    if n >= len(kf.params):
        return -1
    _, t = _skip(kf.params[n].type)
    if t.kind != Kind.PTR:
        return -1
    tid, t = _skip(t.type)
    if not btf_types.is_struct(t) or not t.name.startswith("bpf_iter_"):
        return -1
    return tid


# -- the check ------------------------------------------------------------------------------
class _Meta:
    """The kernel's bpf_kfunc_call_arg_meta (what the arguments told)."""

    __slots__ = ("kf", "ref_obj_id", "release_regno", "const_found", "const_value",
                 "r0_size", "r0_rdonly", "arg_btf", "arg_btf_id", "ret_btf_id", "subprog",
                 "dyn_id", "dyn_type", "dyn_ref", "iter_spi", "iter_frameno", "map", "map_uid",
                 "arg_owning_ref")

    def __init__(self, kf: Kfunc) -> None:
        self.kf = kf
        self.ref_obj_id = 0
        self.release_regno = 0
        self.const_found = False
        self.const_value = 0
        self.r0_size = 0
        self.r0_rdonly = False
        self.arg_btf: Any = None
        self.arg_btf_id = 0
        self.ret_btf_id = 0
        self.subprog = -1
        self.dyn_id = 0
        self.dyn_type = Dynptr.INVALID
        self.dyn_ref = 0
        self.iter_spi = -1
        self.iter_frameno = 0
        self.map: Any = None
        self.map_uid = 0
        self.arg_owning_ref = False


def call(v: Session, st: State, insn: Insn, i: int) -> None:
    """check_kfunc_call (the caller moves on to the next instruction)."""
    btf_id = resolve(v, insn, i)
    if not btf_id:
        return  # left for the fixups: the kernel skips it here
    kf = lookup(btf_id)
    if kf is None:
        raise Reject(i, f"kernel btf_id {btf_id} is not a function", "unknown_helper")
    if not v.kernel.kfunc_allowed(kf.name, v.prog_type, v.attach):
        raise Reject(i, f"calling kernel function {kf.name} is not allowed", "helper_not_allowed")
    if kf.name.startswith(_UNSUPPORTED):
        raise Reject(i, f"kfunc {kf.name} (graph, workqueue or task-work objects) is not "
                     "modelled", "unsupported")
    name = kf.name
    regs = st.regs
    if name in ("bpf_res_spin_lock", "bpf_res_spin_lock_irqsave"):
        other = v.push_branch(st, i + 1, i)
        oregs = other.regs
        for r in range(0, 6):
            oregs[r] = Reg.not_init()
        oregs[0] = Reg.scalar(Scalar.make(s32_min=-4095, s32_max=-1))
    elif name == "__bpf_trap":
        raise Reject(i, "unexpected __bpf_trap() due to uninitialized variable?", "internal")
    sleepable = kf.has(SLEEPABLE)
    if sleepable and not v.in_sleepable(st):
        raise Reject(i, f"program must be sleepable to call sleepable kfunc {name}",
                     "helper_not_allowed")
    meta = _Meta(kf)
    _check_args(v, st, i, meta)
    if name in ("bpf_wq_set_callback_impl", "bpf_rbtree_add_impl") or \
            name.startswith("bpf_task_work_schedule"):
        push_callback_call(v, st, insn, i, meta.subprog, name)
    rcu_lock, rcu_unlock = name == "bpf_rcu_read_lock", name == "bpf_rcu_read_unlock"
    preempt_off, preempt_on = name == "bpf_preempt_disable", name == "bpf_preempt_enable"
    if st.active_rcu:
        if rcu_lock:
            raise Reject(i, f"nested rcu read lock (kernel function {name})", "rcu_misuse")
        if rcu_unlock:
            _end_rcu(st)
        elif sleepable:
            raise Reject(i, f"kernel func {name} is sleepable within rcu_read_lock region",
                         "helper_not_allowed")
    elif rcu_lock:
        st.active_rcu = True
    elif rcu_unlock:
        raise Reject(i, f"unmatched rcu read unlock (kernel function {name})", "rcu_misuse")
    if st.active_preempt:
        if preempt_off:
            st.active_preempt += 1
        elif preempt_on:
            st.active_preempt -= 1
        elif sleepable:
            raise Reject(i, f"kernel func {name} is sleepable within non-preemptible region",
                         "helper_not_allowed")
    elif preempt_off:
        st.active_preempt += 1
    elif preempt_on:
        raise Reject(i, f"unmatched attempt to enable preemption (kernel function {name})",
                     "rcu_misuse")
    if st.active_irq_id and sleepable:
        raise Reject(i, f"kernel func {name} is sleepable within IRQ-disabled region",
                     "helper_not_allowed")
    if kf.has(RCU_PROTECTED) and not v.in_rcu_cs(st):
        raise Reject(i, f"kernel func {name} requires RCU critical section protection",
                     "rcu_misuse")
    if meta.release_regno:
        try:
            release_reference(v, st, regs[meta.release_regno].ref_obj_id, i)
        except Reject:
            raise Reject(i, f"kfunc {name}#{btf_id} reference has not been acquired before",
                         "release_invalid") from None
    if name == "bpf_throw":
        raise Reject(i, "bpf_throw (exceptions) is not modelled", "unsupported")
    for r in range(0, 6):
        regs[r] = Reg.not_init()
    st.frame.origins[0] = i
    _set_ret(v, st, i, meta)
    if name == "bpf_xdp_pull_data":
        clear_packet_pointers(st)
    if kf.has(ITER_NEXT):
        _iter_next(v, st, i, meta)


def _end_rcu(st: State) -> None:
    """bpf_rcu_read_unlock: RCU pointers become untrusted (and no longer maybe-NULL)."""
    def fix(r: Reg) -> Reg:
        if r.flags & RCU:
            return r.with_(flags=(r.flags & ~(RCU | MAYBE_NULL)) | UNTRUSTED)
        return r

    for f in st.frames:
        f.regs[:] = [fix(r) for r in f.regs]
        for spi, r in list(f.spills.items()):
            if f.stack[spi * 8 + 7] in (Slot.SPILL, Slot.ITER):
                f.spills[spi] = fix(r)
    st.active_rcu = False


def _check_args(v: Session, st: State, i: int, meta: _Meta) -> None:
    """check_kfunc_args."""
    kf = meta.kf
    params = kf.params
    if len(params) > MAX_ARGS:
        raise Reject(i, f"Function {kf.name} has {len(params)} > {MAX_ARGS} args", "helper_arg_type")
    regs = st.regs
    trusted_args = kf.has(TRUSTED_ARGS) or kf.has(RELEASE)  # is_kfunc_trusted_args
    n = 0
    while n < len(params):
        p = params[n]
        regno = n + 1
        reg = regs[regno]
        tid, t = _skip(p.type)
        if _suffix(p, "__ign") or _suffix(p, "__prog"):
            n += 1
            continue
        if _is_scalar(t):
            if reg.type is not RT.SCALAR:
                raise Reject(i, f"R{regno} is not a scalar", "helper_arg_type", reg=regno)
            if _suffix(p, "__k"):
                if not reg.var.is_const:
                    raise Reject(i, f"R{regno} must be a known constant", "helper_arg_type",
                                 reg=regno)
                v.mark_precise(st, regno)
                meta.const_found = True
                meta.const_value = reg.var.value
            elif p.name in ("rdonly_buf_size", "rdwr_buf_size"):
                meta.r0_rdonly = meta.r0_rdonly or p.name == "rdonly_buf_size"
                if not reg.var.is_const:
                    raise Reject(i, f"R{regno} is not a const", "helper_arg_type", reg=regno)
                meta.r0_size = reg.var.value
                v.mark_precise(st, regno)
            n += 1
            continue
        if t.kind != Kind.PTR:
            raise Reject(i, f"Unrecognized arg#{n} type {btf_types.kind_str(t)}", "helper_arg_type")
        nullable = _suffix(p, "__nullable")
        if (trusted_args or kf.has(KF_RCU)) and \
                (reg.is_null_const or reg.flags & MAYBE_NULL) and not nullable:
            raise Reject(i, f"Possibly NULL pointer passed to trusted arg{n}", "null_deref",
                         reg=regno)
        if reg.ref_obj_id:
            if kf.has(RELEASE) and meta.ref_obj_id:
                raise Reject(i, f"verifier internal error: more than one arg with ref_obj_id "
                             f"R{regno} {reg.ref_obj_id} {meta.ref_obj_id}", "internal")
            meta.ref_obj_id = reg.ref_obj_id
            if kf.has(RELEASE):
                meta.release_regno = regno
        ref_id, ref_t = _skip(t.type)
        ref_name = ref_t.name
        kind = _ptr_arg_type(v, meta, n, p, t, ref_t, regs, i)
        if kind == "null":
            n += 1
            continue
        if kind in ("map", "alloc", "btf"):
            if trusted_args or kf.has(KF_RCU):
                if not is_trusted(reg):
                    if not kf.has(KF_RCU):
                        raise Reject(i, f"R{regno} must be referenced or trusted",
                                     "helper_arg_type", reg=regno)
                    if not reg.flags & RCU:
                        raise Reject(i, f"R{regno} must be a rcu pointer", "helper_arg_type",
                                     reg=regno)
        check_func_arg_reg_off(i, regno, reg, release=kf.has(RELEASE) and bool(reg.ref_obj_id))
        if kind == "ctx":
            if reg.type is not RT.PTR_TO_CTX:
                raise Reject(i, f"arg#{n} expected pointer to ctx, but got {reg.type_label()}",
                             "helper_arg_type", reg=regno)
            if kf.name == "bpf_cast_to_kern_ctx":
                meta.ret_btf_id = _kern_ctx_btf_id(v, i)
        elif kind == "alloc":
            _alloc_arg(i, n, reg, meta)
        elif kind == "dynptr":
            _dynptr_arg(v, st, i, regno, n, p, reg, meta)
        elif kind == "iter":
            if kf.name == "bpf_iter_css_task_new" and not _css_task_allowed(v, st):
                raise Reject(i, "css_task_iter is only allowed in bpf_lsm, bpf_iter and "
                             "sleepable progs", "helper_not_allowed")
            _iter_arg_process(v, st, i, regno, meta)
        elif kind in ("map", "btf"):
            if kind == "map":
                ref_t = btf_types.kernel()[btf_types.kernel().find("bpf_map", "struct")]
                ref_id = btf_types.kernel().find("bpf_map", "struct")
                ref_name = "bpf_map"
            base_ok = reg.type is RT.PTR_TO_BTF_ID and not (
                reg.flags & ~TRUSTED_MODIFIERS and not reg.flags & RCU)
            if not base_ok and reg.type not in _REG2BTF:
                raise Reject(i, [f"arg#{n} is {reg.type_label()} expected "
                                 f"{type_str(reg.type, reg.flags & TRUSTED_MODIFIERS)} or socket"],
                             "helper_arg_type", reg=regno)
            _btf_id_arg(v, i, n, regno, reg, ref_id, ref_t, ref_name, meta)
        elif kind == "mem":
            try:
                size = btf_types.kernel().size_of(ref_id)
            except Exception:  # noqa: BLE001
                raise Reject(i, f"arg#{n} reference type('{btf_types.kind_str(ref_t)} {ref_name}') "
                             "size cannot be determined: -22", "helper_arg_type") from None
            _check_mem_reg(v, st, i, regno, size)
        elif kind == "mem_size":
            size_p = params[n + 1]
            size_reg = regs[regno + 1]
            if not reg.is_null_const or not _suffix(p, "__opt"):
                _check_mem_size_reg(v, st, i, regno + 1, n)
            if _is_mem_size(size_p, size_reg, "__szk"):
                if not size_reg.var.is_const:
                    raise Reject(i, f"R{regno + 1} must be a known constant", "helper_arg_type",
                                 reg=regno + 1)
                meta.const_found = True
                meta.const_value = size_reg.var.value
            n += 1
        elif kind == "callback":
            if reg.type is not RT.PTR_TO_FUNC:
                raise Reject(i, f"arg{n} expected pointer to func", "helper_arg_type", reg=regno)
            meta.subprog = reg.subprog
        elif kind == "const_str":
            if reg.type is not RT.PTR_TO_MAP_VALUE:
                raise Reject(i, f"arg#{n} doesn't point to a const string", "helper_arg_type",
                             reg=regno)
            check_const_str(v, st, i, regno, reg)
        elif kind == "irq_flag":
            if reg.type is not RT.PTR_TO_STACK:
                raise Reject(i, f"arg#{n} doesn't point to an irq flag on stack",
                             "helper_arg_type", reg=regno)
            _irq_flag(v, st, i, regno, meta)
        elif kind == "res_spin_lock":
            if reg.type is not RT.PTR_TO_MAP_VALUE and not (
                    reg.type is RT.PTR_TO_BTF_ID and reg.flags == ALLOC):
                raise Reject(i, f"arg#{n} doesn't point to map value or allocated object",
                             "helper_arg_type", reg=regno)
            _res_spin_lock(v, st, i, regno, kf.name)
        n += 1
    if kf.has(RELEASE) and not meta.release_regno:
        raise Reject(i, f"release kernel function {kf.name} expects refcounted PTR_TO_BTF_ID",
                     "release_invalid")


def _ptr_arg_type(v: Session, meta: _Meta, n: int, p: Param, t: Any, ref_t: Any,
                  regs: list[Reg], i: int) -> str:
    """get_kfunc_ptr_arg_type."""
    kf = meta.kf
    reg = regs[n + 1]
    if kf.name == "bpf_cast_to_kern_ctx":
        return "ctx"
    from .global_funcs import is_prog_ctx_type

    if is_prog_ctx_type(btf_types.kernel(), t, v.prog_type):
        return "ctx"
    if _suffix(p, "__nullable") and reg.is_null_const:
        return "null"
    if _suffix(p, "__alloc"):
        return "alloc"
    if _suffix(p, "__refcounted_kptr"):
        raise Reject(i, f"kfunc {kf.name} (refcounted objects) is not modelled", "unsupported")
    if _ptr_to(p, "bpf_dynptr"):
        return "dynptr"
    if (kf.flags & _ITER_ANY and n == 0) or _suffix(p, "__iter"):
        return "iter"
    for struct in _NOT_MODELLED_ARGS:
        if _ptr_to(p, struct):
            raise Reject(i, f"kfunc {kf.name} ({struct} arguments) is not modelled",
                         "unsupported")
    if _suffix(p, "__str"):
        return "const_str"
    if _suffix(p, "__map"):
        return "map"
    if _suffix(p, "__irq_flag"):
        return "irq_flag"
    if _ptr_to(p, "bpf_res_spin_lock"):
        return "res_spin_lock"
    if reg.type is RT.PTR_TO_BTF_ID or reg.type in _REG2BTF:
        if not btf_types.is_struct(ref_t):
            raise Reject(i, f"kernel function {kf.name} args#{n} pointer type "
                         f"{btf_types.kind_str(ref_t)} {ref_t.name} is not supported",
                         "helper_arg_type")
        return "btf"
    if _is_callback(p):
        return "callback"
    mem_size = False
    if n + 1 < len(kf.params):
        nxt = kf.params[n + 1]
        nreg = regs[n + 2]
        mem_size = _is_mem_size(nxt, nreg, "__sz") or _is_mem_size(nxt, nreg, "__szk")
    if not _is_scalar(ref_t) and not _scalar_struct(ref_t) and \
            (not mem_size or ref_t.kind != Kind.UNKN):
        raise Reject(i, f"arg#{n} pointer type {btf_types.kind_str(ref_t)} {ref_t.name} must point "
                     f"to {'void, ' if mem_size else ''}scalar, or struct with scalar",
                     "helper_arg_type")
    return "mem_size" if mem_size else "mem"


def _kern_ctx_btf_id(v: Session, i: int) -> int:
    from .global_funcs import kern_ctx_btf_id

    tid = kern_ctx_btf_id(v.prog_type)
    if tid <= 0:
        raise Reject(i, "unsupported program type for bpf_cast_to_kern_ctx", "helper_arg_type")
    return tid


def _alloc_arg(i: int, n: int, reg: Reg, meta: _Meta) -> None:
    name = meta.kf.name
    if reg.type is RT.PTR_TO_BTF_ID and reg.flags == ALLOC:
        if name != "bpf_obj_drop_impl":
            raise Reject(i, f"arg#{n} expected for bpf_obj_drop_impl()", "helper_arg_type")
    elif reg.type is RT.PTR_TO_BTF_ID and reg.flags == ALLOC | PERCPU:
        if name != "bpf_percpu_obj_drop_impl":
            raise Reject(i, f"arg#{n} expected for bpf_percpu_obj_drop_impl()", "helper_arg_type")
    else:
        raise Reject(i, f"arg#{n} expected pointer to allocated object", "helper_arg_type")
    if not reg.ref_obj_id:
        raise Reject(i, "allocated object must be referenced", "release_invalid")
    meta.arg_btf = reg.btf
    meta.arg_btf_id = reg.btf_id


def _dynptr_arg(v: Session, st: State, i: int, regno: int, n: int, p: Param, reg: Reg,
                meta: _Meta) -> None:
    name = meta.kf.name
    readonly = reg.type is RT.CONST_PTR_TO_DYNPTR
    uninit = _suffix(p, "__uninit")
    kind = Dynptr.INVALID
    clone_ref = 0
    if name == "bpf_dynptr_from_skb":
        kind = Dynptr.SKB
    elif name == "bpf_dynptr_from_xdp":
        kind = Dynptr.XDP
    elif name == "bpf_dynptr_from_skb_meta":
        kind = Dynptr.SKB_META
    elif name == "bpf_dynptr_clone" and uninit:
        kind = Dynptr(meta.dyn_type)
        clone_ref = meta.dyn_ref
    elif uninit:
        kind = Dynptr.LOCAL  # the kfuncs that make a local dynptr
    dynptr.process(v, st, regno, i, uninit=uninit, readonly=readonly, kind=kind,
                   clone_ref=clone_ref, argno=n)
    if not uninit:
        meta.dyn_id = dynptr.id_of(v, st, reg)
        meta.dyn_type = Dynptr(dynptr.type_of(v, st, reg))
        meta.dyn_ref = dynptr.ref_of(v, st, reg)


def _css_task_allowed(v: Session, st: State) -> bool:
    if v.prog_type == "lsm":
        return True
    if v.prog_type == "tracing" and v.attach == "trace_iter":
        return True
    return v.in_sleepable(st)


def _iter_type_str(tid: int) -> str:
    return btf_types.type_name(None, tid).removeprefix("bpf_iter_")


def _iter_arg_process(v: Session, st: State, i: int, regno: int, meta: _Meta) -> None:
    """process_iter_arg: construct, use or destroy an open-coded iterator on the stack."""
    kf = meta.kf
    reg = st.regs[regno]
    if reg.type is not RT.PTR_TO_STACK:
        raise Reject(i, f"arg#{regno - 1} expected pointer to an iterator on stack",
                     "helper_arg_type", reg=regno)
    tid = _iter_arg(kf, regno - 1)
    if tid < 0:
        raise Reject(i, f"expected valid iter pointer as arg #{regno - 1}", "helper_arg_type",
                     reg=regno)
    nr_slots = btf_types.kernel().size_of(tid) // 8
    f = st.frames[reg.frameno]
    if kf.has(ITER_NEW):
        spi = get_spi(v, st, reg, "iter", nr_slots, insn=i) if reg.var.is_const else -2
        ok = spi == -1 or (spi >= 0 and not any(
            f.stack[(spi - k) * 8 + j] == Slot.ITER for k in range(nr_slots) for j in range(8)))
        if spi == -2:
            get_spi(v, st, reg, "iter", nr_slots, insn=i)
        if not ok:
            raise Reject(i, f"expected uninitialized iter_{_iter_type_str(tid)} as arg "
                         f"#{regno - 1}", "helper_arg_type", reg=regno)
        for k in range(0, nr_slots * 8, 8):
            mem.access(v, st, regno, k, 8, write=True, value=None, value_regno=-1, insn=i)
        reg = st.regs[regno]
        spi = get_spi(v, st, reg, "iter", nr_slots, insn=i)
        ref = acquire_reference(v, st, i)
        flags = 0
        if kf.has(RCU_PROTECTED):
            flags = RCU if v.in_rcu_cs(st) else UNTRUSTED
        mask = 0
        for k in range(nr_slots):
            s = spi - k
            f.spills[s] = Reg(RT.PTR_TO_STACK, flags=flags, ref_obj_id=ref if k == 0 else 0,
                              btf_id=tid, iter_state=IterState.ACTIVE, iter_depth=0)
            for j in range(8):
                f.stack[s * 8 + j] = Slot.ITER
            mask |= 1 << s
        v.stack_write_mark(f.frameno, mask)
        return
    try:
        spi = get_spi(v, st, reg, "iter", nr_slots, insn=i)
    except Reject:
        spi = -1
    err = "inval" if spi < 0 else ""
    if not err:
        for k in range(nr_slots):
            s = spi - k
            r = f.spilled(s)
            if r.flags & UNTRUSTED:
                err = "proto"
                break
            if (k == 0 and not r.ref_obj_id) or (k and r.ref_obj_id) or r.btf_id != tid or \
                    any(f.stack[s * 8 + j] != Slot.ITER for j in range(8)):
                err = "inval"
                break
    if err == "inval":
        raise Reject(i, f"expected an initialized iter_{_iter_type_str(tid)} as arg "
                     f"#{regno - 1}", "helper_arg_type", reg=regno)
    if err == "proto":
        raise Reject(i, f"expected an RCU CS when using {kf.name}", "rcu_misuse", reg=regno)
    v.stack_read_mark(reg.frameno, sum(1 << (spi - k) for k in range(nr_slots)))
    meta.iter_spi = spi
    meta.iter_frameno = reg.frameno
    meta.ref_obj_id = f.spilled(spi).ref_obj_id
    if kf.has(ITER_DESTROY):
        release_reference(v, st, f.spilled(spi).ref_obj_id, i)
        mask = 0
        for k in range(nr_slots):
            s = spi - k
            f.spills.pop(s, None)
            for j in range(8):
                f.stack[s * 8 + j] = Slot.INVALID
            mask |= 1 << s
        v.stack_write_mark(f.frameno, mask)


def _iter_next(v: Session, st: State, i: int, meta: _Meta) -> None:
    """process_iter_next_call: an element (queued, one iteration deeper) or the end (here)."""
    f = st.frames[meta.iter_frameno]
    cur = f.spilled(meta.iter_spi)
    if cur.iter_state == IterState.ACTIVE:
        prev = v.find_prev_entry(st.parent, i)
        other = v.push_branch(st, i + 1, i)
        of = other.frames[meta.iter_frameno]
        q = of.spilled(meta.iter_spi)
        of.spills[meta.iter_spi] = q.with_(iter_state=IterState.ACTIVE,
                                           iter_depth=q.iter_depth + 1)
        if prev is not None:
            v.widen_imprecise(prev, other)
        r0 = other.regs[0]
        other.regs[0] = r0.with_(flags=r0.flags & ~MAYBE_NULL)
    f.spills[meta.iter_spi] = cur.with_(iter_state=IterState.DRAINED)
    st.regs[0] = Reg.const(0)


def _btf_id_arg(v: Session, i: int, n: int, regno: int, reg: Reg, ref_id: int, ref_t: Any,
                ref_name: str, meta: _Meta) -> None:
    """process_kf_arg_ptr_to_btf_id: the object is the struct the parameter names (or starts
    with it, unless the match must be strict)."""
    from .locks import struct_ids_match_id

    kernel = btf_types.kernel()
    if reg.type is RT.PTR_TO_BTF_ID:
        reg_btf, reg_id = reg.btf, reg.btf_id
    else:
        reg_btf, reg_id = None, kernel.find(_REG2BTF[reg.type], "struct")
    strict = meta.kf.has(RELEASE) and bool(reg.ref_obj_id)
    reg_id, reg_t = btf_types.skip_modifiers(reg_btf, reg_id)
    same = reg_btf is None and struct_ids_match_id(None, reg_id, reg.off, ref_id, strict)
    projection = (ref_name, reg_t.name) in (("__sk_buff", "sk_buff"), ("xdp_md", "xdp_buff"))
    if not projection and not same:
        raise Reject(i, f"kernel function {meta.kf.name} args#{n} expected pointer to "
                     f"{btf_types.kind_str(ref_t)} {ref_name} but R{regno} has a pointer to "
                     f"{btf_types.kind_str(reg_t)} {reg_t.name}", "helper_arg_type", reg=regno)


def _check_mem_reg(v: Session, st: State, i: int, regno: int, size: int) -> None:
    """check_mem_reg: the memory the pointer gives is readable and writable for ``size``."""
    reg = st.regs[regno]
    if reg.is_null_const:
        return
    saved = reg
    if reg.flags & MAYBE_NULL:
        st.regs[regno] = reg.with_(flags=reg.flags & ~MAYBE_NULL)
    try:
        mem.helper_access(v, st, regno, size, write=False, zero_ok=True, insn=i)
        mem.helper_access(v, st, regno, size, write=True, zero_ok=True, insn=i)
    finally:
        if saved.flags & MAYBE_NULL:
            st.regs[regno] = saved


def _check_mem_size_reg(v: Session, st: State, i: int, regno: int, n: int) -> None:
    """check_kfunc_mem_size_reg: the size register bounds the memory register before it."""
    regs = st.regs
    mem_reg = regs[regno - 1]
    saved = mem_reg
    if mem_reg.flags & MAYBE_NULL:
        regs[regno - 1] = mem_reg.with_(flags=mem_reg.flags & ~MAYBE_NULL)
    try:
        for write in (False, True):
            var = regs[regno].var
            if var.smin < 0:
                raise Reject(i, f"R{regno} min value is negative, either use unsigned or "
                             "'var &= const'", "helper_arg_size", reg=regno)
            if var.umax >= mem.BPF_MAX_VAR_SIZ:
                raise Reject(i, f"R{regno} unbounded memory access, use 'var &= const' or "
                             "'if (var < const)'", "helper_arg_size", reg=regno)
            mem.helper_access(v, st, regno - 1, var.umax, write=write, zero_ok=True, insn=i)
            v.mark_precise(st, regno)
    except Reject as rej:
        raise Reject(rej.insn, [*rej.lines, f"arg#{n} arg#{n + 1} memory, len pair leads to "
                                "invalid memory access"], rej.cls, reg=regno) from None
    finally:
        if saved.flags & MAYBE_NULL:
            regs[regno - 1] = saved


def _irq_flag(v: Session, st: State, i: int, regno: int, meta: _Meta) -> None:
    """process_irq_flag: bpf_local_irq_save/restore (and the res_spin_lock irq variants)."""
    name = meta.kf.name
    save = name in ("bpf_local_irq_save", "bpf_res_spin_lock_irqsave")
    kclass = 2 if name.startswith("bpf_res_spin") else 1
    reg = st.regs[regno]
    f = st.frames[reg.frameno]
    if save:
        spi = get_spi(v, st, reg, "irq_flag", 1, insn=i)
        if spi >= 0 and any(f.stack[spi * 8 + j] == Slot.IRQ_FLAG for j in range(8)):
            raise Reject(i, f"expected uninitialized irq flag as arg#{regno - 1}",
                         "helper_arg_type", reg=regno)
        mem.access(v, st, regno, 0, 8, write=True, value=None, value_regno=-1, insn=i)
        spi = get_spi(v, st, st.regs[regno], "irq_flag", 1, insn=i)
        rid = v.new_id()
        st.refs = [*st.refs, RefState(rid, i, "irq")]
        st.active_irq_id = rid
        f.spills[spi] = Reg(RT.PTR_TO_STACK, ref_obj_id=rid, irq_class=kclass)
        for j in range(8):
            f.stack[spi * 8 + j] = Slot.IRQ_FLAG
        v.stack_write_mark(f.frameno, 1 << spi)
        return
    try:
        spi = get_spi(v, st, reg, "irq_flag", 1, insn=i)
    except Reject:
        spi = -1
    if spi < 0 or not f.spilled(spi).ref_obj_id or \
            any(f.stack[spi * 8 + j] != Slot.IRQ_FLAG for j in range(8)):
        raise Reject(i, f"expected an initialized irq flag as arg#{regno - 1}",
                     "helper_arg_type", reg=regno)
    v.stack_read_mark(reg.frameno, 1 << spi)
    flag = f.spilled(spi)
    if flag.irq_class != kclass:
        used = "native" if kclass == 1 else "lock"
        had = "native" if flag.irq_class == 1 else "lock"
        raise Reject(i, f"irq flag acquired by {had} kfuncs cannot be restored with {used} "
                     "kfuncs", "helper_arg_type")
    if flag.ref_obj_id != st.active_irq_id:
        at = next((r.insn for r in st.refs if r.id == st.active_irq_id), 0)
        raise Reject(i, f"cannot restore irq state out of order, expected id="
                     f"{st.active_irq_id} acquired at insn_idx={v.slots[at] if at else 0}",
                     "helper_arg_type")
    refs = [r for r in st.refs if r.id != flag.ref_obj_id]
    st.refs = refs
    irqs = [r for r in refs if r.kind == "irq"]
    st.active_irq_id = irqs[-1].id if irqs else 0
    f.spills.pop(spi, None)
    for j in range(8):
        f.stack[spi * 8 + j] = Slot.INVALID
    v.stack_write_mark(f.frameno, 1 << spi)


def _res_spin_lock(v: Session, st: State, i: int, regno: int, name: str) -> None:
    from .locks import process_spin_lock

    process_spin_lock(v, st, regno, i, lock=name in ("bpf_res_spin_lock",
                                                     "bpf_res_spin_lock_irqsave"), res=True)


# -- the return value ----------------------------------------------------------------------
def _set_ret(v: Session, st: State, i: int, meta: _Meta) -> None:
    kf = meta.kf
    regs = st.regs
    kernel = btf_types.kernel()
    _, t = _skip(kf.ret) if kf.ret else (0, None)
    if kf.has(ACQUIRE) and (t is None or t.kind != Kind.PTR or not btf_types.is_struct(
            _skip(t.type)[1])) and kf.name not in ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl",
                                                   "bpf_refcount_acquire_impl"):
        raise Reject(i, "acquire kernel function does not return PTR_TO_BTF_ID", "internal")
    if t is None or t.kind == Kind.UNKN:
        return
    if _is_scalar(t):
        r0 = Reg.scalar()
        if kf.name in ("bpf_res_spin_lock", "bpf_res_spin_lock_irqsave"):
            r0 = Reg.const(0)
        regs[0] = r0
        return
    if t.kind != Kind.PTR:
        return
    ptr_id, ptr_t = _skip(t.type)
    special = _special_ret(v, st, i, meta, ptr_t)
    if special is not None:
        r0 = special
    else:
        if ptr_t.kind == Kind.UNKN:
            r0 = Reg.scalar()
            regs[0] = r0
            _acquire_and_null(v, st, i, meta, ptr_t)
            return
        if not btf_types.is_struct(ptr_t):
            size = meta.r0_size
            rdonly = meta.r0_rdonly
            if not size:
                try:
                    size = kernel.size_of(ptr_id)
                    rdonly = True
                except Exception:  # noqa: BLE001
                    size = 0
            if not size:
                raise Reject(i, f"kernel function {kf.name} returns pointer type "
                             f"{btf_types.kind_str(ptr_t)} {ptr_t.name} is not supported",
                             "unsupported")
            flags = RDONLY if rdonly else 0
            if kf.has(RCU_PROTECTED):
                flags |= RCU
            r0 = Reg.ptr(RT.PTR_TO_MEM, mem_size=size, flags=flags,
                         ref_obj_id=meta.ref_obj_id)
        else:
            flags = 0
            if kf.name == "bpf_get_kmem_cache":
                flags = UNTRUSTED
            elif kf.has(RCU_PROTECTED):
                flags = RCU
            if kf.has(ITER_NEXT):
                it = st.frames[meta.iter_frameno].spilled(meta.iter_spi)
                flags |= RCU if it.flags & RCU else TRUSTED
            r0 = Reg.ptr(RT.PTR_TO_BTF_ID, btf_id=ptr_id, flags=flags)
    regs[0] = r0
    _acquire_and_null(v, st, i, meta, ptr_t)


def _acquire_and_null(v: Session, st: State, i: int, meta: _Meta, ptr_t: Any) -> None:
    kf = meta.kf
    regs = st.regs
    r0 = regs[0]
    ret_null = kf.has(RET_NULL) and not (kf.name == "bpf_refcount_acquire_impl"
                                         and meta.arg_owning_ref)
    if ret_null:
        r0 = r0.with_(flags=r0.flags | MAYBE_NULL, id=v.new_id())
    if kf.has(ACQUIRE):
        rid = acquire_reference(v, st, i)
        r0 = r0.with_(ref_obj_id=rid, **({"id": rid} if ret_null else {}))
    if r0.type is RT.PTR_TO_BTF_ID and not r0.id and _may_point_to_spin_lock(r0):
        r0 = r0.with_(id=v.new_id())
    regs[0] = r0


def _may_point_to_spin_lock(r: Reg) -> bool:
    return bool(r.flags & ALLOC) and r.btf is not None and _local_has(r.btf, r.btf_id,
                                                                      "bpf_spin_lock")


def _local_has(btf: Any, tid: int, struct: str) -> bool:
    try:
        rec = btf[tid]
    except Exception:  # noqa: BLE001
        return False
    if not btf_types.is_struct(rec):
        return False
    for m in rec.members:
        _, mt = btf_types.skip_modifiers(btf, m.type)
        if btf_types.is_struct(mt) and mt.name == struct:
            return True
    return False


def _special_ret(v: Session, st: State, i: int, meta: _Meta, ptr_t: Any) -> Reg | None:
    """check_special_kfunc: the kfuncs whose R0 the prototype does not say."""
    name = meta.kf.name
    if name in ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl"):
        if meta.const_value >> 32:
            raise Reject(i, "local type ID argument must be in range [0, U32_MAX]",
                         "helper_arg_type")
        btf = v.btf.btf if v.btf is not None else None
        if btf is None:
            raise Reject(i, "bpf_obj_new/bpf_percpu_obj_new requires prog BTF", "helper_arg_type")
        try:
            rec = btf[meta.const_value]
        except Exception:  # noqa: BLE001
            rec = None
        if rec is None or rec.kind != Kind.STRUCT:
            raise Reject(i, "bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct",
                         "helper_arg_type")
        flags = ALLOC
        if name == "bpf_percpu_obj_new_impl":
            if rec.size > 512:
                raise Reject(i, f"bpf_percpu_obj_new type size ({rec.size}) is greater than 512",
                             "helper_arg_type")
            if not _scalar_struct_local(btf, rec):
                raise Reject(i, "bpf_percpu_obj_new type ID argument must be of a struct of "
                             "scalars", "helper_arg_type")
            flags |= PERCPU
        return Reg.ptr(RT.PTR_TO_BTF_ID, flags=flags, btf=btf, btf_id=meta.const_value)
    if name == "bpf_cast_to_kern_ctx":
        return Reg.ptr(RT.PTR_TO_BTF_ID, flags=TRUSTED, btf_id=meta.ret_btf_id)
    if name == "bpf_rdonly_cast":
        kernel = btf_types.kernel()
        try:
            rec = kernel[meta.const_value]
        except Exception:  # noqa: BLE001
            raise Reject(i, f"Unknown type ID {meta.const_value} passed to kfunc bpf_rdonly_cast",
                         "helper_arg_type") from None
        if btf_types.is_struct(rec):
            return Reg.ptr(RT.PTR_TO_BTF_ID, flags=UNTRUSTED, btf_id=meta.const_value)
        if rec.kind == Kind.UNKN:
            return Reg.ptr(RT.PTR_TO_MEM, flags=RDONLY | UNTRUSTED, mem_size=0)
        raise Reject(i, "kfunc bpf_rdonly_cast type ID argument must be of a struct or void",
                     "helper_arg_type")
    if name in ("bpf_dynptr_slice", "bpf_dynptr_slice_rdwr"):
        refused = v.kernel.kfunc_call_refusal(name, v.prog_type, v.attach)
        if refused:
            raise Reject(i, refused, "helper_not_allowed")
        flags = 0
        if meta.dyn_type in (Dynptr.SKB, Dynptr.XDP, Dynptr.SKB_META):
            flags = DYNPTR_PKT  # invalidated with the packet pointers
        if name == "bpf_dynptr_slice":
            flags |= RDONLY
        elif not _may_write_packet(v):
            raise Reject(i, "the prog does not allow writes to packet data", "packet_write")
        return Reg.ptr(RT.PTR_TO_MEM, flags=flags, mem_size=meta.const_value,
                       dynptr_id=meta.dyn_id)
    return None


def _may_write_packet(v: Session) -> bool:
    return v.prog_type in mem._PKT_WRITE or v.prog_type in ("sched_cls", "sched_act", "xdp")


def _scalar_struct_local(btf: Any, rec: Any, depth: int = 0) -> bool:
    for m in rec.members:
        _, mt = btf_types.skip_modifiers(btf, m.type)
        if btf_types.is_struct(mt):
            if depth >= 3 or not _scalar_struct_local(btf, mt, depth + 1):
                return False
        elif mt.kind == Kind.ARRAY:
            _, et = btf_types.skip_modifiers(btf, mt.type)
            if not mt.nelems or et.kind not in _SCALAR_KINDS:
                return False
        elif mt.kind not in _SCALAR_KINDS:
            return False
    return True


_ = NON_OWN_REF

__all__ = ["Kfunc", "Param", "call", "call_info", "check_program", "lookup", "resolve"]
