"""Objects the kernel keeps in stack slots: dynptrs, iterators and IRQ flags.

Each occupies whole 8-byte slots whose bytes are marked ``STACK_DYNPTR``/``STACK_ITER``/
``STACK_IRQ_FLAG`` and whose spilled-register record holds the object's state. This module
finds an object's slot from the pointer passed to a helper or kfunc (``stack_slot_obj_get_spi``)
and destroys a dynptr that a plain write overwrites (``destroy_if_dynptr_stack_slot``); the
objects' life cycles are in `pybpf.verifier.dynptr` and `pybpf.verifier.kfunc_model`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .report import Reject
from .state import MAYBE_NULL, RT, Dynptr, Frame, Reg, Slot, State

if TYPE_CHECKING:
    from .session import Session

_DYNPTR = Slot.DYNPTR


def get_spi(v: Session, st: State, reg: Reg, what: str = "dynptr", nr_slots: int = 2,
            insn: int | None = None) -> int:
    """stack_slot_obj_get_spi: the slot of the object ``reg`` points to; -1 when it falls
    outside the stack in use (the kernel's -ERANGE). Refuses a variable or unaligned offset."""
    if not reg.var.is_const:
        raise Reject(insn, f"{what} has to be at a constant offset", "helper_arg_type")
    off = reg.off + reg.var.signed_value()
    if off % 8:
        raise Reject(insn, f"cannot pass in {what} at an offset={off}", "helper_arg_type")
    spi = (-off - 1) // 8
    if spi + 1 < nr_slots:
        raise Reject(insn, f"cannot pass in {what} at an offset={off}", "helper_arg_type")
    f = st.frames[reg.frameno]
    if spi >= f.allocated // 8 or spi - nr_slots + 1 < 0:
        return -1
    return spi


def destroy_dynptr(v: Session, st: State, f: Frame, spi: int, insn: int) -> None:
    """destroy_if_dynptr_stack_slot: a write into a dynptr's slot ends the dynptr (both
    slots) and every slice taken from it; a referenced dynptr cannot be overwritten."""
    if spi < 0 or f.stack[spi * 8] != _DYNPTR:
        return
    if not f.spilled(spi).first_slot:
        spi += 1
    state = f.spilled(spi)
    if state.dyn_type == Dynptr.RINGBUF:
        raise Reject(insn, "cannot overwrite referenced dynptr", "helper_arg_type")
    for s in (spi, spi - 1):
        for j in range(8):
            f.stack[s * 8 + j] = Slot.INVALID
    dyn_id = state.id
    mem_types = (RT.PTR_TO_MEM,)
    for frame in st.frames:
        frame.regs[:] = [Reg.scalar() if r.type in mem_types and r.flags & ~MAYBE_NULL == 0
                      and r.dynptr_id == dyn_id else r for r in frame.regs]
        for k, r in list(frame.spills.items()):
            if frame.is_spilled(k) and r.type in mem_types and r.flags & ~MAYBE_NULL == 0 \
                    and r.dynptr_id == dyn_id:
                frame.spills[k] = Reg.scalar()
    f.spills.pop(spi, None)
    f.spills.pop(spi - 1, None)
    v.stack_write_mark(f.frameno, (1 << spi) | (1 << (spi - 1)))


def invalidate_dynptr(v: Session, f: Frame, spi: int) -> None:
    for s in (spi, spi - 1):
        for j in range(8):
            f.stack[s * 8 + j] = Slot.INVALID
        f.spills.pop(s, None)
    v.stack_write_mark(f.frameno, (1 << spi) | (1 << (spi - 1)))



__all__ = ["destroy_dynptr", "get_spi", "invalidate_dynptr"]
