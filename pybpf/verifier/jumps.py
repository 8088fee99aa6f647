"""Jumps: the kernel's ``check_cond_jmp_op``, NULL checks, packet range checks, ``exit``.

A conditional jump is first decided if it can be (``is_branch_taken``: scalar ranges, a
pointer that cannot be NULL against 0, a packet pointer known past its end); a decided
jump marks the scalars it looked at precise and follows one side. Otherwise the jump side
is pushed (``Session.push_branch``) and the path goes on with the fall-through, the
kernel's order: scalar operands are narrowed on each side (`pybpf.verifier.scalar_branch`)
together with their linked copies, a pointer compared with NULL is resolved in both
(``mark_ptr_or_null_regs``), a packet pointer compared with its end grants the readable
range on the safe side (``find_good_pkt_pointers``). ``exit`` returns from a subprogram or
checks the main program's return value and references (``check_return_code``,
``check_reference_leak``). ``may_goto`` explores its target first and queues the
fall-through one level deeper.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import CallSrc, Class, Insn, JmpOp, helper_name
from . import calls, frames, kfuncs, refs
from .flow import Flow
from .locks import spin_allowed
from .operands import read_reg
from .precision import F_DST_REG_STACK, F_SRC_REG_STACK
from .report import Reject
from .scalar import S64_MAX, S64_MIN
from .scalar_branch import flip_op, is_branch_taken, refine, refine_first, reverse_op
from .state import ADD_CONST, ADD_CONST32, MAYBE_NULL, RT, UNTRUSTED, Reg, State, is_trusted

if TYPE_CHECKING:
    from .session import Session

# enum members as globals: read from its class (``RT.SCALAR``) a member is a class
# attribute lookup at every step; a global is the cheapest read
_CALLSRC_HELPER = CallSrc.HELPER
_CALLSRC_KFUNC = CallSrc.KFUNC
_CALLSRC_LOCAL = CallSrc.LOCAL
_CLS_JMP32 = Class.JMP32
_FLOW_DECIDED = Flow.DECIDED
_FLOW_EXIT = Flow.EXIT
_FLOW_NEXT = Flow.NEXT
_FLOW_RETURNED = Flow.RETURNED
_JMP_CALL = JmpOp.CALL
_JMP_EXIT = JmpOp.EXIT
_JMP_JA = JmpOp.JA
_JMP_JCOND = JmpOp.JCOND
_RT_CONST_PTR_TO_MAP = RT.CONST_PTR_TO_MAP
_RT_PTR_TO_BTF_ID = RT.PTR_TO_BTF_ID
_RT_PTR_TO_MAP_VALUE = RT.PTR_TO_MAP_VALUE
_RT_PTR_TO_MEM = RT.PTR_TO_MEM
_RT_PTR_TO_PACKET = RT.PTR_TO_PACKET
_RT_PTR_TO_PACKET_END = RT.PTR_TO_PACKET_END
_RT_PTR_TO_PACKET_META = RT.PTR_TO_PACKET_META
_RT_PTR_TO_SOCKET = RT.PTR_TO_SOCKET
_RT_PTR_TO_STACK = RT.PTR_TO_STACK
_RT_PTR_TO_XDP_SOCK = RT.PTR_TO_XDP_SOCK
_RT_SCALAR = RT.SCALAR

#: program type -> (min, max) of R0 at exit (check_return_code); absent: any value
RETURN_RANGES: dict[str, tuple[int, int]] = {
    "cgroup_skb": (0, 1), "cgroup_sock": (0, 1), "cgroup_sock_addr": (0, 1),
    "cgroup_sysctl": (0, 1), "cgroup_device": (0, 1), "cgroup_sockopt": (0, 1),
    "sock_ops": (0, 1), "sk_lookup": (0, 1), "netfilter": (0, 1),
}
#: (program type, expected attach type) with their own range, or none (None)
ATTACH_RETURN_RANGES: dict[tuple[str, str], tuple[int, int] | None] = {
    ("cgroup_skb", "cgroup_inet_egress"): (0, 3),
    **{("cgroup_sock_addr", f"cgroup_{a}"): (1, 1) for a in (
        "udp4_recvmsg", "udp6_recvmsg", "unix_recvmsg", "inet4_getpeername",
        "inet6_getpeername", "unix_getpeername", "inet4_getsockname", "inet6_getsockname",
        "unix_getsockname")},
    ("cgroup_sock_addr", "cgroup_inet4_bind"): (0, 3),
    ("cgroup_sock_addr", "cgroup_inet6_bind"): (0, 3),
    ("tracing", "trace_fentry"): (0, 0), ("tracing", "trace_fexit"): (0, 0),
    ("tracing", "trace_iter"): (0, 1),
    ("kprobe", "trace_kprobe_session"): (0, 1), ("kprobe", "trace_uprobe_session"): (0, 1),
}
AT_PKT_END, BEYOND_PKT_END = -1, -2
MAX_PACKET_OFF = 0xFFFF
_LINKED_MAX = 6
_JEQ, _JNE, _JGT, _JGE, _JLT, _JLE = (int(JmpOp.JEQ), int(JmpOp.JNE), int(JmpOp.JGT),
                                      int(JmpOp.JGE), int(JmpOp.JLT), int(JmpOp.JLE))
_NOT_NULL_TYPES = frozenset({RT.PTR_TO_SOCKET, RT.PTR_TO_TCP_SOCK, RT.PTR_TO_MAP_VALUE,
                             RT.PTR_TO_MAP_KEY, RT.PTR_TO_SOCK_COMMON, RT.CONST_PTR_TO_MAP})


def return_range(prog_type: str, attach: str | None) -> tuple[int, int] | None:
    """The values R0 may hold at the main program's exit, or None when any value will do."""
    key = (prog_type, attach or "")
    if key in ATTACH_RETURN_RANGES:
        return ATTACH_RETURN_RANGES[key]
    return RETURN_RANGES.get(prog_type)


def reg_not_null(r: Reg) -> bool:
    """The kernel's reg_not_null: a pointer that cannot be NULL."""
    if r.flags & MAYBE_NULL:
        return False
    t = r.type
    if t in _NOT_NULL_TYPES:
        return True
    if t is _RT_PTR_TO_BTF_ID:
        return is_trusted(r)
    return t is _RT_PTR_TO_MEM and not r.flags & UNTRUSTED


def step(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """Run one JMP/JMP32 instruction on ``st``."""
    v.jmps += 1
    op = insn.op
    jmp32 = insn.cls == _CLS_JMP32
    if op == _JMP_CALL:
        if insn.uses_src_reg or jmp32 or insn.dst or (insn.src not in (0, 1, 2)) or \
                (insn.src != 2 and insn.off):
            raise Reject(i, "BPF_CALL uses reserved fields", "invalid_insn")
        return _call(v, st, insn, i)
    if op == _JMP_JA:
        st.insn = v.index[v.slots[i] + 1 + (insn.imm if jmp32 else insn.off)]
        return _FLOW_NEXT
    if op == _JMP_EXIT:
        return _exit(v, st, i)
    target = v.index[v.slots[i] + 1 + insn.off]
    if op == _JMP_JCOND:  # may_goto: the target now, the fall-through one level deeper
        prev = v.find_prev_entry(st.parent, i)
        other = v.push_branch(st, i + 1, i)
        other.may_goto_depth += 1
        if prev is not None:
            v.widen_imprecise(prev, other)
        st.insn = target
        return _FLOW_NEXT
    return _cond(v, st, insn, i, op, jmp32, target)


def _call(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """A ``call``: a bpf-to-bpf call enters the callee, a helper or kfunc call is checked."""
    if st.active_locks:
        if (insn.src == _CALLSRC_HELPER and helper_name(insn.imm) != "bpf_spin_unlock") or \
                (insn.src == _CALLSRC_KFUNC and (insn.off or not spin_allowed(v, insn.imm))):
            raise Reject(i, "function calls are not allowed while holding a lock",
                         "helper_not_allowed")
    if insn.src == _CALLSRC_LOCAL:
        return frames.func_call(v, st, insn, i)
    if insn.src == _CALLSRC_KFUNC:
        kfuncs.call(v, st, insn, i)
    else:
        calls.helper_call(v, st, insn, i)
    st.frame.origins[0] = i
    st.insn = i + 1
    return _FLOW_NEXT


def _cond(v: Session, st: State, insn: Insn, i: int, op: int, jmp32: bool, target: int) -> Flow:
    x = insn.uses_src_reg
    d = insn.dst
    regs = st.regs
    dst = read_reg(st, d, i)
    flags = 0
    if x:
        src = read_reg(st, insn.src, i)
        if src.type is _RT_PTR_TO_STACK:
            flags |= F_SRC_REG_STACK
    else:
        src = Reg.const(insn.imm)
    if dst.type is _RT_PTR_TO_STACK:
        flags |= F_DST_REG_STACK
    if flags:
        v.push_history(st, flags)
    fall = i + 1
    # kernels without the reg_reg_refinement feature (before 6.8) neither predict nor narrow a
    # comparison of two scalars when the source is not a constant (an (in)equality, or a
    # constant destination, still narrows both sides)
    old_rr = (x and insn.src != d and dst.type is _RT_SCALAR and src.type is _RT_SCALAR
              and not src.var.is_const_width(jmp32)
              and not v.kernel.features.get("reg_reg_refinement", True))  # (has_feature)
    pred = -1 if old_rr else branch_taken(dst, src, op, jmp32)
    if pred >= 0:
        if dst.type is _RT_SCALAR:
            v.mark_precise(st, d)
        if x and src.type is _RT_SCALAR:
            v.mark_precise(st, insn.src)
        st.insn = target if pred == 1 else fall
        return _FLOW_DECIDED
    # linked scalars share this history entry, so both branches see it
    linked: list[tuple[int, int, bool]] = []
    if x and src.type is _RT_SCALAR and src.id:
        _collect_linked(v, st, src.id, linked)
    if dst.type is _RT_SCALAR and dst.id:
        _collect_linked(v, st, dst.id, linked)
    if len(linked) > 1:
        v.push_history(st, 0, tuple(linked))
    other = v.push_branch(st, target, i)
    oregs = other.regs
    if dst.type is _RT_SCALAR and src.type is _RT_SCALAR and not (
            old_rr and not ((dst.var.is_const_width(jmp32) or op in (_JEQ, _JNE))
                            and branch_taken(dst, src, op, jmp32) < 0)):
        same = x and insn.src == d
        if x:
            t1, t2 = refine(dst.var, src.var, op, jmp32, same_reg=same)
            f1, f2 = refine(dst.var, src.var, reverse_op(op), jmp32, same_reg=same)
        else:  # the immediate's side is not kept
            t1 = refine_first(dst.var, src.var, op, jmp32)
            f1 = refine_first(dst.var, src.var, reverse_op(op), jmp32)
        oregs[d] = dst.with_var(t1)
        regs[d] = dst.with_var(f1)
        if x and not same:
            oregs[insn.src] = src.with_var(t2)
            regs[insn.src] = src.with_var(f2)
        if x and src.id:
            _sync_linked(st, regs[insn.src], linked)
            _sync_linked(other, oregs[insn.src], linked)
        if dst.id:
            _sync_linked(st, regs[d], linked)
            _sync_linked(other, oregs[d], linked)
    if not jmp32 and x and dst.is_pointer and src.is_pointer and \
            bool(dst.flags & MAYBE_NULL) != bool(src.flags & MAYBE_NULL) and \
            dst.type is not _RT_PTR_TO_BTF_ID and src.type is not _RT_PTR_TO_BTF_ID:
        eq = other if op == _JEQ else st if op == _JNE else None
        if eq is not None:
            r = insn.src if src.flags & MAYBE_NULL else d
            eq.regs[r] = eq.regs[r].with_(flags=eq.regs[r].flags & ~MAYBE_NULL)
    if not jmp32 and not x and insn.imm == 0 and op in (_JEQ, _JNE) and dst.flags & MAYBE_NULL:
        mark_ptr_or_null_regs(st, d, is_null=op == _JNE)
        mark_ptr_or_null_regs(other, d, is_null=op == _JEQ)
    else:
        _match_pkt_pointers(insn, op, jmp32, dst, src, st, other)
    st.insn = fall
    return _FLOW_NEXT


def branch_taken(a: Reg, b: Reg, op: int, jmp32: bool) -> int:
    """The kernel's is_branch_taken: 1 always, 0 never, -1 unknown."""
    if a.type.is_packet or a.type is _RT_PTR_TO_PACKET_END:
        if (b.type.is_packet or b.type is _RT_PTR_TO_PACKET_END) and not jmp32:
            return _pkt_branch_taken(a, b, op)
    if a.type is not _RT_SCALAR or b.type is not _RT_SCALAR:
        if b.type is not _RT_SCALAR or not b.var.is_const_width(jmp32):
            op = flip_op(op)
            a, b = b, a
        if b.type is not _RT_SCALAR or not b.var.is_const_width(jmp32):
            return -1
        if not reg_not_null(a):
            return -1
        if b.var.const_value(jmp32) != 0:
            return -1
        return 0 if op == _JEQ else 1 if op == _JNE else -1
    return is_branch_taken(a.var, b.var, op, jmp32)


def _pkt_branch_taken(dst: Reg, src: Reg, op: int) -> int:
    if src.type is _RT_PTR_TO_PACKET_END:
        pkt = dst
    elif dst.type is _RT_PTR_TO_PACKET_END:
        pkt = src
        op = flip_op(op)
    else:
        return -1
    if pkt.range >= 0:
        return -1
    if op in (_JLE, _JGT):
        if pkt.range == BEYOND_PKT_END:
            return int(op == _JGT)
    elif op in (_JLT, _JGE):
        if pkt.range in (BEYOND_PKT_END, AT_PKT_END):
            return int(op == _JGE)
    return -1


def _collect_linked(v: Session, st: State, rid: int, out: list[tuple[int, int, bool]]) -> None:
    rid &= ~ADD_CONST
    live = v.aux.live_before
    frames = st.frames
    last = len(frames) - 1
    for fr in range(last, -1, -1):
        frame = frames[fr]
        lv = live[st.insn if fr == last else frames[fr + 1].callsite]
        regs = frame.regs
        for r in range(10):
            if not lv >> r & 1:
                continue
            reg = regs[r]
            if reg.type is _RT_SCALAR and reg.id & ~ADD_CONST == rid:
                if len(out) < _LINKED_MAX:
                    out.append((fr, r, True))
                else:
                    regs[r] = reg.with_(id=0)
        for spi in sorted(frame.spills):
            if not frame.is_spilled(spi):
                continue
            reg = frame.spills[spi]
            if reg.type is _RT_SCALAR and reg.id & ~ADD_CONST == rid:
                if len(out) < _LINKED_MAX:
                    out.append((fr, spi, False))
                else:
                    frame.spills[spi] = reg.with_(id=0)


def _sync_linked(st: State, known: Reg, linked: list[tuple[int, int, bool]]) -> None:
    """Give the range ``known`` learned to the registers linked with it."""
    kid = known.id
    for fr, num, is_reg in linked:
        frame = st.frames[fr]
        reg = frame.regs[num] if is_reg else frame.spills.get(num)
        if reg is None or reg.type is not _RT_SCALAR or reg is known:
            continue
        if reg.id & ~ADD_CONST != kid & ~ADD_CONST:
            continue
        if (reg.id ^ kid) & ADD_CONST == ADD_CONST:
            continue
        if (not reg.id & ADD_CONST and not kid & ADD_CONST) or reg.off == known.off:
            new = known
        else:
            var = known.var.add_const(reg.off - known.off,
                                      zext32=bool((reg.id | kid) & ADD_CONST32))
            new = known.with_(var=var, off=reg.off, id=reg.id)
        if is_reg:
            frame.regs[num] = new
        else:
            frame.spills[num] = new


def mark_ptr_or_null_regs(st: State, regno: int, *, is_null: bool) -> None:
    """Resolve every register sharing R``regno``'s id after a NULL check."""
    reg = st.regs[regno]
    pid = reg.id
    ref = reg.ref_obj_id
    if ref and ref == pid and is_null:
        st.refs = [r for r in st.refs if r.id != pid]

    def fix(r: Reg) -> Reg:
        if not r.flags & MAYBE_NULL or r.id != pid:
            return r
        if is_null:
            return Reg.const(0)
        if r.type is not _RT_PTR_TO_MAP_VALUE or r.map is None or (
                r.map.inner is None and r.map.type not in _SOCK_MAPS):
            # _not_null's common answer (the flag dropped) and the id dropped at once
            flags = r.flags & ~MAYBE_NULL
            return r.with_(flags=flags) if _may_point_to_spin_lock(r) else \
                r.with_(flags=flags, id=0)
        out = _not_null(r)
        if not _may_point_to_spin_lock(out):
            out = out.with_(id=0)
        return out

    for frame in st.frames:
        regs = frame.regs
        for n, r in enumerate(regs):
            if r.flags & MAYBE_NULL and r.id == pid:
                regs[n] = fix(r)
        if frame.spills:
            spills = frame.spills
            if any(r.flags & MAYBE_NULL and r.id == pid for r in spills.values()):
                frame.spills = {k: fix(r) if frame.is_spilled(k) else r for k, r in spills.items()}


#: map types whose lookup result `_not_null` makes another pointer type
_SOCK_MAPS = frozenset({"xskmap", "sockmap", "sockhash"})


def _not_null(r: Reg) -> Reg:
    """mark_ptr_not_null_reg: a map lookup's result is the inner map, a socket, or a value."""
    if r.type is _RT_PTR_TO_MAP_VALUE and r.map is not None:
        m = r.map
        if m.inner is not None:
            uid = r.id if any(k in ("timer", "wq", "task_work") for k, _ in m.inner.fields) else 0
            return Reg.ptr(_RT_CONST_PTR_TO_MAP, map=m.inner, map_uid=uid, id=r.id,
                           ref_obj_id=r.ref_obj_id)
        if m.type == "xskmap":
            return Reg.ptr(_RT_PTR_TO_XDP_SOCK, id=r.id, ref_obj_id=r.ref_obj_id)
        if m.type in ("sockmap", "sockhash"):
            return Reg.ptr(_RT_PTR_TO_SOCKET, id=r.id, ref_obj_id=r.ref_obj_id)
    return r.with_(flags=r.flags & ~MAYBE_NULL)


def _may_point_to_spin_lock(r: Reg) -> bool:
    if r.type is _RT_PTR_TO_MAP_VALUE and r.map is not None:
        return r.map.field("spin_lock") is not None or r.map.field("res_spin_lock") is not None
    return False


def _match_pkt_pointers(insn: Insn, op: int, jmp32: bool, dst: Reg, src: Reg, this: State,
                        other: State) -> None:
    """try_match_pkt_pointers: ``pkt <op> pkt_end`` (and pkt_meta against pkt)."""
    if not insn.uses_src_reg or jmp32:
        return
    d, s = insn.dst, insn.src
    fwd = ((dst.type is _RT_PTR_TO_PACKET and src.type is _RT_PTR_TO_PACKET_END)
           or (dst.type is _RT_PTR_TO_PACKET_META and _init_pkt(src)))
    rev = ((dst.type is _RT_PTR_TO_PACKET_END and src.type is _RT_PTR_TO_PACKET)
           or (_init_pkt(dst) and src.type is _RT_PTR_TO_PACKET_META))
    if op == _JGT:
        if fwd:
            _good_pkt(this, dst, False)
            _pkt_end(other, d, True)
        elif rev:
            _good_pkt(other, src, True)
            _pkt_end(this, s, False)
    elif op == _JLT:
        if fwd:
            _good_pkt(other, dst, True)
            _pkt_end(this, d, False)
        elif rev:
            _good_pkt(this, src, False)
            _pkt_end(other, s, True)
    elif op == _JGE:
        if fwd:
            _good_pkt(this, dst, True)
            _pkt_end(other, d, False)
        elif rev:
            _good_pkt(other, src, False)
            _pkt_end(this, s, True)
    elif op == _JLE:
        if fwd:
            _good_pkt(other, dst, False)
            _pkt_end(this, d, True)
        elif rev:
            _good_pkt(this, src, True)
            _pkt_end(other, s, False)


def _init_pkt(r: Reg) -> bool:
    """reg_is_init_pkt_pointer: a packet pointer with no variable offset."""
    return r.type is _RT_PTR_TO_PACKET and r.off == 0 and r.var.is_const and r.var.value == 0


def _good_pkt(st: State, pkt: Reg, right_open: bool) -> None:
    """find_good_pkt_pointers: every copy of ``pkt`` gains the proven range."""
    if pkt.off < 0 or (pkt.off == 0 and right_open):
        return
    if pkt.var.umax > MAX_PACKET_OFF or pkt.var.umax + pkt.off > MAX_PACKET_OFF:
        return
    new_range = pkt.off + (1 if right_open else 0)
    t, pid = pkt.type, pkt.id

    def fix(r: Reg) -> Reg:
        if r.type is t and r.id == pid and r.range < new_range:
            return r.with_(range=new_range)
        return r

    for frame in st.frames:
        frame.regs[:] = [fix(r) for r in frame.regs]
        if frame.spills:
            frame.spills = {k: fix(r) if frame.is_spilled(k) else r for k, r in frame.spills.items()}


def _pkt_end(st: State, regno: int, range_open: bool) -> None:
    reg = st.regs[regno]
    if reg.type is not _RT_PTR_TO_PACKET:
        return
    st.regs[regno] = reg.with_(range=BEYOND_PKT_END if range_open else AT_PKT_END)


def _exit(v: Session, st: State, i: int) -> Flow:
    v.note_depth(st)
    refs.check_resource_leak(v, st, i, main=len(st.frames) == 1)
    if len(st.frames) > 1:
        frames.leave_subprog(v, st, i)
        return _FLOW_RETURNED
    r0 = st.regs[0]
    if not r0.is_init:
        raise Reject(i, "R0 !read_ok", "uninit_r0", reg=0)
    if st.frames[0].subprog != 0 and v.is_global(st.frames[0].subprog):
        frames.check_global_return(v, st, i)
        return _FLOW_EXIT
    frame = st.frames[0]
    if frame.async_callback:
        check_retval(v, st, i, frame.ret_range, "At async callback return")
        return _FLOW_EXIT
    rng = return_range(v.prog_type, v.attach)
    if rng is not None:
        check_retval(v, st, i, rng, "At program exit")
    return _FLOW_EXIT


def check_retval(v: Session, st: State, i: int, rng: tuple[int, int], where: str) -> None:
    """R0 must be a scalar within ``rng`` (marked precise: its value mattered)."""
    r0 = st.regs[0]
    if r0.is_pointer:
        raise Reject(i, f"{where} the register R0 is not a known value ({r0.type_label()})",
                     "return_pointer", reg=0)
    v.mark_precise(st, 0)
    val = r0.var
    if not (rng[0] <= val.smin and val.smax <= rng[1]):
        desc = ""
        if val.smin > S64_MIN:
            desc += f" smin={val.smin}"
        if val.smax < S64_MAX:
            desc += f" smax={val.smax}"
        desc = desc or " unknown scalar value"
        raise Reject(i, f"{where} the register R0 has{desc} should have been in "
                     f"[{rng[0]}, {rng[1]}]", "return_range", reg=0)


__all__ = ["ATTACH_RETURN_RANGES", "RETURN_RANGES", "branch_taken", "mark_ptr_or_null_regs",
           "reg_not_null", "return_range", "step"]
