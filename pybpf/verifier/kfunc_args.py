"""check_kfunc_args: each argument of a kfunc call against its BTF parameter.

Scalars (a ``__k`` suffix asks for a known constant, ``__sz``/``__szk`` give the size of the
memory argument before them), the program's context, BTF-typed kernel objects (trusted,
referenced or RCU-protected as the flags ask), memory of the pointee's size, allocated
objects, callbacks and constant strings are checked here; the objects on the stack (dynptrs,
iterators, IRQ flags, resilient spin locks) in `pybpf.verifier.kfunc_stack_args`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..btf.format import Kind
from . import btf_types, mem
from .calls import check_const_str, check_func_arg_reg_off
from .kfunc_params import (
    KfuncMeta,
    has_suffix,
    is_callback,
    is_mem_size,
    is_scalar,
    ptr_to,
    scalar_struct,
    skip,
)
from .kfunc_stack_args import dynptr_arg, irq_flag_arg, iter_arg_process, res_spin_lock_arg
from .kfunc_table import ITER_ANY, KF_RCU, RELEASE, TRUSTED_ARGS, Param
from .report import Reject
from .state import (
    ALLOC,
    MAYBE_NULL,
    PERCPU,
    RCU,
    RT,
    TRUSTED_MODIFIERS,
    Reg,
    State,
    is_trusted,
    type_str,
)

if TYPE_CHECKING:
    from .session import Session


MAX_ARGS = 5


#: register types that stand for a kernel struct (the kernel's reg2btf_ids)
_REG2BTF = {RT.PTR_TO_SOCKET: "sock", RT.PTR_TO_SOCK_COMMON: "sock_common",
            RT.PTR_TO_TCP_SOCK: "tcp_sock", RT.CONST_PTR_TO_MAP: "bpf_map"}


_NOT_MODELLED_ARGS = ("bpf_list_head", "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_wq",
                      "bpf_task_work")


def check_args(v: Session, st: State, i: int, meta: KfuncMeta) -> None:
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
        tid, t = skip(p.type)
        if has_suffix(p, "__ign") or has_suffix(p, "__prog"):
            n += 1
            continue
        if is_scalar(t):
            if reg.type is not RT.SCALAR:
                raise Reject(i, f"R{regno} is not a scalar", "helper_arg_type", reg=regno)
            if has_suffix(p, "__k"):
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
        nullable = has_suffix(p, "__nullable")
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
        ref_id, ref_t = skip(t.type)
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
            dynptr_arg(v, st, i, regno, n, p, reg, meta)
        elif kind == "iter":
            if kf.name == "bpf_iter_css_task_new" and not _css_task_allowed(v, st):
                raise Reject(i, "css_task_iter is only allowed in bpf_lsm, bpf_iter and "
                             "sleepable progs", "helper_not_allowed")
            iter_arg_process(v, st, i, regno, meta)
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
            if not reg.is_null_const or not has_suffix(p, "__opt"):
                _check_mem_size_reg(v, st, i, regno + 1, n)
            if is_mem_size(size_p, size_reg, "__szk"):
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
            irq_flag_arg(v, st, i, regno, meta)
        elif kind == "res_spin_lock":
            if reg.type is not RT.PTR_TO_MAP_VALUE and not (
                    reg.type is RT.PTR_TO_BTF_ID and reg.flags == ALLOC):
                raise Reject(i, f"arg#{n} doesn't point to map value or allocated object",
                             "helper_arg_type", reg=regno)
            res_spin_lock_arg(v, st, i, regno, kf.name)
        n += 1
    if kf.has(RELEASE) and not meta.release_regno:
        raise Reject(i, f"release kernel function {kf.name} expects refcounted PTR_TO_BTF_ID",
                     "release_invalid")


def _ptr_arg_type(v: Session, meta: KfuncMeta, n: int, p: Param, t: Any, ref_t: Any,
                  regs: list[Reg], i: int) -> str:
    """get_kfunc_ptr_arg_type."""
    kf = meta.kf
    reg = regs[n + 1]
    if kf.name == "bpf_cast_to_kern_ctx":
        return "ctx"
    from .global_funcs import is_prog_ctx_type

    if is_prog_ctx_type(btf_types.kernel(), t, v.prog_type):
        return "ctx"
    if has_suffix(p, "__nullable") and reg.is_null_const:
        return "null"
    if has_suffix(p, "__alloc"):
        return "alloc"
    if has_suffix(p, "__refcounted_kptr"):
        raise Reject(i, f"kfunc {kf.name} (refcounted objects) is not modelled", "unsupported")
    if ptr_to(p, "bpf_dynptr"):
        return "dynptr"
    if (kf.flags & ITER_ANY and n == 0) or has_suffix(p, "__iter"):
        return "iter"
    for struct in _NOT_MODELLED_ARGS:
        if ptr_to(p, struct):
            raise Reject(i, f"kfunc {kf.name} ({struct} arguments) is not modelled",
                         "unsupported")
    if has_suffix(p, "__str"):
        return "const_str"
    if has_suffix(p, "__map"):
        return "map"
    if has_suffix(p, "__irq_flag"):
        return "irq_flag"
    if ptr_to(p, "bpf_res_spin_lock"):
        return "res_spin_lock"
    if reg.type is RT.PTR_TO_BTF_ID or reg.type in _REG2BTF:
        if not btf_types.is_struct(ref_t):
            raise Reject(i, f"kernel function {kf.name} args#{n} pointer type "
                         f"{btf_types.kind_str(ref_t)} {ref_t.name} is not supported",
                         "helper_arg_type")
        return "btf"
    if is_callback(p):
        return "callback"
    mem_size = False
    if n + 1 < len(kf.params):
        nxt = kf.params[n + 1]
        nreg = regs[n + 2]
        mem_size = is_mem_size(nxt, nreg, "__sz") or is_mem_size(nxt, nreg, "__szk")
    if not is_scalar(ref_t) and not scalar_struct(ref_t) and \
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


def _alloc_arg(i: int, n: int, reg: Reg, meta: KfuncMeta) -> None:
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


def _css_task_allowed(v: Session, st: State) -> bool:
    if v.prog_type == "lsm":
        return True
    if v.prog_type == "tracing" and v.attach == "trace_iter":
        return True
    return v.in_sleepable(st)


def _btf_id_arg(v: Session, i: int, n: int, regno: int, reg: Reg, ref_id: int, ref_t: Any,
                ref_name: str, meta: KfuncMeta) -> None:
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
