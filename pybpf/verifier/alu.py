"""Arithmetic instructions: the kernel's ``check_alu_op`` and ``adjust_ptr_min_max_vals``.

Scalars go through `pybpf.verifier.scalar` (the kernel's ``adjust_scalar_min_max_vals``);
a pointer operand goes through `pointer_arith`, which allows only what the kernel allows
(adding or subtracting a bounded scalar, per pointer type) and keeps the fixed and variable
offsets apart. The value of a scalar added to a pointer matters, so it is marked precise
(`pybpf.verifier.precision`). Copies of a scalar share an id, and ``r1 = r2; r1 += K``
keeps the link with the constant (``ADD_CONST``), so a later branch on one narrows the
other. Before ``dst &= K`` / ``dst |= K`` a scalar known to be -1 or 0 is split in two
paths (the kernel's ``maybe_fork_scalars``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import AluOp, Class, Insn
from .flow import Flow
from .operands import FRAME_POINTER, check_writable, read_reg
from .report import Reject
from .scalar import S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar
from .scalar_alu import alu_binary, const_value, fork_minus_one_or_zero, is_safe_to_compute
from .state import ADD_CONST, ADD_CONST32, ADD_CONST64, MAYBE_NULL, RT, UNTRUSTED, Reg, State, type_str
from .tnum import U32, U64

if TYPE_CHECKING:
    from .session import Session

# enum members as globals: read from its class (``RT.SCALAR``) a member is a class
# attribute lookup at every step; a global is the cheapest read
_ALU_ADD = AluOp.ADD
_ALU_AND = AluOp.AND
_ALU_DIV = AluOp.DIV
_ALU_END = AluOp.END
_ALU_MOD = AluOp.MOD
_ALU_NEG = AluOp.NEG
_ALU_OR = AluOp.OR
_ALU_SUB = AluOp.SUB
_ALU_XOR = AluOp.XOR
_CLS_ALU64 = Class.ALU64
_FLOW_NEXT = Flow.NEXT
_RT_CONST_PTR_TO_MAP = RT.CONST_PTR_TO_MAP
_RT_PTR_TO_FLOW_KEYS = RT.PTR_TO_FLOW_KEYS
_RT_PTR_TO_MEM = RT.PTR_TO_MEM
_RT_NOT_INIT = RT.NOT_INIT
_RT_PTR_TO_STACK = RT.PTR_TO_STACK
_RT_SCALAR = RT.SCALAR

BPF_MAX_VAR_OFF = 1 << 29
_U32 = 0xFFFFFFFF

_OP_NAME = {AluOp.ADD: "+=", AluOp.SUB: "-=", AluOp.MUL: "*=", AluOp.DIV: "/=", AluOp.OR: "|=",
            AluOp.AND: "&=", AluOp.LSH: "<<=", AluOp.RSH: ">>=", AluOp.NEG: "neg",
            AluOp.MOD: "%=", AluOp.XOR: "^=", AluOp.MOV: "=", AluOp.ARSH: "s>>=",
            AluOp.END: "endian"}
_SHIFTS = (AluOp.LSH, AluOp.RSH, AluOp.ARSH)
#: operations `_known_alu` computes on two known numbers (not div/mod: no bounds; not
#: mov/neg/end: their own paths)
_KNOWN_OPS = frozenset({AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.AND, AluOp.OR, AluOp.XOR,
                        AluOp.LSH, AluOp.RSH, AluOp.ARSH})
_SCALAR, _ALU64 = RT.SCALAR, Class.ALU64
_ADD, _SUB, _MOV, _AND, _OR = AluOp.ADD, AluOp.SUB, AluOp.MOV, AluOp.AND, AluOp.OR
#: pointer types arithmetic may move (adjust_ptr_min_max_vals' allowed list)
_ARITH_OK = frozenset({RT.PTR_TO_CTX, RT.PTR_TO_MAP_VALUE, RT.PTR_TO_MAP_KEY, RT.PTR_TO_STACK,
                       RT.PTR_TO_PACKET_META, RT.PTR_TO_PACKET, RT.PTR_TO_TP_BUFFER,
                       RT.PTR_TO_BTF_ID, RT.PTR_TO_MEM, RT.PTR_TO_BUF, RT.PTR_TO_FUNC,
                       RT.CONST_PTR_TO_DYNPTR})


def step(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """Run one ALU/ALU64 instruction on ``st``."""
    op = insn.op
    if op == _MOV:  # the commonest: straight to its own path
        _mov(v, st, insn, i, insn.cls == _CLS_ALU64)
    elif op in _KNOWN_OPS and not st.frames[-1].regs[insn.dst].var.var_off.mask and \
            _known_alu(v, st, insn, i, op):  # (a destination with unknown bits never is)
        return _FLOW_NEXT
    else:
        _alu(v, st, insn, i, op)
    st.frames[-1].origins[insn.dst] = i
    st.insn = i + 1
    return _FLOW_NEXT


def _known_alu(v: Session, st: State, insn: Insn, i: int, op: int) -> bool:
    """``dst op= src`` when both are known numbers and ``dst`` has no id: the value itself
    (`scalar_alu.const_value`), what `_alu` reaches through every check and bounds path
    (nothing to reject, no fork, no link, no pointer). False: not that case, nothing done."""
    frame = st.frames[-1]
    regs = frame.regs
    d = insn.dst
    dst = regs[d]
    if dst.type is not _SCALAR or dst.id or d == FRAME_POINTER:
        return False
    a = dst.var
    vo = a.var_off
    if vo.mask or not a.umin == vo.value == a.umax or a.smin != a.smax or \
            a.u32_min != a.u32_max or a.s32_min != a.s32_max:
        return False
    alu64 = insn.cls == _ALU64
    if insn.uses_src_reg:
        src = regs[insn.src]
        if src.type is not _SCALAR:
            return False
        b = src.var
        bo = b.var_off
        if bo.mask or not b.umin == bo.value == b.umax or b.smin != b.smax or \
                b.u32_min != b.u32_max or b.s32_min != b.s32_max:
            return False
        k = bo.value
        if op in _SHIFTS and k >= (64 if alu64 else 32):
            return False
        if dst.precise:
            v.mark_precise(st, insn.src)
    else:
        k = insn.imm & U64
        if op in _SHIFTS and not 0 <= insn.imm < (64 if alu64 else 32):
            return False
    regs[d] = Reg.scalar(Scalar.const(const_value(op, vo.value, k, alu64)))
    frame.origins[d] = i
    st.insn = i + 1
    return True


def _before_safe_range(op: int, src: Scalar, alu64: bool, val: Scalar) -> Scalar:
    """adjust_scalar_min_max_vals before is_safe_to_compute_dst_reg_range (a kernel without
    ``alu_safe_range``, 6.1): with an unknown operand, every operation but add, sub and and
    leaves all 64 bits unknown; with a known one, a result it does not bound (div, mod, a
    shift past the width) of a 32-bit operation is an unknown 32-bit number."""
    known = src.var_off.mask == 0 if alu64 else not src.var_off.mask & U32
    if not known and op not in (_ALU_ADD, _ALU_SUB, _ALU_AND):
        return Scalar.unknown()
    if known and not alu64 and not is_safe_to_compute(op, src, alu64):
        return Scalar.unknown().zext32()
    return val


def _alu(v: Session, st: State, insn: Insn, i: int, op: int) -> None:
    alu64 = insn.cls == _CLS_ALU64
    d = insn.dst
    regs = st.regs
    if op == _ALU_END or op == _ALU_NEG:
        dst = read_reg(st, d, i)
        check_writable(d, i)
        if dst.type is not _RT_SCALAR or not v.kernel.has_feature(
                "neg_bounds" if op == _ALU_NEG else "byte_swap_bounds"):
            regs[d] = Reg.scalar()  # root's pointer, or a kernel that keeps no bounds here
            return
        if op == _ALU_NEG:
            regs[d] = Reg.scalar(dst.var.neg(alu64=alu64))
            return
        val = dst.var.end(insn.imm, to_be=insn.uses_src_reg, alu64=alu64)
        keep = not alu64 and not insn.uses_src_reg and insn.imm == 64  # le64: no change
        regs[d] = dst.with_(var=val) if keep and dst.id else Reg.scalar(val)
        return
    if op == _MOV:
        _mov(v, st, insn, i, alu64)
        return
    x = insn.uses_src_reg
    # read_reg (source, then destination) and check_writable, inline
    if x and regs[insn.src].type is _RT_NOT_INIT:
        read_reg(st, insn.src, i)  # (rejects)
    dst = regs[d]
    if dst.type is _RT_NOT_INIT:
        read_reg(st, d, i)  # (rejects)
    if not x:
        if (op == _ALU_DIV or op == _ALU_MOD) and insn.imm == 0:
            raise Reject(i, "div by zero", "div_by_zero")
        if op in _SHIFTS and not 0 <= insn.imm < (64 if alu64 else 32):
            raise Reject(i, f"invalid shift {insn.imm}", "invalid_shift", detail=insn.imm)
    if d == FRAME_POINTER:
        check_writable(d, i)  # (rejects)
    if x:
        src = regs[insn.src]
        if src.type is not _RT_SCALAR:
            if dst.type is not _RT_SCALAR:
                if op == _SUB:  # pointer - pointer is a number (root)
                    regs[d] = Reg.scalar()
                    return
                raise Reject(i, f"R{d} pointer {_OP_NAME[AluOp(op)]} pointer prohibited",
                             "pointer_arith_prohibited", reg=d)
            v.mark_precise(st, d)  # scalar += pointer
            regs[d] = pointer_arith(v, st, insn, i, op, alu64, src, dst)
            return
        if dst.type is not _RT_SCALAR:
            v.mark_precise(st, insn.src)
            regs[d] = pointer_arith(v, st, insn, i, op, alu64, dst, src)
            return
        if dst.precise:
            v.mark_precise(st, insn.src)
    else:
        src = Reg.const(insn.imm)
        if dst.type is not _RT_SCALAR:
            regs[d] = pointer_arith(v, st, insn, i, op, alu64, dst, src)
            return
    if (op == _AND or op == _OR) and src.var.is_const:
        sides = fork_minus_one_or_zero(dst.var)
        if sides is not None:  # maybe_fork_scalars: the zero side re-runs this insn later
            zero, minus = sides
            other = v.push_branch(st, i, i)
            other.regs[d] = Reg.scalar(zero) if zero.is_const else dst.with_(var=zero)
            dst = Reg.scalar(minus) if minus.is_const else dst.with_(var=minus)
            regs[d] = dst
    dst_umax = dst.var.umax
    val = alu_binary(dst.var, int(op), src.var, alu64)  # (Scalar.alu, one call less)
    features = v.kernel.features  # (has_feature's lookup, one call less)
    if not features.get("alu_safe_range", True):
        val = _before_safe_range(op, src.var, alu64, val)
    if not dst.id:
        regs[d] = Reg.scalar(val)
        return
    new_id, new_off = 0, 0
    # a 32-bit add keeps the link since 6.13 (linked_reg_add_const32)
    if dst.id and (op == _ADD or op == _SUB) and src.var.is_const_width(not alu64) and \
            not (x and insn.src == d) and (alu64 or v.kernel.has_feature("linked_reg_add_const32")):
        k = src.var.const_value(not alu64)
        if not alu64 or S32_MIN <= _s64(k) <= S32_MAX:
            if not (not alu64 and dst_umax > U32):
                delta = _s32(k)
                off: int | None = delta
                if op == _SUB:
                    off = None if delta == S32_MIN else -delta
                if off is not None and not dst.id & ADD_CONST:
                    new_id = dst.id | (ADD_CONST64 if alu64 else ADD_CONST32)
                    new_off = off
    regs[d] = Reg.scalar(val, id=new_id).with_(off=new_off) if new_id else Reg.scalar(val)


def _s64(k: int) -> int:
    k &= U64
    return k - (1 << 64) if k >> 63 else k


def _s32(k: int) -> int:
    k &= U32
    return k - (1 << 32) if k >> 31 else k


def _mov(v: Session, st: State, insn: Insn, i: int, alu64: bool) -> None:
    regs = st.frames[-1].regs
    d = insn.dst
    if not insn.uses_src_reg:
        if d == FRAME_POINTER:
            check_writable(d, i)
        regs[d] = Reg.const(insn.imm if alu64 else insn.imm & _U32)
        return
    s = insn.src
    src = regs[s]
    if src.type is _RT_NOT_INIT:
        read_reg(st, s, i)  # (rejects)
    if d == FRAME_POINTER:
        check_writable(d, i)
    if alu64:
        if insn.off == 0:  # r1 = r2: the copy is linked to its source
            if src.type is _RT_SCALAR and (src.id & ADD_CONST or not src.id):
                id_before_mov(v, st, s)
                src = regs[s]
            regs[d] = src
            return
        src = regs[s]
        if src.type is _RT_SCALAR:  # r1 = (s8, s16, s32) r2
            no_sext = src.var.umax < (1 << (insn.off - 1))
            if no_sext:
                id_before_mov(v, st, s)
                src = regs[s]
            val = src.var.movsx(insn.off, alu64=True, subreg_range=v.kernel.has_feature("movsx_subreg_range"))
            regs[d] = src.with_(var=val) if no_sext and src.id else Reg.scalar(val)
        else:
            regs[d] = Reg.scalar()
        return
    src = regs[s]
    if src.type is not _RT_SCALAR:  # w1 = w2 on a pointer: a number (root)
        regs[d] = Reg.scalar(Scalar.unknown().mov32())
        return
    if insn.off == 0:
        fits = src.var.umax.bit_length() <= 32
        if fits:
            id_before_mov(v, st, s)
            src = regs[s]
        val = src.var.mov32()
        regs[d] = src.with_(var=val) if fits and src.id else Reg.scalar(val)
        return
    no_sext = src.var.umax < (1 << (insn.off - 1))
    if no_sext:
        id_before_mov(v, st, s)
        src = regs[s]
    val = src.var.movsx(insn.off, alu64=False)
    regs[d] = src.with_(var=val) if no_sext and src.id else Reg.scalar(val)


def id_before_mov(v: Session, st: State, s: int) -> None:
    """assign_scalar_id_before_mov: give the source an id its copy will share (a move, or a
    spill: `pybpf.verifier.mem`)."""
    src = st.regs[s]
    if src.type is not _RT_SCALAR:
        return
    if src.id & ADD_CONST:
        src = src.with_(id=0, off=0)
        st.regs[s] = src
    if not src.id and not src.var.is_const:
        st.regs[s] = src.with_(id=v.new_id())


def _sane(i: int, reg_var: Scalar, off: int, t: RT, flags: int, d: int) -> None:
    """check_reg_sane_offset."""
    smin = reg_var.smin
    if -BPF_MAX_VAR_OFF < off < BPF_MAX_VAR_OFF and -BPF_MAX_VAR_OFF < smin < BPF_MAX_VAR_OFF \
            and (reg_var.var_off.mask or -BPF_MAX_VAR_OFF < reg_var.signed_value() < BPF_MAX_VAR_OFF):
        return  # (smin is past S64_MIN)
    label = type_str(t, flags)
    if reg_var.is_const:
        val = reg_var.signed_value()
        if val >= BPF_MAX_VAR_OFF or val <= -BPF_MAX_VAR_OFF:
            raise Reject(i, f"math between {label} pointer and {val} is not allowed",
                         "pointer_arith_prohibited", reg=d)
    if off >= BPF_MAX_VAR_OFF or off <= -BPF_MAX_VAR_OFF:
        raise Reject(i, f"{label} pointer offset {off} is not allowed",
                     "pointer_arith_prohibited", reg=d)
    if smin == S64_MIN:
        raise Reject(i, f"math between {label} pointer and register with unbounded min value "
                     "is not allowed", "unbounded_pointer_math", reg=d)
    if smin >= BPF_MAX_VAR_OFF or smin <= -BPF_MAX_VAR_OFF:
        raise Reject(i, f"value {smin} makes {label} pointer be out of bounds",
                     "unbounded_pointer_math", reg=d)


def pointer_arith(v: Session, st: State, insn: Insn, i: int, op: int, alu64: bool, ptr: Reg,
                  off_reg: Reg) -> Reg:
    """``dst op= src`` with a pointer on one side (``adjust_ptr_min_max_vals``)."""
    d = insn.dst
    o = off_reg.var
    known = o.is_const
    if (known and (o.smin != o.smax or o.umin != o.umax)) or o.smin > o.smax or o.umin > o.umax:
        return Reg.scalar()
    if not alu64:  # root may subtract (a meaningless number); nothing else
        if op == _SUB:
            return Reg.scalar()
        raise Reject(i, f"R{d} 32-bit pointer arithmetic prohibited", "pointer_32bit", reg=d)
    t, flags = ptr.type, ptr.flags
    if flags & MAYBE_NULL:
        raise Reject(i, f"R{d} pointer arithmetic on {type_str(t, flags)} prohibited, "
                     "null-check it first", "pointer_arith_prohibited", reg=d,
                     type_label=type_str(t, flags))
    if t is _RT_PTR_TO_MEM and flags & UNTRUSTED:
        return st.regs[d]
    if t not in _ARITH_OK:
        allowed = ((t is _RT_PTR_TO_FLOW_KEYS and known)
                   or (t in (_RT_PTR_TO_FLOW_KEYS, _RT_CONST_PTR_TO_MAP) and known
                       and o.smin == 0 and op == _ADD))
        if not allowed:
            raise Reject(i, f"R{d} pointer arithmetic on {type_str(t, flags)} prohibited",
                         "pointer_arith_prohibited", reg=d, type_label=type_str(t, flags))
    # the scalar operand's register (``ptr += scalar`` or ``scalar += ptr``) and the pointer's
    off_regno = insn.src if insn.uses_src_reg and st.regs[d] is ptr else d
    ptr_regno = insn.src if off_regno == d and insn.uses_src_reg else d
    _sane(i, o, off_reg.off, t, flags, off_regno)
    _sane(i, ptr.var, ptr.off, t, flags, ptr_regno)
    pv = ptr.var
    if op == _ADD:
        k = o.smin
        if known and -(1 << 31) <= ptr.off + k < (1 << 31):
            out = ptr.with_(off=ptr.off + k, var=_ptr_var(pv))
        else:
            smin, smax = pv.smin + o.smin, pv.smax + o.smax
            if not (S64_MIN <= smin <= S64_MAX and S64_MIN <= smax <= S64_MAX):
                smin, smax = S64_MIN, S64_MAX
            umin, umax = pv.umin + o.umin, pv.umax + o.umax
            if umin > U64 or umax > U64:
                umin, umax = 0, U64
            var = Scalar.make(pv.var_off.add(o.var_off), smin, smax, umin, umax)
            out = ptr.with_(var=var)
            if t.is_packet:
                out = out.with_(id=v.new_id(), range=0)
    elif op == _SUB:
        if off_reg is st.regs[d] and ptr is not st.regs[d]:
            raise Reject(i, f"R{d} tried to subtract pointer from scalar",
                         "pointer_arith_prohibited", reg=d)
        if t is _RT_PTR_TO_STACK:
            raise Reject(i, f"R{d} subtraction from stack pointer prohibited",
                         "pointer_arith_prohibited", reg=d)
        k = o.smin
        if known and -(1 << 31) <= ptr.off - k < (1 << 31):
            out = ptr.with_(off=ptr.off - k, var=_ptr_var(pv))
        else:
            smin, smax = pv.smin - o.smax, pv.smax - o.smin
            if not (S64_MIN <= smin <= S64_MAX and S64_MIN <= smax <= S64_MAX):
                smin, smax = S64_MIN, S64_MAX
            if pv.umin < o.umax:
                umin, umax = 0, U64
            else:
                umin, umax = pv.umin - o.umax, pv.umax - o.umin
            var = Scalar.make(pv.var_off.sub(o.var_off), smin, smax, umin, umax)
            out = ptr.with_(var=var)
            if t.is_packet:
                out = out.with_(id=v.new_id())
                if o.smin < 0:
                    out = out.with_(range=0)
    elif op in (_ALU_AND, _ALU_OR, _ALU_XOR):
        raise Reject(i, f"R{d} bitwise operator {_OP_NAME[AluOp(op)]} on pointer prohibited",
                     "pointer_bitwise", reg=d)
    else:
        raise Reject(i, f"R{d} pointer arithmetic with {_OP_NAME[AluOp(op)]} operator "
                     "prohibited", "pointer_arith_prohibited", reg=d)
    _sane(i, out.var, out.off, t, flags, d)
    if ptr is not st.regs[d]:  # scalar += pointer: the scalar's own ids stay
        out = out.with_(ref_obj_id=st.regs[d].ref_obj_id, frameno=st.regs[d].frameno)
    return out


def _ptr_var(pv: Scalar) -> Scalar:
    """A pointer's variable part after ``+= K``: the 32-bit bounds are forgotten
    (``__mark_reg32_unbounded``) and derived again (``reg_bounds_sync``)."""
    if pv.var_off.mask == 0:
        return pv
    return Scalar.make(pv.var_off, pv.smin, pv.smax, pv.umin, pv.umax)


__all__ = ["id_before_mov", "pointer_arith", "step"]
