"""Loads and stores: LDX, ST, STX (atomics included) and the LD class (``lddw``, LD_ABS/IND).

Each instruction names its memory through a base register and an offset; the region rules
(stack, map value, context, packet, kernel objects...) are the kernel's ``check_mem_access``,
in `pybpf.verifier.mem`. Atomic read-modify-write operations read then write their operand
and need it naturally aligned (``check_atomic``); ``lddw`` materialises constants, map
pointers, map values, kernel variables and function addresses (``check_ld_imm``);
LD_ABS/LD_IND are the legacy packet loads (``check_ld_abs``). An instruction that accesses
memory through one kind of pointer on one path cannot use another kind on another
(``save_aux_ptr_type``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import LDDW, AtomicOp, Class, Insn, Mode, PseudoSrc
from ..isa.opcodes import FETCH
from . import btf_types, mem
from .calls import check_ptr_off
from .flow import Flow
from .operands import FRAME_POINTER, check_writable, read_reg
from .refs import check_resource_leak
from .report import Reject
from .state import PERCPU, RDONLY, RT, TRUSTED, Reg, State, type_str
from .tnum import U32, U64

if TYPE_CHECKING:
    from .session import Session

# enum members as globals: read from its class (``RT.SCALAR``) a member is a class
# attribute lookup at every step; a global is the cheapest read
_ATOMIC_CMPXCHG = AtomicOp.CMPXCHG
_ATOMIC_LOAD_ACQ = AtomicOp.LOAD_ACQ
_ATOMIC_STORE_REL = AtomicOp.STORE_REL
_CLS_ST = Class.ST
_FLOW_NEXT = Flow.NEXT
_MODE_ATOMIC = Mode.ATOMIC
_MODE_IND = Mode.IND
_MODE_MEMSX = Mode.MEMSX
_PSEUDO_FUNC = PseudoSrc.FUNC
_PSEUDO_IMM = PseudoSrc.IMM
_RT_NOT_INIT = RT.NOT_INIT
_RT_CONST_PTR_TO_MAP = RT.CONST_PTR_TO_MAP
_RT_PTR_TO_BTF_ID = RT.PTR_TO_BTF_ID
_RT_PTR_TO_CTX = RT.PTR_TO_CTX
_RT_PTR_TO_FUNC = RT.PTR_TO_FUNC
_RT_PTR_TO_MAP_VALUE = RT.PTR_TO_MAP_VALUE
_RT_PTR_TO_MEM = RT.PTR_TO_MEM

#: program types that may use the legacy packet loads
LD_ABS_TYPES = frozenset({"socket_filter", "sched_cls", "sched_act"})
_MAP_PSEUDOS = (PseudoSrc.MAP_FD, PseudoSrc.MAP_VALUE, PseudoSrc.MAP_IDX, PseudoSrc.MAP_IDX_VALUE)
_MAP_POINTERS = (PseudoSrc.MAP_FD, PseudoSrc.MAP_IDX)
_NO_ATOMIC = (RT.PTR_TO_CTX, RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_META, RT.PTR_TO_FLOW_KEYS,
              RT.PTR_TO_SOCKET, RT.PTR_TO_SOCK_COMMON, RT.PTR_TO_TCP_SOCK, RT.PTR_TO_XDP_SOCK)
#: pointer kinds an instruction may see differently on different paths
_MISMATCH_NOT_OK = (RT.PTR_TO_CTX, RT.PTR_TO_SOCKET, RT.PTR_TO_SOCK_COMMON, RT.PTR_TO_TCP_SOCK,
                    RT.PTR_TO_XDP_SOCK, RT.PTR_TO_BTF_ID, RT.PTR_TO_ARENA)


def _save_ptr_type(v: Session, i: int, reg: Reg, allow_trust_mismatch: bool) -> None:
    """save_aux_ptr_type: one instruction must keep the kind of pointer it dereferences."""
    seen = v.insn_ptr_types
    t = (reg.type, reg.flags)
    old = seen.get(i)
    if old is None:
        seen[i] = t
        return
    if old == t:
        return
    base_old, base_new = old[0], t[0]
    if allow_trust_mismatch and base_old is _RT_PTR_TO_BTF_ID and base_new is _RT_PTR_TO_BTF_ID:
        seen[i] = (_RT_PTR_TO_BTF_ID, 0)
        return
    if base_old in _MISMATCH_NOT_OK or base_new in _MISMATCH_NOT_OK:
        if base_old is not base_new or old != t:
            raise Reject(i, "same insn cannot be used with different pointers", "bad_pointer_deref")


def step_ldx(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """``dst = *(size *)(src + off)``, sign-extending with the MEMSX mode."""
    s, d = insn.src, insn.dst
    frame = st.frames[-1]
    regs = frame.regs
    src = regs[s]
    if src.type is _RT_NOT_INIT:
        read_reg(st, s, i)  # (rejects)
    if d == FRAME_POINTER:
        check_writable(d, i)
    val = mem.access(v, st, s, insn.off, insn.size, write=False, value=None,
                     value_regno=d, insn=i, sign_ext=insn.mode == _MODE_MEMSX)
    assert val is not None
    regs[d] = val
    _save_ptr_type(v, i, src, True)
    frame.origins[d] = i
    st.insn = i + 1
    return _FLOW_NEXT


def step_store(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """``*(size *)(dst + off) = src`` (STX), ``= imm`` (ST), or an atomic operation."""
    size = insn.size
    if insn.cls == _CLS_ST:
        read_reg(st, insn.dst, i)
        dst = st.regs[insn.dst]
        mem.access(v, st, insn.dst, insn.off, size, write=True, value=None, value_regno=-1,
                   insn=i, st_imm=insn.imm & U64)
        _save_ptr_type(v, i, dst, False)
    elif insn.mode == _MODE_ATOMIC:
        _atomic(v, st, insn, i, size)
    else:
        regs = st.frames[-1].regs
        s, d = insn.src, insn.dst
        src, dst = regs[s], regs[d]
        if src.type is _RT_NOT_INIT or dst.type is _RT_NOT_INIT:
            read_reg(st, s, i)  # (rejects)
            read_reg(st, d, i)
        mem.access(v, st, d, insn.off, size, write=True, value=src, value_regno=s, insn=i)
        _save_ptr_type(v, i, dst, False)
    st.insn = i + 1
    return _FLOW_NEXT


def _atomic(v: Session, st: State, insn: Insn, i: int, size: int) -> None:
    imm = insn.imm & U32
    if imm == _ATOMIC_LOAD_ACQ:  # dst = *(src + off)
        read_reg(st, insn.src, i)
        check_writable(insn.dst, i)
        src = st.regs[insn.src]
        val = mem.access(v, st, insn.src, insn.off, size, write=False, value=None,
                         value_regno=insn.dst, insn=i, strict=True)
        assert val is not None
        st.regs[insn.dst] = val
        _save_ptr_type(v, i, src, False)
        if src.type in _NO_ATOMIC:
            raise Reject(i, f"BPF_ATOMIC loads from R{insn.src} {type_str(src.type, src.flags)} "
                         "is not allowed", "bad_pointer_deref", reg=insn.src)
        return
    if imm == _ATOMIC_STORE_REL:
        read_reg(st, insn.src, i)
        read_reg(st, insn.dst, i)
        dst = st.regs[insn.dst]
        mem.access(v, st, insn.dst, insn.off, size, write=True, value=st.regs[insn.src],
                   value_regno=insn.src, insn=i, strict=True)
        _save_ptr_type(v, i, dst, False)
        if dst.type in _NO_ATOMIC:
            raise Reject(i, f"BPF_ATOMIC stores into R{insn.dst} {type_str(dst.type, dst.flags)} "
                         "is not allowed", "bad_pointer_deref", reg=insn.dst)
        return
    if size not in (4, 8):
        raise Reject(i, "invalid atomic operand size", "invalid_insn")
    read_reg(st, insn.src, i)
    read_reg(st, insn.dst, i)
    if imm == _ATOMIC_CMPXCHG:  # cmpxchg reads r0
        read_reg(st, 0, i)
    target = st.regs[insn.dst]
    if target.type in _NO_ATOMIC:
        raise Reject(i, f"BPF_ATOMIC stores into R{insn.dst} {type_str(target.type, target.flags)} "
                     "is not allowed", "bad_pointer_deref", reg=insn.dst)
    load_reg = -1
    if imm & FETCH:
        load_reg = 0 if imm == _ATOMIC_CMPXCHG else insn.src
        check_writable(load_reg, i)
        st.regs[load_reg] = Reg.scalar()
    mem.access(v, st, insn.dst, insn.off, size, write=False, value=None, value_regno=-1, insn=i,
               strict=True, want=False)
    if load_reg >= 0:
        val = mem.access(v, st, insn.dst, insn.off, size, write=False, value=None,
                         value_regno=load_reg, insn=i, strict=True)
        assert val is not None
        st.regs[load_reg] = val
    mem.access(v, st, insn.dst, insn.off, size, write=True, value=None, value_regno=-1, insn=i,
               strict=True)


def step_ld(v: Session, st: State, insn: Insn, i: int) -> Flow:
    """``lddw`` (constants, maps, map values, kernel variables, functions) and LD_ABS/LD_IND."""
    if insn.opcode == LDDW:
        _lddw(v, st, insn, i)
        st.frame.origins[insn.dst] = i
    else:
        _ld_abs(v, st, insn, i)
        st.frame.origins[0] = i
    st.insn = i + 1
    return _FLOW_NEXT


def _lddw(v: Session, st: State, insn: Insn, i: int) -> None:
    check_writable(insn.dst, i)
    src = insn.src
    if src == _PSEUDO_IMM:
        st.regs[insn.dst] = Reg.const(insn.imm & U64)
    elif src in _MAP_PSEUDOS:
        m = v.maprefs.get(i)
        if m is None:
            raise Reject(i, "fd 0 is not pointing to valid bpf_map", "helper_arg_type")
        if src in _MAP_POINTERS:
            st.regs[insn.dst] = Reg.ptr(_RT_CONST_PTR_TO_MAP, map=m)
        elif m.type == "arena":
            st.regs[insn.dst] = Reg.scalar()
        else:
            off = v.program.refs[i].offset
            st.regs[insn.dst] = Reg.ptr(_RT_PTR_TO_MAP_VALUE, off=off, map=m)
    elif src == _PSEUDO_FUNC:
        if not v.func_info:
            raise Reject(i, "missing btf func_info", "missing_func_info")
        target = v.index.get(v.slots[i] + 1 + insn.imm, -1)
        if v.is_global(target):
            raise Reject(i, "callback function not static", "helper_arg_type")
        st.regs[insn.dst] = Reg.ptr(_RT_PTR_TO_FUNC, subprog=target)
    else:
        st.regs[insn.dst] = _ksym(insn.imm)


def _ksym(btf_id: int) -> Reg:
    """A kernel variable (``extern ... __ksym``): its BTF type decides the pointer kind."""
    b = btf_types.kernel()
    try:
        var = b[btf_id]
        tid, rec = btf_types.skip_modifiers(b, var.type)
    except Exception:  # noqa: BLE001 - an id the loader did not resolve
        return Reg.ptr(_RT_PTR_TO_BTF_ID)
    if _is_percpu_var(btf_id):
        return Reg.ptr(_RT_PTR_TO_BTF_ID, flags=PERCPU, btf_id=tid)
    if not btf_types.is_struct(rec):
        return Reg.ptr(_RT_PTR_TO_MEM, flags=RDONLY, mem_size=b.size_of(tid))
    return Reg.ptr(_RT_PTR_TO_BTF_ID, flags=TRUSTED, btf_id=tid)


def _is_percpu_var(var_id: int) -> bool:
    b = btf_types.kernel()
    try:
        sec = b[btf_types.find(b, ".data..percpu", "datasec")]
    except Exception:  # noqa: BLE001
        return False
    return any(vs.type == var_id for vs in sec.vars)


def _ld_abs(v: Session, st: State, insn: Insn, i: int) -> None:
    if v.prog_type not in LD_ABS_TYPES:
        raise Reject(i, "BPF_LD_[ABS|IND] instructions not allowed for this program type",
                     "ld_abs_not_allowed")
    read_reg(st, 6, i)
    check_resource_leak(v, st, i, main=True, prefix="BPF_LD_[ABS|IND]")
    if st.regs[6].type is not _RT_PTR_TO_CTX:
        raise Reject(i, "at the time of BPF_LD_ABS|IND R6 != pointer to skb",
                     "ld_abs_not_allowed", reg=6)
    if insn.mode == _MODE_IND:
        read_reg(st, insn.src, i)
    check_ptr_off(i, 6, st.regs[6], False)
    for r in range(0, 6):
        st.regs[r] = Reg.not_init()
    st.regs[0] = Reg.scalar()


__all__ = ["LD_ABS_TYPES", "step_ld", "step_ldx", "step_store"]
