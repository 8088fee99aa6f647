"""Frames: bpf-to-bpf calls, callbacks and returning from them.

A call of a static subprogram pushes a frame whose R1-R5 are the caller's (the kernel's
``check_func_call``/``setup_func_entry``); a global function is checked against its BTF
prototype and assumed valid (it is verified on its own). A helper or kfunc that calls a
callback (``bpf_loop``, ``bpf_for_each_map_elem``, timers...) queues the callback's entry as a
call from the helper (``push_callback_call``); the callback's ``exit`` returns to the calling
instruction (``prepare_func_exit``: `leave_subprog`), which runs again until the states
converge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import Insn
from .flow import Flow
from .refs import clear_packet_pointers
from .report import Reject
from .state import MAX_CALL_FRAMES, RT, TRUSTED, Dynptr, Frame, Reg, State

if TYPE_CHECKING:
    from .session import Session

#: map types whose ops have ``map_for_each_callback`` (bpf_for_each_map_elem walks them)
FOR_EACH_MAPS = frozenset({"array", "percpu_array", "hash", "lru_hash", "percpu_hash",
                           "lru_percpu_hash"})
#: helpers whose callback runs later, on its own (the kernel's async callbacks)
ASYNC_CALLBACK_HELPERS = frozenset({"timer_set_callback"})


def check_global_return(v: Session, st: State, i: int) -> None:
    r0 = st.regs[0]
    if r0.type is not RT.SCALAR:
        raise Reject(i, f"At subprogram exit the register R0 is not a scalar value "
                     f"({r0.type_label()})", "return_pointer", reg=0)


def func_call(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """check_func_call: a static subprogram gets a frame; a global one is assumed valid."""
    target = v.index[v.slots[i] + 1 + insn.imm]
    caller = st.frame
    err = v.check_subprog_args(target, caller.regs, st)
    if v.is_global(target):
        name = v.subprog_name(target)
        num = v.subprog_number(target)
        if st.active_locks:
            raise Reject(i, ["global function calls are not allowed while holding a lock,",
                             "use static function instead"], "helper_not_allowed")
        if v.might_sleep(target) and (st.active_rcu or st.active_preempt or st.active_irq_id
                                      or not v.in_sleepable(st)):
            raise Reject(i, ["global functions that may sleep are not allowed in non-sleepable "
                             "context,", "i.e., in a RCU/IRQ/preempt-disabled section, or in",
                             "a non-sleepable BPF program context"], "helper_not_allowed")
        if err:
            raise Reject(i, [*err, f"Caller passes invalid args into func#{num} ('{name}')"],
                         "helper_arg_type")
        v.mark_global_called(target)
        if v.changes_pkt_data(target):
            clear_packet_pointers(st)
        for r in range(0, 6):
            caller.regs[r] = Reg.not_init()
        caller.regs[0] = Reg.scalar()
        st.frame.origins[0] = i
        st.insn = i + 1
        return Flow.NEXT
    setup_func_entry(v, st, i, target, callback=None)
    for r in range(0, 6):
        caller.regs[r] = Reg.not_init()
    st.insn = target
    return Flow.NEXT


def new_frame(v: Session, st: State, callsite: int, target: int) -> Frame:
    frameno = len(st.frames)
    callee = Frame(frameno=frameno, callsite=callsite, subprog=target)
    callee.regs[10] = Reg.ptr(RT.PTR_TO_STACK, frameno=frameno)
    return callee


def setup_func_entry(v: Session, st: State, callsite: int, target: int,
                     callback: str | None) -> Frame:
    """setup_func_entry: a new frame for the callee, R1-R5 from the caller (or the callback's
    arguments)."""
    if len(st.frames) + 1 > MAX_CALL_FRAMES:
        raise Reject(callsite, f"the call stack of {len(st.frames) + 1} frames is too deep",
                     "call_depth")
    caller = st.frame
    callee = new_frame(v, st, callsite, target)
    if callback is None:
        for r in range(1, 6):
            callee.regs[r] = caller.regs[r]
            callee.origins[r] = caller.origins[r]
    else:
        _callback_args(v, caller, callee, callback)
    v.set_frame_chain(st, callee)
    st.frames.append(callee)
    return callee


def _callback_args(v: Session, caller: Frame, callee: Frame, helper: str) -> None:
    regs = caller.regs
    if helper == "loop":
        callee.regs[1] = Reg.scalar()
        callee.regs[2] = regs[3]
        callee.callback = True
        callee.ret_range = (0, 1)
    elif helper == "for_each_map_elem":
        m = regs[1].map
        if m is None or m.type not in FOR_EACH_MAPS:
            raise Reject(None if callee.callsite < 0 else callee.callsite,
                         "callback function not allowed for map", "helper_map_mismatch")
        callee.regs[1] = regs[1]
        callee.regs[2] = Reg.ptr(RT.PTR_TO_MAP_KEY, map=m)
        callee.regs[3] = Reg.ptr(RT.PTR_TO_MAP_VALUE, map=m)
        callee.regs[4] = regs[3]
        callee.callback = True
        callee.ret_range = (0, 1)
    elif helper == "timer_set_callback":
        m = regs[1].map
        callee.regs[1] = Reg.ptr(RT.CONST_PTR_TO_MAP, map=m)
        callee.regs[2] = Reg.ptr(RT.PTR_TO_MAP_KEY, map=m)
        callee.regs[3] = Reg.ptr(RT.PTR_TO_MAP_VALUE, map=m)
        callee.async_callback = True
        callee.ret_range = (0, 0)
    elif helper == "find_vma":
        from .btf_types import find, kernel

        callee.regs[1] = regs[1]
        callee.regs[2] = Reg.ptr(RT.PTR_TO_BTF_ID, btf_id=find(kernel(), "vm_area_struct", "struct"),
                                 flags=TRUSTED)
        callee.regs[3] = regs[4]
        callee.callback = True
        callee.ret_range = (0, 1)
    elif helper == "user_ringbuf_drain":
        callee.regs[1] = Reg.ptr(RT.CONST_PTR_TO_DYNPTR, dyn_type=int(Dynptr.LOCAL), first_slot=True,
                                 id=v.new_id())
        callee.regs[2] = regs[3]
        callee.callback = True
        callee.ret_range = (0, 1)


def push_callback_call(v: Session, st: State, insn: Insn, i: int, subprog: int, helper: str,
                       args: object = None) -> None:
    """push_callback_call: queue the callback's entry, as called from this instruction."""
    if subprog < 0:
        raise Reject(i, "callback function not static", "helper_arg_type")
    v.check_subprog_args(subprog, st.regs, st)
    if helper in ASYNC_CALLBACK_HELPERS or helper == "wq_set_callback_impl":
        v.push_async_callback(st, i, subprog, helper)
        return
    other = v.push_branch(st, subprog, i)
    callee = setup_func_entry(v, other, i, subprog, callback=helper)
    if callable(args):
        args(other.frames[-2], callee)
    other.callback_unroll_depth += 1
    other.frames[-2].callback_depth += 1
    st.frame.callback_depth = 0


def leave_subprog(v: Session, st: State, i: int) -> None:
    """prepare_func_exit: back in the caller, after the call (or at the calling helper, for a
    callback)."""
    v.update_live_stack(st)
    callee = st.frames[-1]
    r0 = callee.regs[0]
    if r0.type is RT.PTR_TO_STACK:
        raise Reject(i, "cannot return stack pointer to the caller", "pointer_leak", reg=0)
    caller = st.frames[-2]
    if callee.callback:
        if r0.type is not RT.SCALAR:
            raise Reject(i, "R0 not a scalar value", "return_range", reg=0)
        v.mark_precise(st, 0)
        lo, hi = callee.ret_range
        if not (lo <= r0.var.smin and r0.var.smax <= hi):
            desc = "".join((f" smin={r0.var.smin}" if r0.var.smin > -(1 << 63) else "",
                            f" smax={r0.var.smax}" if r0.var.smax < (1 << 63) - 1 else ""))
            raise Reject(i, f"At callback return the register R0 has{desc or ' unknown scalar value'}"
                         f" should have been in [{lo}, {hi}]", "return_range", reg=0)
        st.insn = callee.callsite
    else:
        caller.regs[0] = r0
        caller.origins[0] = callee.origins[0]
        st.insn = callee.callsite + 1
    st.frames.pop()
    if callee.callback:
        prev = v.find_prev_entry(st, st.insn)
        if prev is not None:
            v.widen_imprecise(prev, st)


__all__ = ["ASYNC_CALLBACK_HELPERS", "FOR_EACH_MAPS", "check_global_return", "func_call", "leave_subprog",
           "new_frame", "push_callback_call", "setup_func_entry"]
