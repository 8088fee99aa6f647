"""Calls: helper functions (checked against `helper_protos`) and bpf-to-bpf subprograms.

A helper call checks each argument register against its `Arg` kind (the
kernel's ``check_func_arg``: type, then the memory the helper will touch),
handles acquired and released references (ring buffer records), clobbers
R1-R5 and sets R0 from the return kind. A subprogram call pushes a frame
whose R1-R5 are the caller's, and the callee's ``exit`` pops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import CallSrc, Insn, helper_name
from ..isa.generated.helpers_table import HELPERS
from . import mem
from .flow import Flow
from .helper_protos import HELPER_PROTOS, Arg, ArgKind, RetKind, map_func_compatible
from .report import Reject
from .scalar import Scalar
from .state import MAX_CALL_FRAMES, RT, Frame, RefState, Reg, State

if TYPE_CHECKING:
    from .session import Session

BPF_MAX_VAR_SIZ = 1 << 29

#: the type lists the kernel prints in "R%d type=%s expected=%s"
_MEM_TYPES = "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
_KEY_TYPES = _MEM_TYPES
_MEM_OK = {RT.PTR_TO_STACK, RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_META, RT.PTR_TO_MAP_KEY,
           RT.PTR_TO_MAP_VALUE, RT.PTR_TO_MEM, RT.PTR_TO_BTF_ID}
_KEY_OK = {RT.PTR_TO_STACK, RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_META, RT.PTR_TO_MAP_KEY,
           RT.PTR_TO_MAP_VALUE}


def _name(num: int) -> str:
    return helper_name(num) or "unknown"


def _expect(insn: int, regno: int, reg: Reg, expected: str) -> Reject:
    return Reject(insn, f"R{regno} type={reg.type_label()} expected={expected}", "helper_arg_type",
                  reg=regno, type_label=reg.type_label())


def step(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """A ``call``: a bpf-to-bpf call enters the callee, a helper call is checked and run."""
    if insn.uses_src_reg:  # callx
        raise Reject(None, f"unknown opcode {insn.opcode:02x}", "invalid_insn")
    if insn.src == CallSrc.LOCAL:
        enter_subprog(v, st, insn, i)
        return Flow.NEXT
    if insn.src == CallSrc.KFUNC:
        raise Reject(i, "calling kernel functions is not allowed in this program", "unsupported")
    if not helper_call(v, st, insn, i):
        st.frame.origins[0] = i
        st.insn = i + 1
    return Flow.NEXT


def helper_call(v: Session, st: State, insn: Insn, i: int) -> bool:
    """Check a helper call; True when it entered a callback (the next insn is set)."""
    num = insn.imm
    if num not in HELPERS or num == 0:
        raise Reject(i, f"invalid func unknown#{num}", "unknown_helper")
    proto = HELPER_PROTOS[num]
    if not v.kernel.allows(num, v.prog_type):
        raise Reject(i, f"program of this type cannot use helper {_name(num)}#{num}",
                     "helper_not_allowed")
    if v.kernel.is_gpl_only(num) and v.program.license and not _gpl(v.program.license):
        raise Reject(i, "cannot call GPL-restricted function from non-GPL compatible program",
                     "helper_not_allowed")
    regs = st.regs
    map_reg: Reg | None = None
    release_ref = 0
    args = proto.args
    for n, arg in enumerate(args):
        regno = n + 1
        reg = regs[regno]
        if not reg.is_init:
            raise Reject(i, f"R{regno} !read_ok", "uninit_register", reg=regno)
        map_reg = _check_arg(v, st, i, proto, args, n, arg, reg, map_reg) or map_reg
        if arg.release:
            if not reg.ref_obj_id or reg.maybe_null:
                if reg.maybe_null:
                    raise _expect(i, regno, reg, arg.kind.name.lower().removeprefix("ptr_to_"))
                raise Reject(i, f"R{regno} must be referenced when passed to release function",
                             "release_invalid", reg=regno)
            if reg.off or not (reg.var.is_const and reg.var.value == 0):
                raise Reject(i, f"R{regno} must have zero offset when passed to release func "
                             "or trusted arg to kfunc",
                             "release_invalid", reg=regno)
            release_ref = reg.ref_obj_id
    if map_reg is not None and map_reg.map is not None and \
            not map_func_compatible(map_reg.map.type, proto.name):
        from ..uapi import MAP_TYPES

        raise Reject(i, f"cannot pass map_type {MAP_TYPES.get(map_reg.map.type, map_reg.map.type)} "
                     f"into func {_name(proto.id)}#{proto.id}", "helper_map_mismatch")
    if proto.name == "tail_call" and st.refs:  # the kernel's check_resource_leak("tail_call")
        ref = st.refs[0]
        raise Reject(i, f"Unreleased reference id={ref.id} alloc_insn={v.slots[ref.insn]}",
                     "reference_leak", detail=v.slots[ref.insn])
    if release_ref:
        _release(st, release_ref)
    if proto.changes_pkt_data:  # every packet pointer is stale after the helper
        _clear_packet_pointers(st)
    if proto.name == "loop":  # bpf_loop(nr, callback, ctx, flags): verify the callback
        _enter_callback(v, st, i, regs[2], regs[3])
        return True
    r0 = _ret(v, st, i, proto, map_reg)  # before the clobber: it may read R2 (a size)
    for r in range(1, 6):
        regs[r] = Reg.not_init()
    regs[0] = r0
    return False


def _gpl(license: str) -> bool:
    return license in ("GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                       "Dual MIT/GPL", "Dual MPL/GPL")


def _check_arg(v: Session, st: State, i: int, proto, args: tuple[Arg, ...], n: int, arg: Arg,
               reg: Reg, map_reg: Reg | None) -> Reg | None:
    regno = n + 1
    kind = arg.kind
    if kind is ArgKind.ANYTHING:
        return None
    if arg.nullable and reg.is_null_const:
        return None
    if kind is ArgKind.CONST_MAP_PTR:
        if reg.type is not RT.CONST_PTR_TO_MAP:
            raise _expect(i, regno, reg, "map_ptr")
        assert reg.map is not None
        if proto.name == "tail_call" and reg.map.type != "prog_array":
            raise Reject(i, "expected prog array map for tail call", "helper_map_mismatch",
                         reg=regno)
        return reg
    if kind in (ArgKind.PTR_TO_MAP_KEY, ArgKind.PTR_TO_MAP_VALUE):
        if reg.type not in _KEY_OK or reg.maybe_null:
            raise _expect(i, regno, reg, _KEY_TYPES)
        if map_reg is None or map_reg.map is None:
            raise Reject(i, f"invalid map_ptr to access map->{'key' if kind is ArgKind.PTR_TO_MAP_KEY else 'value'}",
                         "helper_arg_type", reg=regno)
        size = map_reg.map.key_size if kind is ArgKind.PTR_TO_MAP_KEY else map_reg.map.value_size
        mem.helper_mem(st, v.prog_type, regno, size, size, i, write=False, zero_ok=False)
        return None
    if kind is ArgKind.PTR_TO_CTX:
        if reg.type is not RT.PTR_TO_CTX:
            raise _expect(i, regno, reg, "ctx")
        return None
    if kind is ArgKind.PTR_TO_STACK:
        if reg.type is not RT.PTR_TO_STACK:
            raise _expect(i, regno, reg, "fp")
        return None
    if kind is ArgKind.PTR_TO_FUNC:
        if reg.type is not RT.PTR_TO_FUNC:
            raise _expect(i, regno, reg, "func")
        return None
    if kind is ArgKind.PTR_TO_MEM:
        if reg.type not in _MEM_OK or reg.maybe_null:
            raise _expect(i, regno, reg, _MEM_TYPES)
        if arg.fixed_size is not None:
            mem.helper_mem(st, v.prog_type, regno, arg.fixed_size, arg.fixed_size, i,
                           write=arg.uninit, zero_ok=False)
        return None
    if arg.is_size:
        if not reg.is_scalar:
            raise _expect(i, regno, reg, "scalar")
        var = reg.var
        if kind is ArgKind.CONST_ALLOC_SIZE_OR_ZERO:
            if not var.is_const:
                raise Reject(i, f"R{regno} is not a known constant'", "helper_arg_size",
                             reg=regno)
            return None
        if var.smin < 0:
            raise Reject(i, f"R{regno} min value is negative, either use unsigned or 'var &= const'",
                         "helper_arg_size", reg=regno)
        zero_ok = kind is ArgKind.CONST_SIZE_OR_ZERO
        if var.umin == 0 and not zero_ok:
            raise Reject(i, f"R{regno} invalid zero-sized read: u64=[{var.umin},{var.umax}]",
                         "helper_arg_size", reg=regno)
        if var.umax >= BPF_MAX_VAR_SIZ:
            raise Reject(i, f"R{regno} unbounded memory access, use 'var &= const' or "
                         "'if (var < const)'", "helper_arg_size", reg=regno)
        if n > 0 and args[n - 1].kind is ArgKind.PTR_TO_MEM:
            prev = st.regs[regno - 1]
            if not (args[n - 1].nullable and prev.is_null_const):
                mem.helper_mem(st, v.prog_type, regno - 1, var.umin, var.umax, i,
                               write=args[n - 1].uninit, zero_ok=zero_ok)
        return None
    if kind is ArgKind.PTR_TO_RINGBUF_MEM:
        if reg.type is not RT.PTR_TO_MEM or not reg.ringbuf:
            raise _expect(i, regno, reg, "ringbuf_mem")
        return None
    # other kinds (spin locks, timers, BTF objects, dynptrs): any pointer will do here
    if not reg.is_pointer and not (arg.nullable and reg.is_null_const):
        raise _expect(i, regno, reg, kind.name.lower())
    return None


def _clear_packet_pointers(st: State) -> None:
    def fix(r: Reg) -> Reg:
        return Reg.scalar() if r.type.is_packet or r.type is RT.PTR_TO_PACKET_END else r

    for frame in st.frames:
        frame.regs = [fix(r) for r in frame.regs]
        frame.spills = {k: fix(r) for k, r in frame.spills.items()}


def _const_key(st: State, reg: Reg, size: int) -> int | None:
    """The constant a stack key holds, when the verifier knows it (zeroed bytes, a spill)."""
    if reg.type is not RT.PTR_TO_STACK or not reg.var.is_const:
        return None
    at = 512 + reg.off + (reg.var.value - (1 << 64) if reg.var.value >> 63 else reg.var.value)
    if not 0 <= at <= 512 - size:
        return None
    frame = st.frames[reg.frameno]
    if all(frame.slots[b] == 3 for b in range(at, at + size)):  # STACK_ZERO
        return 0
    spill = frame.spills.get(at // 8)
    if spill is not None and at % 8 == 0 and spill.is_scalar and spill.var.is_const:
        return spill.var.value & ((1 << (8 * size)) - 1)
    return None


def _release(st: State, ref_id: int) -> None:
    st.refs = [r for r in st.refs if r.id != ref_id]
    for frame in st.frames:
        frame.regs = [Reg.scalar() if r.ref_obj_id == ref_id else r for r in frame.regs]
        frame.spills = {k: (Reg.scalar() if r.ref_obj_id == ref_id else r)
                        for k, r in frame.spills.items()}


def _ret(v: Session, st: State, i: int, proto, map_reg: Reg | None) -> Reg:
    ret = proto.ret
    if ret is RetKind.VOID:
        return Reg.not_init()
    if ret is RetKind.INTEGER or not proto.known:
        return Reg.scalar()
    nid = st.new_id()
    if ret is RetKind.PTR_TO_MAP_VALUE:
        assert map_reg is not None and map_reg.map is not None
        if map_reg.map.inner is not None:  # map-in-map: the value is the inner map
            return Reg.ptr(RT.CONST_PTR_TO_MAP, map=map_reg.map.inner, id=nid,
                           maybe_null=proto.ret_nullable)
        m = map_reg.map
        if (proto.name == "map_lookup_elem" and m.type in ("array", "percpu_array")
                and v.kernel.has_feature("array_lookup_const_key_nonnull")):
            key = _const_key(st, st.regs[2], m.key_size)  # a constant in-range index
            if key is not None and key < m.max_entries:
                return Reg.ptr(RT.PTR_TO_MAP_VALUE, map=m)
        return Reg.ptr(RT.PTR_TO_MAP_VALUE, map=map_reg.map, id=nid, maybe_null=proto.ret_nullable)
    if ret is RetKind.PTR_TO_MEM:
        size_reg = st.regs[2]
        size = size_reg.var.value if size_reg.is_scalar and size_reg.var.is_const else 0
        ref = 0
        if proto.acquires:  # the kernel's order: a may-be-NULL id, then the reference id
            nid = ref = st.new_id()
            st.refs.append(RefState(ref, i))
        return Reg.ptr(RT.PTR_TO_MEM, id=nid, ref_obj_id=ref, mem_size=size,
                       maybe_null=proto.ret_nullable, ringbuf="ringbuf" in proto.name)
    kind = {RetKind.PTR_TO_SOCKET: RT.PTR_TO_SOCKET, RetKind.PTR_TO_SOCK_COMMON:
            RT.PTR_TO_SOCK_COMMON}.get(ret, RT.PTR_TO_BTF_ID)
    ref = 0
    if proto.acquires:
        nid = ref = st.new_id()
        st.refs.append(RefState(ref, i))
    return Reg.ptr(kind, id=nid, ref_obj_id=ref, maybe_null=proto.ret_nullable)


# -- bpf-to-bpf calls --------------------------------------------------------------------------
def enter_subprog(v: Session, st: State, insn: Insn, i: int) -> None:
    if len(st.frames) >= MAX_CALL_FRAMES:
        raise Reject(i, f"the call stack of {len(st.frames) + 1} frames is too deep",
                     "call_depth")
    target = v.index[v.slots[i] + 1 + insn.imm]
    caller = st.frame
    callee = Frame(frameno=len(st.frames), callsite=i, subprog=target)
    for r in range(1, 6):
        callee.regs[r] = caller.regs[r]
        callee.origins[r] = caller.origins[r]
    callee.regs[10] = Reg.ptr(RT.PTR_TO_STACK, frameno=callee.frameno)
    st.frames.append(callee)
    st.insn = target


def _enter_callback(v: Session, st: State, i: int, fn: Reg, ctx: Reg) -> None:
    """Run the callback of bpf_loop once, as a call from the helper: R1 = the index
    (a u32), R2 = the context argument; back in the caller R0 is the loop count."""
    if fn.type is not RT.PTR_TO_FUNC or fn.subprog < 0:
        raise Reject(i, f"R2 type={fn.type_label()} expected=func", "helper_arg_type", reg=2)
    if len(st.frames) >= MAX_CALL_FRAMES:
        raise Reject(i, f"the call stack of {len(st.frames) + 1} frames is too deep",
                     "call_depth")
    callee = Frame(frameno=len(st.frames), callsite=i, subprog=fn.subprog)
    callee.callback = True
    callee.regs[1] = Reg.scalar(Scalar.from_range(0, 0xFFFFFFFF))
    callee.regs[2] = ctx
    callee.regs[10] = Reg.ptr(RT.PTR_TO_STACK, frameno=callee.frameno)
    st.frames.append(callee)
    st.insn = fn.subprog


def leave_subprog(v: Session, st: State, i: int) -> None:
    callee = st.frames[-1]
    r0 = callee.regs[0]
    if callee.callback:
        if not r0.is_init:
            raise Reject(i, "R0 !read_ok", "uninit_r0", reg=0)
        if r0.is_pointer or not (0 <= r0.var.smin and r0.var.smax <= 1):
            desc = "" if r0.is_pointer else "".join(
                (f" smin={r0.var.smin}" if r0.var.smin > -(1 << 63) else "",
                 f" smax={r0.var.smax}" if r0.var.smax < (1 << 63) - 1 else ""))
            raise Reject(i, f"At callback return the register R0 has{desc or ' unknown scalar value'}"
                         " should have been in [0, 1]", "return_range", reg=0)
        st.frames.pop()
        caller = st.frame
        caller.regs[0] = Reg.scalar()
        for r in range(1, 6):
            caller.regs[r] = Reg.not_init()
        st.insn = callee.callsite + 1
        return
    if r0.type is RT.PTR_TO_STACK and r0.frameno == callee.frameno:
        raise Reject(i, "cannot return stack pointer to the caller", "pointer_leak", reg=0)
    st.frames.pop()
    caller = st.frame
    caller.regs[0] = r0
    caller.origins[0] = callee.origins[0]
    for r in range(1, 6):
        caller.regs[r] = Reg.not_init()
    st.insn = callee.callsite + 1


__all__ = ["enter_subprog", "helper_call", "leave_subprog", "step"]
