"""Loads and stores: LDX, ST, STX (atomics included) and the LD class (``lddw``, LD_ABS/IND).

Each instruction names its memory through a base register and an offset; the region rules
(stack, map value, context, packet...) are the kernel's ``check_mem_access``, in
`pybpf.verifier.mem`. Atomic read-modify-write operations read then write their operand
and need it naturally aligned; ``lddw`` materialises constants, map pointers, map values
and function addresses (``check_ld_imm``); LD_ABS/LD_IND are the legacy packet loads
(``check_ld_abs``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import LDDW, AtomicOp, Class, Insn, Mode, PseudoSrc
from ..isa.opcodes import FETCH
from . import mem
from .flow import Flow
from .operands import check_writable, read_reg
from .report import Reject
from .scalar import Scalar
from .state import RT, Reg, State
from .tnum import U32, U64, Tnum

if TYPE_CHECKING:
    from .session import Session

#: program types that may use the legacy packet loads
LD_ABS_TYPES = frozenset({"socket_filter", "sched_cls", "sched_act"})
_MAP_PSEUDOS = (PseudoSrc.MAP_FD, PseudoSrc.MAP_VALUE, PseudoSrc.MAP_IDX, PseudoSrc.MAP_IDX_VALUE)
_MAP_POINTERS = (PseudoSrc.MAP_FD, PseudoSrc.MAP_IDX)
_ATOMIC_DESC = {RT.PTR_TO_MAP_VALUE: "value ", RT.PTR_TO_MAP_KEY: "key ", RT.PTR_TO_CTX: "context "}


def step_ldx(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """``dst = *(size *)(src + off)``, sign-extending with the MEMSX mode."""
    read_reg(st, insn.src, i)
    check_writable(insn.dst, i)
    val = mem.access(st, v.prog_type, insn.src, insn.off, insn.size, write=False, value=None,
                     insn=i, sign_ext=insn.mode == Mode.MEMSX, attach=v.attach)
    assert val is not None
    st.regs[insn.dst] = val
    st.frame.origins[insn.dst] = i
    st.insn = i + 1
    return Flow.NEXT


def step_store(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """``*(size *)(dst + off) = src`` (STX), ``= imm`` (ST), or an atomic operation."""
    size = insn.size
    if not (insn.mode == Mode.ATOMIC and insn.imm & U32 == AtomicOp.LOAD_ACQ):
        read_reg(st, insn.dst, i)  # load_acquire writes dst (its address is in src)
    if insn.cls == Class.ST:
        value = Reg.const(insn.imm if size == 8 else insn.imm & ((1 << (8 * size)) - 1))
        mem.access(st, v.prog_type, insn.dst, insn.off, size, write=True, value=value,
                   insn=i, attach=v.attach)
    else:
        value = read_reg(st, insn.src, i)
        if insn.mode == Mode.ATOMIC:
            _atomic(v, st, insn, i, size, value)
        else:
            mem.access(st, v.prog_type, insn.dst, insn.off, size, write=True, value=value,
                       insn=i, attach=v.attach)
    st.insn = i + 1
    return Flow.NEXT


def _atomic(v: Session, st: State, insn: Insn, i: int, size: int, value: Reg) -> None:
    imm = insn.imm & U32
    if imm == AtomicOp.LOAD_ACQ:  # dst = *(src + off)
        val = mem.access(st, v.prog_type, insn.src, insn.off, size, write=False, value=None,
                         insn=i, attach=v.attach)
        assert val is not None
        st.regs[insn.dst] = val
        return
    if imm == AtomicOp.STORE_REL:
        mem.access(st, v.prog_type, insn.dst, insn.off, size, write=True, value=value,
                   insn=i, attach=v.attach)
        return
    target = st.regs[insn.dst]
    _atomic_alignment(target, insn, size, i)
    if target.type is RT.PTR_TO_CTX or target.type.is_packet:
        raise Reject(i, f"BPF_ATOMIC stores into R{insn.dst} {target.type_label()} is not "
                     "allowed", "bad_pointer_deref", reg=insn.dst)
    if imm == AtomicOp.CMPXCHG:  # cmpxchg reads r0
        read_reg(st, 0, i)
    mem.access(st, v.prog_type, insn.dst, insn.off, size, write=False, value=None, insn=i,
               attach=v.attach)
    mem.access(st, v.prog_type, insn.dst, insn.off, size, write=True, value=Reg.scalar(),
               insn=i)
    if imm & FETCH:  # the old value lands in src (r0 for cmpxchg)
        out = 0 if imm == AtomicOp.CMPXCHG else insn.src
        st.regs[out] = Reg.scalar(Scalar.unknown().truncate(size))


def _atomic_alignment(target: Reg, insn: Insn, size: int, i: int) -> None:
    """Atomic read-modify-write needs natural alignment on every memory kind."""
    if not target.is_pointer or target.maybe_null or target.type is RT.PTR_TO_STACK:
        return  # (stack: the stack check says it with its own words)
    at = target.var.var_off.add(Tnum.const((target.off + insn.off) & U64))
    if not at.is_aligned(size):
        desc = _ATOMIC_DESC.get(target.type, "")
        var = target.var
        where = str(var.value) if var.is_const else var.var_off.fmt()
        raise Reject(i, f"misaligned {desc}access off {where}+{target.off}+{insn.off} "
                     f"size {size}", "misaligned_access", reg=insn.dst)


def step_ld(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """``lddw`` (constants, maps, map values, functions) and LD_ABS/LD_IND."""
    if insn.opcode == LDDW:
        _lddw(v, st, insn, i)
        st.frame.origins[insn.dst] = i
    else:
        _ld_abs(v, st, insn, i)
        st.frame.origins[0] = i
    st.insn = i + 1
    return Flow.NEXT


def _lddw(v: Session, st: State, insn: Insn, i: int) -> None:
    check_writable(insn.dst, i)
    src = insn.src
    if src == PseudoSrc.IMM:
        st.regs[insn.dst] = Reg.const(insn.imm & U64)
    elif src in _MAP_PSEUDOS:
        m = v.maprefs.get(i)
        if m is None:
            raise Reject(i, "fd 0 is not pointing to valid bpf_map", "helper_arg_type")
        if src in _MAP_POINTERS:
            st.regs[insn.dst] = Reg.ptr(RT.CONST_PTR_TO_MAP, map=m)
        else:
            off = v.program.refs[i].offset
            st.regs[insn.dst] = Reg.ptr(RT.PTR_TO_MAP_VALUE, off=off, map=m)
    elif src == PseudoSrc.FUNC:
        if not v.func_info:
            raise Reject(i, "missing btf func_info", "missing_func_info")
        target = v.index.get(v.slots[i] + 1 + insn.imm, -1)
        st.regs[insn.dst] = Reg.ptr(RT.PTR_TO_FUNC, subprog=target)
    else:
        st.regs[insn.dst] = Reg.ptr(RT.PTR_TO_BTF_ID)


def _ld_abs(v: Session, st: State, insn: Insn, i: int) -> None:
    if v.prog_type not in LD_ABS_TYPES:
        raise Reject(i, "BPF_LD_[ABS|IND] instructions not allowed for this program type",
                     "ld_abs_not_allowed")
    if st.regs[6].type is not RT.PTR_TO_CTX:
        raise Reject(i, "at the time of BPF_LD_ABS|IND R6 != pointer to skb",
                     "ld_abs_not_allowed", reg=6)
    if insn.mode == Mode.IND:
        read_reg(st, insn.src, i)
    for r in range(1, 6):
        st.regs[r] = Reg.not_init()
    st.regs[0] = Reg.scalar(Scalar.unknown().truncate(insn.size))


__all__ = ["LD_ABS_TYPES", "step_ld", "step_ldx", "step_store"]
