"""Spin locks, and matching kernel struct types.

`process_spin_lock` is the kernel's: ``bpf_spin_lock``/``bpf_spin_unlock`` take a pointer
to the ``struct bpf_spin_lock`` field of a map value (at its constant offset); one lock may be
held at a time, and it must be released before the program exits (the resilient
``bpf_res_spin_lock`` kfuncs nest). `spin_allowed` lists the kfuncs a program may call while it
holds a lock. `struct_ids_match` is ``btf_struct_ids_match``: whether a BTF pointer points to a
struct, or to a struct that starts with it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .report import Reject
from .state import RT, RefState, State

if TYPE_CHECKING:
    from .session import Session


def spin_allowed(v: Session, btf_id: int) -> bool:
    """kfunc_spin_allowed: the kfuncs a program may call while holding a spin lock."""
    name = v.kfunc_name(btf_id)
    return name in ("bpf_list_push_front_impl", "bpf_list_push_back_impl", "bpf_list_pop_front",
                    "bpf_list_pop_back", "bpf_list_front", "bpf_list_back",
                    "bpf_rbtree_remove", "bpf_rbtree_add_impl", "bpf_rbtree_first",
                    "bpf_rbtree_root", "bpf_rbtree_left", "bpf_rbtree_right",
                    "bpf_res_spin_lock", "bpf_res_spin_unlock", "bpf_res_spin_lock_irqsave",
                    "bpf_res_spin_unlock_irqrestore", "bpf_preempt_disable",
                    "bpf_preempt_enable", "bpf_local_irq_save", "bpf_local_irq_restore")


def process_spin_lock(v: Session, st: State, regno: int, i: int, *, lock: bool,
                      res: bool = False) -> None:
    """process_spin_lock: the register points to the lock field at its constant offset."""
    reg = st.regs[regno]
    what = "bpf_res_spin" if res else "bpf_spin"
    if not reg.var.is_const:
        raise Reject(i, f"R{regno} doesn't have constant offset. {what}_lock has to be at the "
                     "constant offset", "helper_arg_type", reg=regno)
    m = reg.map if reg.type is RT.PTR_TO_MAP_VALUE else None
    if m is not None and m.value_type is None and not m.fields:
        raise Reject(i, f"map '{m.name}' has to have BTF in order to use {what}_lock",
                     "helper_arg_type", reg=regno)
    field = "res_spin_lock" if res else "spin_lock"
    off = m.field(field) if m is not None else None
    if off is None:
        where = f"map '{m.name}'" if m is not None else "local 'kptr'"
        raise Reject(i, f"{where} has no valid {what}_lock", "helper_arg_type", reg=regno)
    at = reg.var.value + reg.off
    if off != at:
        raise Reject(i, f"off {at} doesn't point to 'struct {what}_lock' that is at {off}",
                     "helper_arg_type", reg=regno)
    ptr = m.uid if m is not None else reg.btf
    kind = "res_lock" if res else "lock"
    if lock:
        if not res and st.active_locks and any(r.kind == "lock" for r in st.refs):
            raise Reject(i, "Locking two bpf_spin_locks are not allowed", "helper_arg_type")
        st.refs = [*st.refs, RefState(reg.id, i, kind, ptr)]
        st.active_locks += 1
        st.active_lock_id = reg.id
        st.active_lock_ptr = ptr
        return
    if not st.active_locks:
        raise Reject(i, f"{what}_unlock without taking a lock", "helper_arg_type")
    found = [r for r in st.refs if r.kind == kind and r.id == reg.id and r.ptr == ptr]
    if not found:
        raise Reject(i, f"{what}_unlock of different lock", "helper_arg_type")
    if reg.id != st.active_lock_id or ptr != st.active_lock_ptr:
        raise Reject(i, f"{what}_unlock cannot be out of order", "helper_arg_type")
    refs = list(st.refs)
    refs.remove(found[-1])
    st.refs = refs
    st.active_locks -= 1
    prev = [r for r in refs if r.kind in ("lock", "res_lock", "res_lock_irq")]
    st.active_lock_id = prev[-1].id if prev else 0
    st.active_lock_ptr = prev[-1].ptr if prev else None


def struct_ids_match(btf: object, btf_id: int, off: int, need: str, strict: bool = False) -> bool:
    """`struct_ids_match_id` with the struct named ``need`` in the kernel's BTF."""
    from . import btf_types

    try:
        want = btf_types.find(btf_types.kernel(), need, "struct")
    except Exception:  # noqa: BLE001
        return False
    return struct_ids_match_id(btf, btf_id, off, want, strict)


def struct_ids_match_id(btf: object, btf_id: int, off: int, want: int,
                        strict: bool = False) -> bool:
    """btf_struct_ids_match: the pointed-to struct is ``need``, or starts with it (a nested
    first member at offset 0, unless ``strict``)."""
    from . import btf_types

    b = btf_types.btf_of(btf)
    tid = btf_id
    for _ in range(32):
        if off == 0 and tid == want:
            return True
        if strict:
            return False
        _, rec = btf_types.skip_modifiers(b, tid)
        if not btf_types.is_struct(rec) or not rec.members:
            return False
        first = rec.members[0]
        if first.bit_offset != 0:
            return False
        tid, _ = btf_types.skip_modifiers(b, first.type)
        if off != 0:
            return False
    return False


__all__ = ["process_spin_lock", "spin_allowed", "struct_ids_match", "struct_ids_match_id"]
