"""State comparison for pruning: the kernel's ``states_equal`` and its parts.

`states_equal(old, cur, exact)` answers whether an explored state ``old`` stands for the
current one: with ``NOT_EXACT`` (pruning), every concrete state of ``cur`` is one of
``old``'s, as far as anything read later can tell; with ``RANGE_WITHIN`` (loops whose marks
are not final) imprecise scalars are compared too; with ``EXACT`` (infinite-loop
detection) the states must be the same. Only the registers live at the instruction are
compared; scalars of ``old`` that are not ``precise`` match any scalar; ids are compared
through a one-to-one map (two registers linked in ``old`` must be linked in ``cur``).

>>> from pybpf.verifier.scalar import Scalar
>>> old = Reg.scalar(Scalar.from_range(0, 10)).with_(precise=True)
>>> regsafe(old, Reg.scalar(Scalar.from_range(2, 3)), IdMap(100), NOT_EXACT)
True
>>> regsafe(old, Reg.scalar(Scalar.from_range(2, 30)), IdMap(100), NOT_EXACT)
False
"""

from __future__ import annotations

from .state import ADD_CONST, RT, Frame, Reg, Slot, State

NOT_EXACT, EXACT, RANGE_WITHIN = 0, 1, 2
_SCALAR = RT.SCALAR
_PKT, _PKT_META = RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_META

_SPILL, _MISC, _ZERO, _INVALID = Slot.SPILL, Slot.MISC, Slot.ZERO, Slot.INVALID
_DYNPTR, _ITER, _IRQ = Slot.DYNPTR, Slot.ITER, Slot.IRQ_FLAG
_RANGED = (RT.PTR_TO_MAP_KEY, RT.PTR_TO_MAP_VALUE, RT.PTR_TO_MEM, RT.PTR_TO_BUF, RT.PTR_TO_TP_BUFFER)
_UNBOUND = Reg.scalar()

#: the set bits of a register mask, by mask (`set_bits`)
SET_BITS: dict[int, tuple[int, ...]] = {0: ()}


def set_bits(mask: int) -> tuple[int, ...]:
    """The register numbers set in ``mask``, remembered in `SET_BITS`."""
    got = SET_BITS.get(mask)
    if got is None:
        got = SET_BITS[mask] = tuple(r for r in range(mask.bit_length()) if mask >> r & 1)
    return got


class IdMap:
    """A one-to-one map of ids of ``old`` to ids of ``cur`` (the kernel's bpf_idmap)."""

    __slots__ = ("fwd", "back", "tmp")

    def __init__(self, id_gen: int) -> None:
        self.fwd: dict[int, int] = {}
        self.back: dict[int, int] = {}
        self.tmp = id_gen

    def check(self, old: int, cur: int) -> bool:
        if not old:
            return not cur
        if not cur:
            return False
        got = self.fwd.get(old)
        if got is not None:
            return got == cur
        if cur in self.back:
            return False
        self.fwd[old] = cur
        self.back[cur] = old
        return True

    def check_scalar(self, old: int, cur: int) -> bool:
        if not old:
            return True
        if not cur:
            self.tmp += 1
            cur = self.tmp
        if not self.check(old, cur):
            return False
        if old & ADD_CONST:
            return self.check(old & ~ADD_CONST, cur & ~ADD_CONST)
        return True


def _union_same(a: Reg, b: Reg) -> bool:
    """The kernel's memcmp of type, off and the type-specific union of two registers."""
    return (a.type is b.type and a.flags == b.flags and a.off == b.off and a.map is b.map
            and a.map_uid == b.map_uid and a.range == b.range and a.mem_size == b.mem_size
            and a.dynptr_id == b.dynptr_id and a.btf_id == b.btf_id and a.btf is b.btf
            and a.subprog == b.subprog and a.dyn_type == b.dyn_type
            and a.first_slot == b.first_slot and a.iter_state == b.iter_state)


def _within(a: Reg, b: Reg) -> bool:
    return a.var.subsumes(b.var)


def regs_exact(old: Reg, cur: Reg, idmap: IdMap) -> bool:
    return (_union_same(old, cur) and old.var == cur.var and idmap.check(old.id, cur.id)
            and idmap.check(old.ref_obj_id, cur.ref_obj_id))


def regsafe(old: Reg, cur: Reg, idmap: IdMap, exact: int) -> bool:
    """True when ``old`` being safe implies ``cur`` is (the kernel's regsafe)."""
    if exact == EXACT:
        return regs_exact(old, cur, idmap)
    t = old.type
    if t is RT.NOT_INIT and (exact == NOT_EXACT or cur.type is RT.NOT_INIT):
        return True
    if t is not cur.type or old.flags != cur.flags:
        return False
    if t is RT.SCALAR:
        if not old.precise and exact == NOT_EXACT:
            return True
        oid = old.id
        if oid and (oid & ADD_CONST) != (cur.id & ADD_CONST):
            return False
        if oid & ADD_CONST and old.off != cur.off:
            return False
        if not idmap.check_scalar(oid, cur.id):
            return False
        return old.var.subsumes(cur.var)
    if t in _RANGED:
        return (_union_same(old, cur) and old.var.subsumes(cur.var)
                and idmap.check(old.id, cur.id) and idmap.check(old.ref_obj_id, cur.ref_obj_id))
    if t is RT.PTR_TO_PACKET or t is RT.PTR_TO_PACKET_META:
        if old.range < 0 or cur.range < 0:
            if old.range != cur.range:
                return False
        elif old.range > cur.range:
            return False
        if old.off != cur.off:
            return False
        if not idmap.check(old.id, cur.id):
            return False
        return old.var.subsumes(cur.var)
    if t is RT.PTR_TO_STACK:
        return regs_exact(old, cur, idmap) and old.frameno == cur.frameno
    if t is RT.PTR_TO_ARENA:
        return True
    return regs_exact(old, cur, idmap)


def _scalar_for_slot(f: Frame, spi: int) -> Reg | None:
    """scalar_reg_for_stack: a 64-bit scalar spill, or an unbound scalar for an all-MISC
    (or uninitialised: root) slot."""
    base = spi * 8
    st = f.stack
    if st[base] == _SPILL:
        r = f.spills.get(spi)
        if r is not None and r.type is RT.SCALAR:
            return r
    for j in range(8):
        v = st[base + j]
        if v != _MISC and v != _INVALID:
            return None
    return _UNBOUND


_MISC_OR_INVALID = bytes((Slot.MISC, Slot.INVALID))
_NOT_INIT = Reg.not_init()
_SPECIAL_LAST = frozenset((Slot.SPILL, Slot.DYNPTR, Slot.ITER, Slot.IRQ_FLAG))


def stacksafe(old: Frame, cur: Frame, idmap: IdMap, exact: int) -> bool:
    """The kernel's stacksafe over the explored frame's stack bytes."""
    ost, cst = old.stack, cur.stack
    if exact == NOT_EXACT and ost == cst and old.spills == cur.spills:
        return True
    limit = old.allocated
    calloc = cur.allocated
    for base in range(0, limit, 8):
        oslot = ost[base:base + 8]
        cslot = cst[base:base + 8] if base < calloc else None
        if exact != NOT_EXACT and oslot != cslot:
            return False
        if not oslot.strip(_MISC_OR_INVALID):
            continue  # nothing the old state relied on (uninitialised reads are root's)
        if oslot == cslot:
            last = oslot[7]
            if last not in _SPECIAL_LAST:
                continue  # the same plain bytes
            if last == _SPILL:  # the same spill layout: the spilled registers decide
                spi = base >> 3
                o = old.spills.get(spi, _NOT_INIT)
                c = cur.spills.get(spi, _NOT_INIT)
                if o is c or regsafe(o, c, idmap, exact):
                    continue
                return False
        if not _slot_safe(old, cur, base, idmap, exact):
            return False
    return True


def _slot_safe(old: Frame, cur: Frame, base: int, idmap: IdMap, exact: int) -> bool:
    """stacksafe's byte loop over one 8-byte slot."""
    ost, cst = old.stack, cur.stack
    spi = base // 8
    i = base
    end = base + 8
    while i < end:
        j = i - base
        o = ost[i]
        c = cst[i]
        if exact != NOT_EXACT and (i >= cur.allocated or o != c):
            return False
        if o == _INVALID or o == _MISC:  # (root: uninitialised reads are allowed)
            i += 1
            continue
        if i >= cur.allocated:
            return False
        old_reg = _scalar_for_slot(old, spi)
        cur_reg = _scalar_for_slot(cur, spi) if old_reg is not None else None
        if old_reg is not None and cur_reg is not None:
            return regsafe(old_reg, cur_reg, idmap, exact)  # (the kernel's i += 7)
        if o == _MISC and c == _ZERO:
            i += 1
            continue
        if o != c:
            return False
        if j != 7:
            i += 1
            continue
        if o == _SPILL:
            if not regsafe(old.spilled(spi), cur.spilled(spi), idmap, exact):
                return False
        elif o == _DYNPTR:
            a, b = old.spilled(spi), cur.spilled(spi)
            if (a.dyn_type != b.dyn_type or a.first_slot != b.first_slot
                    or not idmap.check(a.ref_obj_id, b.ref_obj_id)):
                return False
        elif o == _ITER:
            a, b = old.spilled(spi), cur.spilled(spi)
            if (a.btf_id != b.btf_id or a.iter_state != b.iter_state
                    or not idmap.check(a.ref_obj_id, b.ref_obj_id)):
                return False
        elif o == _IRQ:
            a, b = old.spilled(spi), cur.spilled(spi)
            if not idmap.check(a.ref_obj_id, b.ref_obj_id) or a.irq_class != b.irq_class:
                return False
        elif o not in (_MISC, _ZERO, _INVALID):
            return False
        i += 1
    return True


def refsafe(old: State, cur: State, idmap: IdMap) -> bool:
    if len(old.refs) != len(cur.refs):
        return False
    if not old.refs and not old.active_irq_id and not cur.active_irq_id and \
            not old.active_lock_id and not cur.active_lock_id:
        return (old.active_locks == cur.active_locks and old.active_preempt == cur.active_preempt
                and old.active_rcu == cur.active_rcu and old.active_lock_ptr == cur.active_lock_ptr)
    if (old.active_locks != cur.active_locks or old.active_preempt != cur.active_preempt
            or old.active_rcu != cur.active_rcu):
        return False
    if not idmap.check(old.active_irq_id, cur.active_irq_id):
        return False
    if not idmap.check(old.active_lock_id, cur.active_lock_id) or \
            old.active_lock_ptr != cur.active_lock_ptr:
        return False
    for a, b in zip(old.refs, cur.refs, strict=True):
        if not idmap.check(a.id, b.id) or a.kind != b.kind:
            return False
        if a.kind not in ("ptr", "irq") and a.ptr != b.ptr:
            return False
    return True


def func_states_equal(old: Frame, cur: Frame, live: int, idmap: IdMap, exact: int) -> bool:
    if old.callback_depth > cur.callback_depth:
        return False
    oregs, cregs = old.regs, cur.regs
    for r in SET_BITS.get(live) or set_bits(live):
        o = oregs[r]
        c = cregs[r]
        if o is not c and not regsafe(o, c, idmap, exact):
            return False
    return stacksafe(old, cur, idmap, exact)


def states_equal(old: State, cur: State, live_before: list[int], id_gen: int, exact: int) -> bool:
    """True when the explored ``old`` stands for ``cur`` (both at the same instruction)."""
    ofr, cfr = old.frames, cur.frames
    if len(ofr) != len(cfr) or old.in_sleepable != cur.in_sleepable:
        return False
    if exact != NOT_EXACT:
        if _scalar_differs(ofr[-1].regs, cfr[-1].regs, live_before[old.insn]):
            return False
    elif _live_differs(ofr[-1].regs, cfr[-1].regs, live_before[old.insn]):
        return False
    idmap = IdMap(id_gen)
    if not refsafe(old, cur, idmap):
        return False
    last = len(ofr) - 1
    if last == 0:
        fo, fc = ofr[0], cfr[0]
        return fo.callsite == fc.callsite and \
            func_states_equal(fo, fc, live_before[old.insn], idmap, exact)
    for n in range(last + 1):
        fo, fc = ofr[n], cfr[n]
        if fo.callsite != fc.callsite:
            return False
        at = old.insn if n == last else ofr[n + 1].callsite
        if not func_states_equal(fo, fc, live_before[at], idmap, exact):
            return False
    return True


def _scalar_differs(oregs: list[Reg], cregs: list[Reg], live: int) -> bool:
    """A live scalar of the explored frame whose range does not hold the current register's
    value: `regsafe` is False for it whatever the ids (comparisons of loop states, which
    compare every scalar, mostly end on the counter; this finds it before the rest)."""
    for r in SET_BITS.get(live) or set_bits(live):
        o = oregs[r]
        if o.type is _SCALAR:
            c = cregs[r]
            if o is not c and (c.type is not _SCALAR or not o.var.subsumes(c.var)):
                return True
    return False


def _live_differs(oregs: list[Reg], cregs: list[Reg], live: int) -> bool:
    """For pruning: a live register of the explored frame that `regsafe` rejects whatever
    the ids (a precise scalar whose range does not hold the current value, a packet pointer
    with a longer range or another offset): most comparisons that fail end on one, and
    this finds it before the id map and the references are set up."""
    for r in SET_BITS.get(live) or set_bits(live):
        o = oregs[r]
        c = cregs[r]
        if o is not c:
            t = o.type
            if t is _SCALAR:
                if o.precise and (c.type is not _SCALAR or o.flags != c.flags
                                  or not o.var.subsumes(c.var)):
                    return True
            elif t is _PKT or t is _PKT_META:
                if c.type is not t or o.flags != c.flags or o.off != c.off:
                    return True
                orange, crange = o.range, c.range
                if orange < 0 or crange < 0:
                    if orange != crange:
                        return True
                elif orange > crange:
                    return True
    return False


def states_maybe_looping(old: State, cur: State) -> bool:
    """The cheap test before the infinite-loop check: the current frame's registers are the
    same (type, offset, value, ids; the kernel's memcmp up to ``frameno``)."""
    ofr, cfr = old.frames, cur.frames
    if len(ofr) != len(cfr):
        return False
    # (a loop's states mostly differ in a counter: its value is compared before the rest;
    # the registers by index, not zip(strict=True): this runs at every loop visit, mostly
    # to answer False at the first or second register, where zip's set-up costs the most)
    cregs = cfr[-1].regs
    n = 0
    for a in ofr[-1].regs:
        b = cregs[n]
        n += 1
        if a is b:
            continue
        if a.type is not b.type:
            return False
        va, vb = a.var, b.var
        if va is not vb and (va.var_off != vb.var_off or va != vb):
            return False
        if a.__dict__ == b.__dict__:
            continue
        if not (_union_same(a, b) and a.id == b.id and a.ref_obj_id == b.ref_obj_id):
            return False
    return True


__all__ = ["EXACT", "NOT_EXACT", "RANGE_WITHIN", "SET_BITS", "IdMap", "func_states_equal",
           "regs_exact", "regsafe", "set_bits", "stacksafe", "states_equal",
           "states_maybe_looping"]
