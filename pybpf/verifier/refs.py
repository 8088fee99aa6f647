"""References and resources a program holds: acquiring and releasing a referenced pointer
(the kernel's ``acquire_reference``/``release_reference``), invalidating packet pointers after
a helper that may move the packet, and the leak check at an ``exit`` or a tail call
(``check_resource_leak``: references, spin locks, IRQ, RCU and preemption sections).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import helper_name
from .report import Reject
from .state import DYNPTR_PKT, RT, RefState, Reg, State

if TYPE_CHECKING:
    from .session import Session


def _name(num: int) -> str:
    return (helper_name(num) or "") if num else ""


def acquire_reference(v: Session, st: State, i: int, kind: str = "ptr", ptr: object = None) -> int:
    rid = v.new_id()
    st.refs = [*st.refs, RefState(rid, i, kind, ptr)]
    return rid


def release_reference(v: Session, st: State, ref_id: int, i: int, proto: object = None) -> None:
    """release_reference: drop the reference; every register holding it becomes invalid."""
    if not any(r.id == ref_id and r.kind == "ptr" for r in st.refs):
        name = getattr(proto, "name", "")
        num = getattr(proto, "id", 0)
        raise Reject(i, f"func {_name(num) if num else name}#{num} reference has not been "
                     "acquired before", "release_invalid")
    st.refs = [r for r in st.refs if not (r.id == ref_id and r.kind == "ptr")]
    for frame in st.frames:
        frame.regs[:] = [Reg.scalar() if r.ref_obj_id == ref_id else r for r in frame.regs]
        if frame.spills:
            frame.spills = {k: (Reg.scalar() if r.ref_obj_id == ref_id and frame.is_spilled(k)
                                else r) for k, r in frame.spills.items()}


def clear_packet_pointers(st: State) -> None:
    """clear_all_pkt_pointers: packet pointers (and packet-backed slices) become unknown."""
    def fix(r: Reg) -> Reg:
        if r.type.is_packet or r.type is RT.PTR_TO_PACKET_END or \
                (r.type is RT.PTR_TO_MEM and r.flags & DYNPTR_PKT):
            return Reg.scalar()
        return r

    for frame in st.frames:
        frame.regs[:] = [fix(r) for r in frame.regs]
        if frame.spills:
            frame.spills = {k: fix(r) if frame.is_spilled(k) else r for k, r in frame.spills.items()}


def check_resource_leak(v: Session, st: State, i: int, *, main: bool,
                        prefix: str = "BPF_EXIT instruction in main prog") -> None:
    """check_resource_leak: locks, references, irq, RCU and preemption at an exit."""
    if main and st.active_locks:
        raise Reject(i, f"{prefix} cannot be used inside bpf_spin_lock-ed region",
                     "reference_leak")
    if main or st.curframe == 0:
        lines = [f"Unreleased reference id={r.id} alloc_insn={v.slots[r.insn]}"
                 for r in st.refs if r.kind == "ptr"]
        if lines:
            first = next(r for r in st.refs if r.kind == "ptr")
            raise Reject(i, [*lines, f"{prefix} would lead to reference leak"], "reference_leak",
                         detail=v.slots[first.insn])
    if main and st.active_irq_id:
        raise Reject(i, f"{prefix} cannot be used inside bpf_local_irq_save-ed region",
                     "reference_leak")
    if main and st.active_rcu:
        raise Reject(i, f"{prefix} cannot be used inside bpf_rcu_read_lock-ed region",
                     "reference_leak")
    if main and st.active_preempt:
        raise Reject(i, f"{prefix} cannot be used inside bpf_preempt_disable-ed region",
                     "reference_leak")


__all__ = ["acquire_reference", "check_resource_leak", "clear_packet_pointers",
           "release_reference"]
