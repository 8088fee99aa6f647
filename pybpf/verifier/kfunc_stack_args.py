"""kfunc arguments that are objects on the stack: dynptrs, open-coded iterators, IRQ flags,
resilient spin locks; and an iterator's ``next`` forking the state.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import btf_types, dynptr, mem
from .kfunc_params import KfuncMeta, has_suffix, iter_arg_type
from .kfunc_table import ITER_DESTROY, ITER_NEW, RCU_PROTECTED, Param
from .refs import acquire_reference, release_reference
from .report import Reject
from .stack_objects import get_spi
from .state import (
    MAYBE_NULL,
    RCU,
    RT,
    UNTRUSTED,
    Dynptr,
    IterState,
    RefState,
    Reg,
    Slot,
    State,
)

if TYPE_CHECKING:
    from .session import Session


def dynptr_arg(v: Session, st: State, i: int, regno: int, n: int, p: Param, reg: Reg,
                meta: KfuncMeta) -> None:
    name = meta.kf.name
    readonly = reg.type is RT.CONST_PTR_TO_DYNPTR
    uninit = has_suffix(p, "__uninit")
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


def _iter_type_str(tid: int) -> str:
    return btf_types.type_name(None, tid).removeprefix("bpf_iter_")


def iter_arg_process(v: Session, st: State, i: int, regno: int, meta: KfuncMeta) -> None:
    """process_iter_arg: construct, use or destroy an open-coded iterator on the stack."""
    kf = meta.kf
    reg = st.regs[regno]
    if reg.type is not RT.PTR_TO_STACK:
        raise Reject(i, f"arg#{regno - 1} expected pointer to an iterator on stack",
                     "helper_arg_type", reg=regno)
    tid = iter_arg_type(kf, regno - 1)
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


def iter_next(v: Session, st: State, i: int, meta: KfuncMeta) -> None:
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


def irq_flag_arg(v: Session, st: State, i: int, regno: int, meta: KfuncMeta) -> None:
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


def res_spin_lock_arg(v: Session, st: State, i: int, regno: int, name: str) -> None:
    from .locks import process_spin_lock

    process_spin_lock(v, st, regno, i, lock=name in ("bpf_res_spin_lock",
                                                     "bpf_res_spin_lock_irqsave"), res=True)
