"""State comparison for pruning: may an explored state stand for the current one?

`subsumes(old, cur)` is the kernel's ``states_equal`` in its range-within mode: every
concrete state ``cur`` describes is one ``old`` describes, so a path from ``cur`` is as
safe as the path already verified from ``old``. Registers that are not live, and scalars
whose exact value cannot matter (outside the precision mask), are not compared.
`states_identical` is the exact comparison behind infinite-loop detection.
"""

from __future__ import annotations

from .state import RT, Reg, Slot, State

_INVALID, _SPILL, _MISC, _ZERO = Slot.INVALID, Slot.SPILL, Slot.MISC, Slot.ZERO


def reg_subsumes(old: Reg, cur: Reg) -> bool:
    if old.type is RT.NOT_INIT:
        return True
    if old.type is not cur.type or old.maybe_null != cur.maybe_null:
        return False
    if old.type is RT.SCALAR:
        return old.var.subsumes(cur.var)
    if old.off != cur.off or old.map != cur.map or old.mem_size != cur.mem_size \
            or old.frameno != cur.frameno or bool(old.ref_obj_id) != bool(cur.ref_obj_id):
        return False
    if old.type.is_packet and old.range > cur.range:
        return False
    return old.var.subsumes(cur.var)


def subsumes(old: State, cur: State, live: int = 0x7FF, precise: int = 0x7FF) -> bool:
    """True when every concrete state in ``cur`` is in ``old`` (so ``cur`` is safe too).

    ``live`` masks the registers of the current frame that may still be read; the
    others cannot matter (the kernel's liveness does the same). Scalars outside
    ``precise`` only need to be scalars (the kernel's imprecise scalars).
    """
    if len(old.frames) != len(cur.frames) or len(old.refs) != len(cur.refs):
        return False
    last = len(old.frames) - 1
    for n, (fo, fc) in enumerate(zip(old.frames, cur.frames, strict=True)):
        if fo.callsite != fc.callsite:
            return False
        mask = live if n == last else 0x7FF
        exact = precise if n == last else 0x7FF
        for r, (ro, rc) in enumerate(zip(fo.regs, fc.regs, strict=True)):
            if ro is rc or not mask >> r & 1:
                continue
            if not exact >> r & 1 and ro.is_scalar and rc.is_scalar:
                continue
            if not reg_subsumes(ro, rc):
                return False
        if fo.slots != fc.slots:
            for b, (so, sc) in enumerate(zip(fo.slots, fc.slots, strict=True)):
                if so == sc or so == _INVALID:  # INVALID in old: nothing there was relied on
                    continue
                if so == _MISC and sc in (_ZERO, _INVALID):  # MISC covers ZERO
                    continue
                if so == _MISC and sc == _SPILL and \
                        not fc.spills.get(b // 8, Reg.scalar()).is_pointer:
                    continue
                return False
        for k, so_reg in fo.spills.items():
            sc_reg = fc.spills.get(k)
            if sc_reg is None or not reg_subsumes(so_reg, sc_reg):
                if fo.slots[k * 8] == _SPILL:
                    return False
    return True


def states_identical(a: State, b: State) -> bool:
    if len(a.frames) != len(b.frames):
        return False
    for fa, fb in zip(a.frames, b.frames, strict=True):
        if fa.regs != fb.regs or fa.slots != fb.slots or fa.spills != fb.spills:
            return False
    return len(a.refs) == len(b.refs)


