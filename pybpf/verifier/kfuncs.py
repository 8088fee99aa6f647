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

The parts: `pybpf.verifier.kfunc_table` (prototypes, flags, lookup, availability),
`pybpf.verifier.kfunc_params` (the BTF conventions of parameters),
`pybpf.verifier.kfunc_args` (check_kfunc_args), `pybpf.verifier.kfunc_stack_args` (dynptrs,
iterators, IRQ flags and resilient locks on the stack), `pybpf.verifier.kfunc_ret` (R0);
this module is ``check_kfunc_call`` itself: availability, sleepable, RCU, preemption and IRQ
sections, the release of a reference.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import Insn
from .frames import push_callback_call
from .kfunc_args import check_args
from .kfunc_params import KfuncMeta
from .kfunc_ret import set_ret
from .kfunc_stack_args import iter_next
from .kfunc_table import (
    ITER_NEXT,
    RCU_PROTECTED,
    SLEEPABLE,
    Kfunc,
    Param,
    call_info,
    check_program,
    lookup,
    resolve,
)
from .refs import clear_packet_pointers, release_reference
from .report import Reject
from .scalar import Scalar
from .state import (
    MAYBE_NULL,
    RCU,
    UNTRUSTED,
    Reg,
    Slot,
    State,
)

if TYPE_CHECKING:
    from .session import Session


_UNSUPPORTED = ("bpf_list_", "bpf_rbtree_", "bpf_wq_", "bpf_task_work_", "bpf_refcount_acquire")


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
    meta = KfuncMeta(kf)
    check_args(v, st, i, meta)
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
    set_ret(v, st, i, meta)
    if name == "bpf_xdp_pull_data":
        clear_packet_pointers(st)
    if kf.has(ITER_NEXT):
        iter_next(v, st, i, meta)


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


__all__ = ["Kfunc", "Param", "call", "call_info", "check_program", "lookup", "resolve"]
