"""Arithmetic instructions: the kernel's ``check_alu_op`` and ``adjust_ptr_min_max_vals``.

Scalars go through `pybpf.verifier.scalar` (the kernel's ``adjust_scalar_min_max_vals``);
a pointer operand goes through `pointer_arith`, which allows only what the kernel allows
(adding or subtracting a bounded scalar, per pointer type) and keeps the fixed and variable
offsets apart. Before ``dst &= K`` / ``dst |= K`` a scalar known to be -1 or 0 is split in
two paths (`fork_minus_one_or_zero`, the kernel's ``maybe_fork_scalars``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import AluOp, Class, Insn
from .flow import Flow
from .operands import check_writable, read_reg
from .report import Reject
from .scalar import S64_MIN, Scalar
from .scalar_alu import fork_minus_one_or_zero
from .state import RT, Reg, State

if TYPE_CHECKING:
    from .session import Session

BPF_MAX_VAR_OFF = 1 << 29
_U32 = 0xFFFFFFFF

_SYMBOL = {AluOp.ADD: "+=", AluOp.SUB: "-=", AluOp.AND: "&=", AluOp.OR: "|=", AluOp.XOR: "^=",
           AluOp.LSH: "<<=", AluOp.RSH: ">>=", AluOp.ARSH: "s>>=", AluOp.MUL: "*=",
           AluOp.DIV: "/=", AluOp.MOD: "%="}
_SHIFTS = (AluOp.LSH, AluOp.RSH, AluOp.ARSH)
#: pointer types on which no arithmetic is allowed at all
_NO_ARITH = (RT.CONST_PTR_TO_MAP, RT.PTR_TO_PACKET_END, RT.PTR_TO_SOCKET, RT.PTR_TO_SOCK_COMMON,
             RT.PTR_TO_FUNC, RT.PTR_TO_FLOW_KEYS)


def step(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """Run one ALU/ALU64 instruction on ``st``."""
    other = _fork_minus_one_or_zero(st, insn)
    if other is not None:  # the zero side re-runs this instruction later
        v.push_branch(other, i)
    _alu(st, insn, i)
    st.frame.origins[insn.dst] = i
    st.insn = i + 1
    return Flow.NEXT


def _fork_minus_one_or_zero(st: State, insn: Insn) -> State | None:
    """The kernel's maybe_fork_scalars: before ``dst &= K`` / ``dst |= K`` a scalar known
    to be -1 or 0 is split; this path goes on with -1, the returned one with 0."""
    if insn.op not in (AluOp.AND, AluOp.OR) or insn.uses_src_reg:
        return None
    dst = st.regs[insn.dst]
    if not dst.is_scalar:
        return None
    sides = fork_minus_one_or_zero(dst.var)
    if sides is None:
        return None
    zero, minus = sides
    other = st.copy()
    other.parent_insn = st.insn
    other.regs[insn.dst] = dst.with_(var=zero)
    st.regs[insn.dst] = dst.with_(var=minus)
    return other


def _alu(st: State, insn: Insn, i: int) -> None:
    op = insn.op
    alu64 = insn.cls == Class.ALU64
    x = insn.uses_src_reg
    d = insn.dst
    regs = st.regs
    if op == AluOp.END or op == AluOp.NEG:
        dst = read_reg(st, d, i)
        check_writable(d, i)
        if dst.is_pointer:  # root may: the pointer becomes an unknown number
            regs[d] = Reg.scalar()
            return
        val = dst.var.neg(alu64=alu64) if op == AluOp.NEG else \
            dst.var.end(insn.imm, to_be=x, alu64=alu64)
        regs[d] = Reg.scalar(val)
        return
    if op == AluOp.MOV:
        _mov(st, insn, i, alu64, x)
        return
    dst = read_reg(st, d, i)
    if x:
        src = read_reg(st, insn.src, i)
    else:
        if op in (AluOp.DIV, AluOp.MOD) and insn.imm == 0:
            raise Reject(i, "div by zero", "div_by_zero")
        if op in _SHIFTS and not 0 <= insn.imm < (64 if alu64 else 32):
            raise Reject(i, f"invalid shift {insn.imm}", "invalid_shift", detail=insn.imm)
        src = Reg.const(insn.imm)
    check_writable(d, i)
    if dst.is_pointer or src.is_pointer:
        regs[d] = pointer_arith(st, insn, i, op, alu64, dst, src)
        return
    regs[d] = Reg.scalar(dst.var.alu(op, src.var, alu64=alu64, off=insn.off))


def _mov(st: State, insn: Insn, i: int, alu64: bool, x: bool) -> None:
    regs = st.regs
    d = insn.dst
    if not x:
        check_writable(d, i)
        regs[d] = Reg.const(insn.imm if alu64 else insn.imm & _U32)
        return
    src = read_reg(st, insn.src, i)
    check_writable(d, i)
    if insn.off:  # movsx
        regs[d] = Reg.scalar() if src.is_pointer else Reg.scalar(src.var.movsx(insn.off,
                                                                               alu64=alu64))
    elif alu64:
        if src.is_scalar and src.id == 0 and not src.var.is_const:  # the copies are linked
            src = src.with_(id=st.new_id())
            regs[insn.src] = src
        regs[d] = src
    else:
        regs[d] = Reg.scalar(src.var.mov32() if src.is_scalar else Scalar.unknown().mov32())


def pointer_arith(st: State, insn: Insn, i: int, op: int, alu64: bool, dst: Reg,
                  src: Reg) -> Reg:
    """``dst op= src`` with a pointer on either side (``adjust_ptr_min_max_vals``)."""
    d = insn.dst
    sym = _SYMBOL.get(AluOp(op))
    if not alu64:  # root may subtract (a meaningless number); nothing else
        if op == AluOp.SUB:
            return Reg.scalar(Scalar.unknown().mov32())
        raise Reject(i, f"R{d} 32-bit pointer arithmetic prohibited", "pointer_32bit", reg=d)
    if dst.is_pointer and src.is_pointer:
        if op == AluOp.SUB:  # pointer - pointer is a number (root)
            return Reg.scalar()
        raise Reject(i, f"R{d} pointer {sym} pointer prohibited", "pointer_arith_prohibited",
                     reg=d)
    if op in (AluOp.AND, AluOp.OR, AluOp.XOR):
        raise Reject(i, f"R{d} bitwise operator {sym} on pointer prohibited",
                     "pointer_bitwise", reg=d)
    if op not in (AluOp.ADD, AluOp.SUB):
        raise Reject(i, f"R{d} pointer arithmetic with {sym} operator prohibited",
                     "pointer_arith_prohibited", reg=d)
    if src.is_pointer:  # scalar +/- pointer
        if op == AluOp.SUB:
            raise Reject(i, f"R{d} tried to subtract pointer from scalar",
                         "pointer_arith_prohibited", reg=d)
        dst, src = src, dst
    if dst.maybe_null:
        raise Reject(i, f"R{d} pointer arithmetic on {dst.type_label()} prohibited, "
                     "null-check it first", "pointer_arith_prohibited", reg=d,
                     type_label=dst.type_label())
    if dst.type in _NO_ARITH:
        raise Reject(i, f"R{d} pointer arithmetic on {dst.type_label()} prohibited",
                     "pointer_arith_prohibited", reg=d, type_label=dst.type_label())
    if op == AluOp.SUB and dst.type is RT.PTR_TO_STACK:
        raise Reject(i, f"R{d} subtraction from stack pointer prohibited",
                     "pointer_arith_prohibited", reg=d)
    val = src.var
    if val.is_const:
        k = val.value - (1 << 64) if val.value >> 63 else val.value
        if not -BPF_MAX_VAR_OFF < k < BPF_MAX_VAR_OFF:
            raise Reject(i, f"math between {dst.type_label()} pointer and {k} is not allowed",
                         "pointer_arith_prohibited", reg=d)
        new_off = dst.off + (-k if op == AluOp.SUB else k)
        if not -BPF_MAX_VAR_OFF < new_off < BPF_MAX_VAR_OFF:
            raise Reject(i, f"value {k} makes {dst.type_label()} pointer be out of bounds",
                         "pointer_arith_prohibited", reg=d)
        return dst.with_(off=new_off)
    if val.smin == S64_MIN and op == AluOp.ADD:
        raise Reject(i, f"math between {dst.type_label()} pointer and register with unbounded "
                     "min value is not allowed", "unbounded_pointer_math", reg=insn.src)
    if (val.smin >= BPF_MAX_VAR_OFF or val.smin <= -BPF_MAX_VAR_OFF) and op == AluOp.ADD:
        raise Reject(i, f"value {val.smin} makes {dst.type_label()} pointer be out of bounds",
                     "unbounded_pointer_math", reg=insn.src)
    if op == AluOp.SUB and val.smax == (1 << 63) - 1:
        raise Reject(i, f"math between {dst.type_label()} pointer and register with unbounded "
                     "min value is not allowed", "unbounded_pointer_math", reg=insn.src)
    new_var = dst.var.alu(op, val)
    if dst.type.is_packet:
        return dst.with_(var=new_var, id=st.new_id(), range=0)
    return dst.with_(var=new_var)


__all__ = ["pointer_arith", "step"]
