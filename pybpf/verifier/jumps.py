"""Jumps: the kernel's ``check_cond_jmp_op``, NULL checks, packet range checks, ``exit``.

A conditional jump on two scalars is decided or refined by `pybpf.verifier.scalar_branch`;
on a pointer and NULL it resolves every copy of the pointer (``mark_ptr_or_null_regs``);
on a packet pointer and its end it grants the readable range on the safe side
(``find_good_pkt_pointers``). An undecided jump pushes the jump side (``Session.push_branch``)
and the path goes on with the fall-through, the kernel's order. ``exit`` returns from a
subprogram or checks the main program's return value and references
(``check_return_code``, ``check_reference_leak``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import Class, Insn, JmpOp
from . import calls
from .flow import Flow
from .operands import read_reg
from .report import Reject
from .scalar import S64_MAX, S64_MIN, Scalar
from .scalar_branch import Branch, branch
from .state import RT, Reg, State

if TYPE_CHECKING:
    from .session import Session

#: program type -> (min, max) of R0 at exit (check_return_code); absent: any value
RETURN_RANGES: dict[str, tuple[int, int]] = {
    "cgroup_skb": (0, 1), "cgroup_sock": (0, 1), "cgroup_sock_addr": (0, 1),
    "cgroup_sysctl": (0, 1), "cgroup_device": (0, 1), "cgroup_sockopt": (0, 1),
    "sock_ops": (0, 1), "sk_lookup": (0, 1),
}
#: expected attach types with their own ranges
ATTACH_RETURN_RANGES = {"cgroup_inet_egress": (0, 3), "cgroup_udp4_recvmsg": (1, 1),
                        "cgroup_udp6_recvmsg": (1, 1), "cgroup_unix_recvmsg": (1, 1),
                        "cgroup_inet4_getpeername": (1, 1), "cgroup_inet6_getpeername": (1, 1),
                        "cgroup_inet4_getsockname": (1, 1), "cgroup_inet6_getsockname": (1, 1)}
#: (checked pointer, bound): pkt against pkt_end, and pkt_meta against pkt (data)
_PKT_PAIRS = {(RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_END), (RT.PTR_TO_PACKET_META, RT.PTR_TO_PACKET)}
#: ``end <op> pkt`` is ``pkt <reversed op> end``
_SWAPPED = {JmpOp.JGT: JmpOp.JLT, JmpOp.JLT: JmpOp.JGT, JmpOp.JGE: JmpOp.JLE,
            JmpOp.JLE: JmpOp.JGE}


def return_range(prog_type: str, attach: str | None) -> tuple[int, int] | None:
    """The values R0 may hold at the main program's exit, or None when any value will do."""
    return ATTACH_RETURN_RANGES.get(attach or "") or RETURN_RANGES.get(prog_type)


def step(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """Run one JMP/JMP32 instruction on ``st``."""
    v.jmps += 1
    op = insn.op
    jmp32 = insn.cls == Class.JMP32
    if op == JmpOp.JA:
        st.insn = v.index[v.slots[i] + 1 + (insn.imm if jmp32 else insn.off)]
        return Flow.NEXT
    if op == JmpOp.EXIT:
        return _exit(v, st, i)
    if op == JmpOp.CALL:
        return calls.step(v, st, insn, i)
    target = v.index[v.slots[i] + 1 + insn.off]
    if op == JmpOp.JCOND:  # may_goto: both ways, the loop budget bounds the body
        other = st.copy()
        other.insn = target
        st.insn = i + 1
        v.push_branch(other, i)
        return Flow.NEXT
    return _cond(v, st, insn, i, op, jmp32, target)


def _branch_against_unknown(a: Scalar, b: Scalar, op: int, jmp32: bool) -> Branch:
    """``if a <op> b`` with ``b`` not a constant, on kernels without the ``reg_reg_refinement``
    feature of their profile: no side is predicted; a constant ``a`` narrows ``b``, an
    (in)equality narrows both, any other comparison neither."""
    if a.is_const_width(jmp32) or op in (JmpOp.JEQ, JmpOp.JNE):
        full = branch(a, b, op, jmp32)
        if full.taken == -1:
            return full
    return Branch(-1, (a, b), (a, b))


def _cond(v: Session, st: State, insn: Insn, i: int, op: int, jmp32: bool,
          target: int) -> Flow:
    x = insn.uses_src_reg
    d = insn.dst
    dst = read_reg(st, d, i)
    src = read_reg(st, insn.src, i) if x else Reg.const(insn.imm)
    fall = i + 1
    if dst.is_scalar and src.is_scalar:
        if (x and insn.src != d and not src.var.is_const_width(jmp32)
                and not v.kernel.has_feature("reg_reg_refinement")):
            b = _branch_against_unknown(dst.var, src.var, op, jmp32)
        else:
            b = branch(dst.var, src.var, op, jmp32, same_reg=x and insn.src == d)
        if b.taken == 1:
            st.insn = target
            return Flow.DECIDED
        if b.taken == 0:
            st.insn = fall
            return Flow.DECIDED
        assert b.true is not None and b.false is not None
        other = st.copy()
        _set_scalars(other, d, insn.src if x else None, b.true)
        _set_scalars(st, d, insn.src if x else None, b.false)
        other.insn = target
        st.insn = fall
        v.push_branch(other, i)
        return Flow.NEXT
    # pointer comparisons
    ptr, other_reg = (dst, src) if dst.is_pointer else (src, dst)
    if op in (JmpOp.JEQ, JmpOp.JNE) and other_reg.is_null_const and not jmp32:
        eq_taken = op == JmpOp.JEQ
        if ptr.maybe_null:  # the fall-through goes on here, the jump is pushed
            other = st.copy()
            jump_null = eq_taken  # JEQ 0: the jump sees NULL; JNE 0: the fall-through does
            mark_null(other, ptr.id, is_null=jump_null)
            mark_null(st, ptr.id, is_null=not jump_null)
            other.insn = target
            st.insn = fall
            v.push_branch(other, i)
            return Flow.NEXT
        # a pointer that cannot be NULL: the outcome is known
        st.insn = fall if eq_taken else target
        return Flow.DECIDED
    other = st.copy()
    other.insn = target
    st.insn = fall
    if dst.is_pointer and src.is_pointer and not jmp32:
        _packet_compare(st, other, op, dst, src)
    v.push_branch(other, i)
    return Flow.NEXT


def _set_scalars(st: State, d: int, s: int | None, pair: tuple[Scalar, Scalar]) -> None:
    a, b = pair
    _assign_linked(st, d, a)
    if s is not None:
        _assign_linked(st, s, b)


def _assign_linked(st: State, regno: int, value: Scalar) -> None:
    """Give ``value`` to R``regno`` and to every scalar copy of it (same id)."""
    reg = st.regs[regno]
    st.regs[regno] = reg.with_(var=value)
    if reg.id:
        for frame in st.frames:
            for r, other in enumerate(frame.regs):
                if other.is_scalar and other.id == reg.id:
                    frame.regs[r] = other.with_(var=value)
            for k, sp in list(frame.spills.items()):
                if sp.is_scalar and sp.id == reg.id:
                    frame.spills[k] = sp.with_(var=value)


def mark_null(st: State, pid: int, *, is_null: bool) -> None:
    """Resolve every register with id ``pid`` after a NULL check."""
    released = 0

    def fix(r: Reg) -> Reg:
        nonlocal released
        if r.id != pid or not r.maybe_null:
            return r
        if is_null:
            released = r.ref_obj_id or released
            return Reg.const(0)
        # like the kernel, forget the id once non-NULL (unless a reference needs it)
        return r.with_(maybe_null=False, id=r.id if r.ref_obj_id else 0)

    for frame in st.frames:
        frame.regs = [fix(r) for r in frame.regs]
        frame.spills = {k: fix(r) for k, r in frame.spills.items()}
    if released:
        st.refs = [ref for ref in st.refs if ref.id != released]


def _packet_compare(fall: State, jump: State, op: int, dst: Reg, src: Reg) -> None:
    """``pkt <op> pkt_end`` (either order): learn the readable range on the safe side."""
    if (dst.type, src.type) in _PKT_PAIRS:
        pkt = dst
    elif (src.type, dst.type) in _PKT_PAIRS:
        pkt = src
        op = _SWAPPED.get(JmpOp(op), op)
    else:
        return
    # which side proves pkt (+off) <= end; a strict proof (pkt < end) grants one more
    # byte (measured on 6.18: tests/verifier/suite/pkt_xdp_check_*).
    if op == JmpOp.JGT:      # pkt > end: the fall-through has pkt <= end
        good, open_right = fall, False
    elif op == JmpOp.JGE:    # pkt >= end: the fall-through has pkt < end
        good, open_right = fall, True
    elif op == JmpOp.JLT:    # pkt < end: the jump has pkt < end
        good, open_right = jump, True
    elif op == JmpOp.JLE:    # pkt <= end: the jump has pkt <= end
        good, open_right = jump, False
    else:
        return
    if pkt.off >= 0 and pkt.var.umax + pkt.off <= 0xFFFF:
        new_range = pkt.off + (1 if open_right else 0)
        for frame in good.frames:
            frame.regs = [r.with_(range=max(r.range, new_range)) if r.type == pkt.type and
                          r.id == pkt.id else r for r in frame.regs]
            frame.spills = {k: (r.with_(range=max(r.range, new_range)) if r.type == pkt.type
                                and r.id == pkt.id else r) for k, r in frame.spills.items()}


def _exit(v: Session, st: State, i: int) -> Flow:
    v.note_depth(st)
    if len(st.frames) > 1:
        calls.leave_subprog(v, st, i)
        return Flow.NEXT
    r0 = st.regs[0]
    if not r0.is_init:
        raise Reject(i, "R0 !read_ok", "uninit_r0", reg=0)
    if st.refs:
        ref = st.refs[0]
        raise Reject(i, [f"Unreleased reference id={ref.id} alloc_insn={v.slots[ref.insn]}",
                         "BPF_EXIT instruction in main prog would lead to reference leak"],
                     "reference_leak", detail=v.slots[ref.insn])
    rng = return_range(v.prog_type, v.attach)
    if rng is not None:
        if r0.is_pointer:
            raise Reject(i, f"At program exit the register R0 is not a known value "
                         f"({r0.type_label()})", "return_pointer", reg=0)
        val = r0.var
        if not (rng[0] <= val.smin and val.smax <= rng[1]):
            desc = ""
            if val.smin > S64_MIN:
                desc += f" smin={val.smin}"
            if val.smax < S64_MAX:
                desc += f" smax={val.smax}"
            desc = desc or " unknown scalar value"
            raise Reject(i, f"At program exit the register R0 has{desc} should have been in "
                         f"[{rng[0]}, {rng[1]}]", "return_range", reg=0)
    return Flow.EXIT


__all__ = ["ATTACH_RETURN_RANGES", "RETURN_RANGES", "mark_null", "return_range", "step"]
