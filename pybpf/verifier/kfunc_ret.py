"""The return value of a kfunc call: R0 typed from the BTF return type, acquired or maybe-NULL
as the flags say, and the kfuncs whose R0 the prototype does not say.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..btf.format import Kind
from . import btf_types, mem
from .kfunc_params import SCALAR_KINDS, KfuncMeta, is_scalar, skip
from .kfunc_table import ACQUIRE, ITER_NEXT, RCU_PROTECTED, RET_NULL
from .refs import acquire_reference
from .report import Reject
from .state import (
    ALLOC,
    DYNPTR_PKT,
    MAYBE_NULL,
    PERCPU,
    RCU,
    RDONLY,
    RT,
    TRUSTED,
    UNTRUSTED,
    Dynptr,
    Reg,
    State,
)

if TYPE_CHECKING:
    from .session import Session


def set_ret(v: Session, st: State, i: int, meta: KfuncMeta) -> None:
    kf = meta.kf
    regs = st.regs
    kernel = btf_types.kernel()
    _, t = skip(kf.ret) if kf.ret else (0, None)
    if kf.has(ACQUIRE) and (t is None or t.kind != Kind.PTR or not btf_types.is_struct(
            skip(t.type)[1])) and kf.name not in ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl",
                                                   "bpf_refcount_acquire_impl"):
        raise Reject(i, "acquire kernel function does not return PTR_TO_BTF_ID", "internal")
    if t is None or t.kind == Kind.UNKN:
        return
    if is_scalar(t):
        r0 = Reg.scalar()
        if kf.name in ("bpf_res_spin_lock", "bpf_res_spin_lock_irqsave"):
            r0 = Reg.const(0)
        regs[0] = r0
        return
    if t.kind != Kind.PTR:
        return
    ptr_id, ptr_t = skip(t.type)
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


def _acquire_and_null(v: Session, st: State, i: int, meta: KfuncMeta, ptr_t: Any) -> None:
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


def _special_ret(v: Session, st: State, i: int, meta: KfuncMeta, ptr_t: Any) -> Reg | None:
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
            if not mt.nelems or et.kind not in SCALAR_KINDS:
                return False
        elif mt.kind not in SCALAR_KINDS:
            return False
    return True
