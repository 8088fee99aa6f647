"""Memory accesses through pointers: the kernel's ``check_mem_access`` and its regions.

The pointer type decides the region: the stack (spills and fills of registers, every byte's
kind, the accesses recorded for precision and stack liveness), map values and keys (their
size, read-only and write-only maps, special fields), memory returned by helpers, the
context (per program type, `pybpf.verifier.ctx` and `pybpf.verifier.btf_ctx`), packets (the
range proven by comparisons), sockets, BTF-typed kernel objects
(`pybpf.verifier.btf_types`), map pointers. The fixed offset (``reg.off + insn.off``) plus
the variable part's smallest and largest values must stay inside. Failures raise `Reject`
with the running kernel's message lines (privileged mode: uninitialised stack reads and
pointer spills are allowed, as for root on this kernel).

`helper_access` is ``check_helper_mem_access``: the memory a helper or kfunc argument lets
the kernel read or write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import btf_types, kptrs
from .alu import id_before_mov
from .ctx import ctx_access, sock_access_ok
from .precision import stack_access_flags
from .report import Reject
from .scalar import S64_MIN
from .stack_objects import destroy_dynptr
from .state import (
    ALLOC,
    MAYBE_NULL,
    NON_OWN_REF,
    PERCPU,
    RCU,
    RDONLY,
    RT,
    TRUSTED,
    UNTRUSTED,
    USER,
    Frame,
    Reg,
    Slot,
    State,
    is_trusted,
    type_str,
)
from .tnum import U64, Tnum

if TYPE_CHECKING:
    from .session import Session

# enum members as globals: read from its class (``RT.SCALAR``) a member is a class
# attribute lookup at every step; a global is the cheapest read
_RT_CONST_PTR_TO_MAP = RT.CONST_PTR_TO_MAP
_RT_NOT_INIT = RT.NOT_INIT
_RT_PTR_TO_ARENA = RT.PTR_TO_ARENA
_RT_PTR_TO_BTF_ID = RT.PTR_TO_BTF_ID
_RT_PTR_TO_BUF = RT.PTR_TO_BUF
_RT_PTR_TO_CTX = RT.PTR_TO_CTX
_RT_PTR_TO_FLOW_KEYS = RT.PTR_TO_FLOW_KEYS
_RT_PTR_TO_MAP_KEY = RT.PTR_TO_MAP_KEY
_RT_PTR_TO_MAP_VALUE = RT.PTR_TO_MAP_VALUE
_RT_PTR_TO_MEM = RT.PTR_TO_MEM
_RT_PTR_TO_PACKET_END = RT.PTR_TO_PACKET_END
_RT_PTR_TO_SOCKET = RT.PTR_TO_SOCKET
_RT_PTR_TO_SOCK_COMMON = RT.PTR_TO_SOCK_COMMON
_RT_PTR_TO_STACK = RT.PTR_TO_STACK
_RT_PTR_TO_TP_BUFFER = RT.PTR_TO_TP_BUFFER
_RT_SCALAR = RT.SCALAR

BPF_MAX_VAR_OFF = 1 << 29
BPF_MAX_VAR_SIZ = 1 << 29
STACK = 512
_INVALID, _SPILL, _MISC, _ZERO = Slot.INVALID, Slot.SPILL, Slot.MISC, Slot.ZERO
#: the top ``size`` bytes of a slot holding a spill, by size
_SPILLS = tuple(bytes((_SPILL,)) * n for n in range(9))
_DYNPTR, _ITER, _IRQ = Slot.DYNPTR, Slot.ITER, Slot.IRQ_FLAG

_CTX_RESULT = {"pkt": RT.PTR_TO_PACKET, "pkt_end": RT.PTR_TO_PACKET_END,
               "pkt_meta": RT.PTR_TO_PACKET_META, "flow_keys": RT.PTR_TO_FLOW_KEYS}
#: (prog type family, ctx offset) of data_meta, which the table reports as 'pkt'
_META_OFFSETS = {("xdp", 8), ("skb", 140)}
_SKB_TYPES = {"socket_filter", "sched_cls", "sched_act", "cgroup_skb", "lwt_in", "lwt_out",
              "lwt_xmit", "sk_skb"}
#: program types that may read (and these also write) packets directly
_PKT_READ = {"lwt_in", "lwt_out", "lwt_seg6local", "sk_reuseport", "flow_dissector", "cgroup_skb",
             "sched_cls", "sched_act", "xdp", "lwt_xmit", "sk_skb", "sk_msg", "cgroup_sockopt"}
_PKT_WRITE = {"sched_cls", "sched_act", "xdp", "lwt_xmit", "sk_skb", "sk_msg", "cgroup_sockopt"}
_ALIGN_DESC = {RT.PTR_TO_FLOW_KEYS: "flow keys ", RT.PTR_TO_MAP_KEY: "key ",
               RT.PTR_TO_MAP_VALUE: "value ", RT.PTR_TO_CTX: "context ", RT.PTR_TO_STACK: "stack ",
               RT.PTR_TO_SOCKET: "sock ", RT.PTR_TO_SOCK_COMMON: "sock_common ",
               RT.PTR_TO_TCP_SOCK: "tcp_sock ", RT.PTR_TO_XDP_SOCK: "xdp_sock "}
_SK_TYPES = (RT.PTR_TO_SOCKET, RT.PTR_TO_SOCK_COMMON, RT.PTR_TO_TCP_SOCK, RT.PTR_TO_XDP_SOCK)
#: special map value fields the program may not touch with loads and stores
_FIELD_NAMES = {"spin_lock": "bpf_spin_lock", "res_spin_lock": "bpf_res_spin_lock",
                "timer": "bpf_timer", "wq": "bpf_wq", "list_head": "bpf_list_head",
                "list_node": "bpf_list_node", "rb_root": "bpf_rb_root",
                "rb_node": "bpf_rb_node", "refcount": "bpf_refcount", "task_work": "bpf_task_work",
                "kptr_unref": "kptr", "kptr_ref": "kptr", "kptr_percpu": "percpu_kptr",
                "uptr": "uptr"}
_FIELD_SIZES = {"spin_lock": 4, "res_spin_lock": 4, "timer": 16, "wq": 16, "list_head": 16,
                "list_node": 24, "rb_root": 16, "rb_node": 32, "refcount": 4, "task_work": 8,
                "kptr_unref": 8, "kptr_ref": 8, "kptr_percpu": 8, "uptr": 8}
_KPTRS = ("kptr_unref", "kptr_ref", "kptr_percpu", "uptr")


def _s64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >> 63 else v


# -- alignment, regions ---------------------------------------------------------------------
def check_alignment(reg: Reg, off: int, size: int, insn: int, strict: bool = False) -> None:
    """check_ptr_alignment: strict for the stack (and atomics); x86 allows the rest."""
    t = reg.type
    if size == 1 or t is _RT_PTR_TO_ARENA:
        return
    if t.is_packet:
        if not strict:
            return
        at = reg.var.var_off.add(Tnum.const((2 + reg.off + off) & U64))
        if not at.is_aligned(size):
            raise Reject(insn, f"misaligned packet access off 2+{reg.var.var_off.fmt()}+{reg.off}+"
                         f"{off} size {size}", "misaligned_access")
        return
    if t is _RT_PTR_TO_STACK:
        strict = True
    if not strict:
        return
    vo = reg.var.var_off
    if not vo.mask and not (vo.value + reg.off + off) & (size - 1):
        return  # a known address, aligned (what the tnum sum below says of it)
    at = vo.add(Tnum.const((reg.off + off) & U64))
    if not at.is_aligned(size):
        cls = "stack_misaligned" if t is _RT_PTR_TO_STACK else "misaligned_access"
        raise Reject(insn, f"misaligned {_ALIGN_DESC.get(t, '')}access off "
                     f"{reg.var.var_off.fmt()}+{reg.off}+{off} size {size}", cls)


def _region_message(reg: Reg, regno: int, off: int, size: int, limit: int) -> str:
    t = reg.type
    if t is _RT_PTR_TO_MAP_KEY:
        return f"invalid access to map key, key_size={limit} off={off} size={size}"
    if t is _RT_PTR_TO_MAP_VALUE:
        return f"invalid access to map value, value_size={limit} off={off} size={size}"
    if t.is_packet or t is _RT_PTR_TO_PACKET_END:
        return (f"invalid access to packet, off={off} size={size}, "
                f"R{regno}(id={reg.id},off={off},r={limit})")
    return f"invalid access to memory, mem_size={limit} off={off} size={size}"


def _mem_ok(off: int, size: int, limit: int, zero_ok: bool) -> bool:
    size_ok = size > 0 or (size == 0 and zero_ok)
    return off >= 0 and size_ok and off + size <= limit


def check_region(reg: Reg, regno: int, off: int, size: int, limit: int, insn: int, cls: str,
                 zero_ok: bool = False) -> None:
    """The kernel's check_mem_region_access: variable part bounds, then both ends."""
    v = reg.var
    smin = v.smin
    if smin < 0 and (smin == S64_MIN or not -(1 << 31) <= off + smin < (1 << 31)
                     or smin + off < 0):
        raise Reject(insn, f"R{regno} min value is negative, either use unsigned index or do a "
                     "if (index >=0) check.", "negative_index", reg=regno)
    if not _mem_ok(smin + off, size, limit, zero_ok):
        raise Reject(insn, [_region_message(reg, regno, smin + off, size, limit),
                            f"R{regno} min value is outside of the allowed memory range"],
                     cls, reg=regno)
    if v.umax >= BPF_MAX_VAR_OFF:
        raise Reject(insn, f"R{regno} unbounded memory access, make sure to bounds check any "
                     "such access", "unbounded_access", reg=regno)
    if not _mem_ok(v.umax + off, size, limit, zero_ok):
        raise Reject(insn, [_region_message(reg, regno, v.umax + off, size, limit),
                            f"R{regno} max value is outside of the allowed memory range"],
                     cls, reg=regno)


def check_packet(reg: Reg, regno: int, off: int, size: int, insn: int, zero_ok: bool = False) -> None:
    if reg.var.smin < 0:
        raise Reject(insn, f"R{regno} min value is negative, either use unsigned index or do a "
                     "if (index >=0) check.", "negative_index", reg=regno)
    if reg.range < 0 or not _mem_ok(off, size, reg.range, zero_ok):
        lines = [] if reg.range < 0 else [_region_message(reg, regno, off, size, reg.range)]
        raise Reject(insn, [*lines, f"R{regno} offset is outside of the packet"], "packet_oob",
                     reg=regno)


def _map_rw(reg: Reg, regno: int, off: int, size: int, write: bool, insn: int) -> None:
    """check_map_access_type: BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG maps allow one way."""
    assert reg.map is not None
    flags = reg.map.flags
    if write and flags & (1 << 7):
        raise Reject(insn, f"write into map forbidden, value_size={reg.map.value_size} "
                     f"off={off} size={size}", "map_value_oob", reg=regno)
    if not write and flags & (1 << 8):
        raise Reject(insn, f"read from map forbidden, value_size={reg.map.value_size} "
                     f"off={off} size={size}", "map_value_oob", reg=regno)


def check_map_value(reg: Reg, regno: int, off: int, size: int, insn: int, *, zero_ok: bool,
                    direct: bool) -> None:
    """check_map_access: the value's bounds, then its special fields."""
    m = reg.map
    assert m is not None
    check_region(reg, regno, off, size, m.value_size, insn, "map_value_oob", zero_ok)
    v = reg.var
    for kind, p in m.fields:
        fsize = _FIELD_SIZES.get(kind, 8)
        if v.smin + off < p + fsize and p < v.umax + off + size:
            name = _FIELD_NAMES.get(kind, kind)
            if kind in _KPTRS:
                if not direct:
                    raise Reject(insn, f"{name} cannot be accessed indirectly by helper",
                                 "map_value_oob", reg=regno)
                if not v.is_const:
                    raise Reject(insn, f"{name} access cannot have variable offset",
                                 "map_value_oob", reg=regno)
                if p != off + v.value:
                    raise Reject(insn, f"{name} access misaligned expected={p} "
                                 f"off={off + v.value}", "map_value_oob", reg=regno)
                if size != 8:
                    raise Reject(insn, f"{name} access size must be BPF_DW", "map_value_oob",
                                 reg=regno)
                continue
            raise Reject(insn, f"{name} cannot be accessed directly by load/store",
                         "map_value_oob", reg=regno)


# -- the stack ------------------------------------------------------------------------------
def stack_bounds(st: State, reg: Reg, regno: int, off: int, size: int, write: bool,
                 insn: int) -> int:
    """check_stack_access_within_bounds; grows the frame's stack. Returns the lowest offset."""
    what = " write to" if write else " read from"
    v = reg.var
    if v.var_off.mask == 0:
        min_off = v.signed_value() + off
        max_off = min_off + size
    else:
        if v.smax >= BPF_MAX_VAR_OFF or v.smin <= -BPF_MAX_VAR_OFF:
            raise Reject(insn, f"invalid unbounded variable-offset{what} stack R{regno}",
                         "stack_oob", reg=regno)
        min_off = v.smin + off
        max_off = v.smax + off + size
    if min_off < -STACK or min_off > -1 or max_off > 0 or size < 0:
        if v.var_off.mask == 0:
            raise Reject(insn, f"invalid{what} stack R{regno} off={off} size={size}", "stack_oob",
                         reg=regno)
        raise Reject(insn, f"invalid variable-offset{what} stack R{regno} "
                     f"var_off={v.var_off.fmt()} off={off} size={size}", "stack_oob", reg=regno)
    st.frames[reg.frameno].grow(-min_off)
    return min_off


def _scrub_special(f: Frame, spi: int) -> None:
    """A plain write over a spill/dynptr/iterator slot: the slot becomes data."""
    f.spills.pop(spi, None)
    base = spi * 8
    stack = f.stack
    if stack[base + 7] in (_SPILL, _DYNPTR, _ITER, _IRQ):
        for j in range(8):
            if stack[base + j] != _INVALID:  # scrub_spilled_slot: keep INVALID, rest MISC
                stack[base + j] = _MISC


def _destroy_dynptr(v: Session, st: State, f: Frame, spi: int, insn: int) -> None:
    """destroy_if_dynptr_stack_slot: a write over a dynptr (unreferenced) invalidates it."""
    if f.stack[spi * 8] == _DYNPTR:
        destroy_dynptr(v, st, f, spi, insn)


def _save_spill(f: Frame, spi: int, reg: Reg, size: int) -> None:
    """save_register_state: the top ``size`` bytes of the slot hold the register."""
    f.spills[spi] = reg
    base = spi * 8
    stack = f.stack
    stack[base + 8 - size:base + 8] = _SPILLS[size]
    for j in range(0, 8 - size):
        if stack[base + j] == _SPILL:  # mark_stack_slot_misc on leftover spill bytes
            stack[base + j] = _MISC
        elif stack[base + j] != _ZERO and stack[base + j] != _INVALID:
            stack[base + j] = _MISC


def stack_write_fixed(v: Session, st: State, f: Frame, off: int, size: int, value: Reg | None,
                      value_regno: int, insn_i: int, st_imm: int | None) -> None:
    """check_stack_write_fixed_off: spills, zero and data writes at a constant offset."""
    slot = -off - 1
    spi = slot // 8
    flags = stack_access_flags(f.frameno, spi)
    _destroy_dynptr(v, st, f, spi, insn_i)
    if off % 8 == 0 and size == 8:
        v.stack_write_mark(f.frameno, 1 << spi)
    if value is not None and off % 8 == 0 and value.type is _RT_SCALAR:
        fits = value.var.umax.bit_length() <= 8 * size
        if fits and value_regno >= 0:
            id_before_mov(v, st, value_regno)  # (the Session's id_before_spill)
            value = st.regs[value_regno]
        spilled = value if fits else value.with_(id=0)
        _save_spill(f, spi, spilled, size)
    elif value is None and off % 8 == 0 and st_imm is not None:
        _save_spill(f, spi, Reg.const(st_imm), size)
    elif value is not None and value.type is not _RT_SCALAR:
        if size != 8:
            raise Reject(insn_i, "invalid size of register spill", "pointer_leak")
        if f is not st.frame and value.type is _RT_PTR_TO_STACK:
            raise Reject(insn_i, "cannot spill pointers to stack into stack frame of the caller",
                         "pointer_leak")
        _save_spill(f, spi, value, size)
    else:
        _scrub_special(f, spi)
        kind = _MISC
        if (value is not None and value.is_null_const) or (value is None and st_imm == 0):
            if value_regno >= 0:
                v.mark_precise(st, value_regno)
            kind = _ZERO
        f.stack[slot - size + 1:slot + 1] = bytes((kind,)) * size
        flags = 0
    if flags:
        v.push_history(st, flags)


def stack_write_var(v: Session, st: State, f: Frame, reg: Reg, off: int, size: int,
                    value: Reg | None, value_regno: int, insn_i: int, st_imm: int | None) -> None:
    """check_stack_write_var_off: every byte that may be written becomes data (or stays 0)."""
    min_off = reg.var.smin + off
    max_off = reg.var.smax + off + size
    zero = (value is not None and value.is_null_const) or (value is None and st_imm == 0)
    for i in range(min_off, max_off):
        _destroy_dynptr(v, st, f, (-i - 1) // 8, insn_i)
    zero_used = False
    stack = f.stack
    for i in range(min_off, max_off):
        slot = -i - 1
        spi = slot // 8
        t = stack[slot]
        if zero and t == _SPILL and f.is_spilled_scalar(spi):
            sp = f.spills[spi]
            if sp.var.is_const and sp.var.value == 0:
                zero_used = True
                continue
        _scrub_special(f, spi)
        t = stack[slot]
        new = _MISC
        if zero and t == _ZERO:
            new = _ZERO
            zero_used = True
        stack[slot] = new
    if zero_used and value_regno >= 0:
        v.mark_precise(st, value_regno)


def _fill_unknown_or_zero(f: Frame, lo_off: int, hi_off: int) -> Reg:
    """mark_reg_stack_read: zero when every byte is ZERO, else an unknown scalar."""
    for i in range(lo_off, hi_off):
        if f.stack[-i - 1] != _ZERO:
            return Reg.scalar()
    return Reg.const(0)


def stack_read_fixed(v: Session, st: State, f: Frame, off: int, size: int, want: bool,
                     insn_i: int) -> Reg | None:
    """check_stack_read_fixed_off: fills restore spilled registers, else data or zero."""
    slot = -off - 1
    spi = slot // 8
    flags = stack_access_flags(f.frameno, spi)
    v.stack_read_mark(f.frameno, 1 << spi)
    stack = f.stack
    base = spi * 8
    out: Reg | None = None
    if stack[base + 7] == _SPILL:
        spill = f.spills.get(spi, Reg.not_init())
        spill_size = 1
        j = 7
        while j > 0 and stack[base + j - 1] == _SPILL:
            spill_size += 1
            j -= 1
        if size != 8 or spill_size != 8:
            if spill.type is not _RT_SCALAR:
                raise Reject(insn_i, "invalid size of register fill", "stack_uninit_read")
            if not want:
                return None
            if size <= spill_size and _narrow_ok(off, size, spill_size):
                out = spill
                if spill.var.umax.bit_length() > size * 8:
                    out = out.with_(id=0)
            else:
                spills = zeros = 0
                for k in range(size):
                    t = stack[slot - k]
                    if t == _SPILL:
                        spills += 1
                    elif t == _ZERO:
                        zeros += 1
                    elif t not in (_MISC, _INVALID):
                        raise Reject(insn_i, f"invalid read from stack off {off}+{k} size {size}",
                                     "stack_uninit_read")
                if spills == size and spill.var.is_const and spill.var.value == 0:
                    out = Reg.const(0)
                elif zeros == size:
                    out = Reg.const(0)
                    flags = 0
                else:
                    out = Reg.scalar()
                    flags = 0
        elif want:
            out = spill
    else:
        for k in range(size):
            t = stack[slot - k]
            if t not in (_MISC, _ZERO, _INVALID):
                raise Reject(insn_i, f"invalid read from stack off {off}+{k} size {size}",
                             "stack_uninit_read")
        if want:
            out = _fill_unknown_or_zero(f, off, off + size)
        flags = 0
    if flags:
        v.push_history(st, flags)
    return out


def _narrow_ok(off: int, size: int, spill_size: int) -> bool:
    """bpf_stack_narrow_access_ok: a narrower fill of the spilled value's low bytes."""
    return off % 8 == 0 or (off % 8 + size) <= spill_size


# -- check_mem_access -------------------------------------------------------------------------
def access(v: Session, st: State, regno: int, insn_off: int, size: int, *, write: bool,
           value: Reg | None, value_regno: int, insn: int, sign_ext: bool = False,
           st_imm: int | None = None, strict: bool = False, want: bool = True) -> Reg | None:
    """Check one load or store through R``regno``; returns the loaded value for reads."""
    reg = st.regs[regno]
    t = reg.type
    check_alignment(reg, insn_off, size, insn, strict)
    off = insn_off + reg.off
    result: Reg | None = None
    flags = reg.flags
    if t is _RT_PTR_TO_MAP_KEY:
        if write:
            raise Reject(insn, f"write to change key R{regno} not allowed", "bad_pointer_deref",
                         reg=regno)
        assert reg.map is not None
        check_region(reg, regno, off, size, reg.map.key_size, insn, "map_value_oob")
        result = Reg.scalar() if want else None
    elif t is _RT_PTR_TO_MAP_VALUE and not flags & MAYBE_NULL:
        _map_rw(reg, regno, off, size, write, insn)
        check_map_value(reg, regno, off, size, insn, zero_ok=False, direct=True)
        m = reg.map
        assert m is not None
        kptr = kptrs.field_at(reg, off + reg.var.value) if reg.var.is_const else None
        if kptr is not None:
            result = kptrs.access(v, st, reg, regno, value_regno, insn, kptr, write, want)
        elif not write and want:
            result = _map_read(reg, off, size, sign_ext)
    elif t is _RT_PTR_TO_MEM and not flags & MAYBE_NULL:
        rdonly = bool(flags & RDONLY)
        if write and rdonly:
            raise Reject(insn, f"R{regno} cannot write into {type_str(t, flags)}",
                         "bad_pointer_deref", reg=regno)
        if not (rdonly and flags & UNTRUSTED):
            check_region(reg, regno, off, size, reg.mem_size, insn, "mem_oob")
        if want and (not write or rdonly):
            result = Reg.scalar()
    elif t is _RT_PTR_TO_CTX:
        result = _ctx(v, st, reg, regno, off, size, write, insn, want, sign_ext)
    elif t is _RT_PTR_TO_STACK:
        stack_bounds(st, reg, regno, off, size, write, insn)
        f = st.frames[reg.frameno]
        if reg.var.var_off.mask == 0:
            off += reg.var.signed_value()
            if write:
                stack_write_fixed(v, st, f, off, size, value, value_regno, insn, st_imm)
            else:
                result = stack_read_fixed(v, st, f, off, size, want, insn)
        elif write:
            stack_write_var(v, st, f, reg, off, size, value, value_regno, insn, st_imm)
        else:
            if not want:
                raise Reject(insn, f"variable offset stack pointer cannot be passed into helper "
                             f"function; var_off={reg.var.var_off.fmt()} off={off} size={size}",
                             "stack_oob", reg=regno)
            stack_range(v, st, regno, off, size, False, False, insn)
            result = _fill_unknown_or_zero(f, reg.var.smin + off, reg.var.smax + off + size)
    elif t.is_packet:
        if write and v.prog_type not in _PKT_WRITE:
            raise Reject(insn, "cannot write into packet", "packet_write", reg=regno)
        check_packet(reg, regno, off, size, insn)
        if not write and want:
            result = Reg.scalar()
    elif t is _RT_PTR_TO_FLOW_KEYS:
        if off < 0 or size <= 0 or off + size > 56:  # sizeof(struct bpf_flow_keys)
            raise Reject(insn, f"invalid access to flow keys off={off} size={size}",
                         "ctx_access", reg=regno)
        if not write and want:
            result = Reg.scalar()
    elif t in _SK_TYPES and not flags & MAYBE_NULL:
        if write:
            raise Reject(insn, f"R{regno} cannot write into {type_str(t, flags)}",
                         "bad_pointer_deref", reg=regno)
        _sock_access(v, reg, regno, off, size, insn)
        result = Reg.scalar() if want else None
    elif t is _RT_PTR_TO_TP_BUFFER:
        if off < 0 or reg.var.var_off.mask or reg.var.value:
            raise Reject(insn, f"R{regno} invalid tracepoint buffer access: off={off}, size={size}",
                         "ctx_access", reg=regno)
        if not write and want:
            result = Reg.scalar()
    elif t is _RT_PTR_TO_BTF_ID and not flags & MAYBE_NULL:
        result = btf_access(v, st, reg, regno, off, size, write, insn, want)
    elif t is _RT_CONST_PTR_TO_MAP:
        result = _map_ptr_access(v, st, reg, regno, off, size, write, insn, want)
    elif t is _RT_PTR_TO_BUF and not flags & MAYBE_NULL:
        if write and flags & RDONLY:
            raise Reject(insn, f"R{regno} cannot write into {type_str(t, flags)}",
                         "bad_pointer_deref", reg=regno)
        if off < 0 or reg.var.var_off.mask or reg.var.value:
            raise Reject(insn, f"R{regno} invalid rdonly buffer access: off={off}, size={size}",
                         "ctx_access", reg=regno)
        if want and (flags & RDONLY or not write):
            result = Reg.scalar()
    elif t is _RT_PTR_TO_ARENA:
        if not write and want:
            result = Reg.scalar()
    else:
        label = type_str(t, flags)
        cls = "null_deref" if flags & MAYBE_NULL else "scalar_deref" if t is _RT_SCALAR \
            else "uninit_register" if t is _RT_NOT_INIT else "bad_pointer_deref"
        raise Reject(insn, f"R{regno} invalid mem access '{label}'", cls, reg=regno,
                     type_label=label)
    if result is not None and size < 8 and result.type is _RT_SCALAR and not write:
        if sign_ext:
            sx = result.var.sext_load(size, v.kernel.has_feature("movsx_subreg_range"))
            result = result.with_(var=sx) if result.id else Reg.scalar(sx)
        else:
            var = result.var.truncate(size)
            result = result.with_(var=var) if result.id else Reg.scalar(var)
    return result


def _map_read(reg: Reg, off: int, size: int, sign_ext: bool) -> Reg:
    """A read from a map value: a known constant from a frozen read-only map (``.rodata``)."""
    m = reg.map
    assert m is not None
    data = m.frozen_data
    if data is not None and reg.var.is_const:
        at = off + reg.var.value
        if 0 <= at and at + size <= len(data):
            val = int.from_bytes(data[at:at + size], "little", signed=sign_ext) & U64
            return Reg.const(val)
    return Reg.scalar()


#: `ctx_access`'s answers by (program type, attach type, offset, size, write)
_CTX_ACCESS: dict[tuple, str | None] = {}
_UNSEEN = ""  # (no answer of ctx_access is an empty string)


def _ctx(v: Session, st: State, reg: Reg, regno: int, off: int, size: int, write: bool,
         insn: int, want: bool, sign_ext: bool) -> Reg | None:
    if reg.off:
        raise Reject(insn, f"dereference of modified ctx ptr R{regno} off={reg.off} disallowed",
                     "ctx_modified", reg=regno)
    if not (reg.var.is_const and reg.var.value == 0):
        raise Reject(insn, f"variable ctx access var_off={reg.var.var_off.fmt()} disallowed",
                     "ctx_modified", reg=regno)
    btf_ctx = v.btf_ctx
    if btf_ctx is not None:
        return btf_ctx.access(v, st, off, size, write, insn, want)
    key = (v.prog_type, v.attach, off, size, write)
    result = _CTX_ACCESS.get(key, _UNSEEN)
    if result is _UNSEEN:
        if len(_CTX_ACCESS) >= 4096:
            _CTX_ACCESS.clear()
        result = _CTX_ACCESS[key] = ctx_access(v.prog_type, off, size, write, v.attach)
    if result is None:
        raise Reject(insn, f"invalid bpf_context access off={off} size={size}", "ctx_access",
                     reg=regno)
    if write or not want:
        return None
    family = "xdp" if v.prog_type == "xdp" else "skb" if v.prog_type in _SKB_TYPES else v.prog_type
    if result == "pkt" and (family, off) in _META_OFFSETS:
        result = "pkt_meta"
    kind = _CTX_RESULT.get(result)
    if kind is not None:
        return Reg.ptr(kind)
    if result.startswith("btf:"):  # a kernel object: "btf:<register type>:<struct>"
        return _ctx_btf(v, result)
    if result in ("sock_common_or_null", "sock_or_null", "unknown"):
        kind = _RT_PTR_TO_SOCK_COMMON if result.startswith("sock_common") else _RT_PTR_TO_SOCKET
        if result.endswith("_or_null"):
            return Reg.ptr(kind, flags=MAYBE_NULL, id=v.new_id())
        return Reg.ptr(kind)
    return Reg.scalar()


_BTF_PREFIXES = (("trusted_", TRUSTED), ("rcu_", RCU), ("untrusted_", UNTRUSTED))


def _ctx_btf(v: Session, label: str) -> Reg:
    _, rtype, struct = label.split(":", 2)
    flags = 0
    for prefix, flag in _BTF_PREFIXES:
        if rtype.startswith(prefix):
            flags |= flag
    if "or_null" in rtype:
        flags |= MAYBE_NULL
    try:
        tid = btf_types.find(btf_types.kernel(), struct, "struct")
    except Exception:  # noqa: BLE001 - no such struct in the judged kernel's BTF
        return Reg.scalar()
    r = Reg.ptr(_RT_PTR_TO_BTF_ID, btf_id=tid, flags=flags)
    return r.with_(id=v.new_id()) if flags & MAYBE_NULL else r


def _sock_access(v: Session, reg: Reg, regno: int, off: int, size: int, insn: int) -> None:
    """check_sock_access: fields of struct bpf_sock (and tcp_sock, xdp_sock) by offset."""
    if reg.var.smin < 0:
        raise Reject(insn, f"R{regno} min value is negative, either use unsigned index or do a "
                     "if (index >=0) check.", "negative_index", reg=regno)
    if not sock_access_ok(reg.type, off, size):
        raise Reject(insn, f"R{regno} invalid {type_str(reg.type, reg.flags)} access off={off} "
                     f"size={size}", "ctx_access", reg=regno)


def btf_access(v: Session, st: State, reg: Reg, regno: int, off: int, size: int, write: bool,
               insn: int, want: bool) -> Reg | None:
    """check_ptr_to_btf_access: a load through a BTF-typed kernel pointer (probe memory)."""
    tname = reg.btf_name()
    if not v.gpl and reg.btf is None:
        raise Reject(insn, f"Cannot access kernel 'struct {tname}' from non-GPL compatible program",
                     "helper_not_allowed", reg=regno)
    if off < 0:
        raise Reject(insn, f"R{regno} is ptr_{tname} invalid negative access: off={off}",
                     "bad_pointer_deref", reg=regno)
    if reg.var.var_off.mask or reg.var.value:
        raise Reject(insn, f"R{regno} is ptr_{tname} invalid variable offset: off={off}, "
                     f"var_off={reg.var.var_off.fmt()}", "bad_pointer_deref", reg=regno)
    flags = reg.flags
    if flags & USER:
        raise Reject(insn, f"R{regno} is ptr_{tname} access user memory: off={off}",
                     "bad_pointer_deref", reg=regno)
    if flags & PERCPU:
        raise Reject(insn, f"R{regno} is ptr_{tname} access percpu memory: off={off}",
                     "bad_pointer_deref", reg=regno)
    if write and not (flags & ALLOC):
        raise Reject(insn, "only read is supported", "bad_pointer_deref", reg=regno)
    try:
        w = btf_types.struct_walk(reg.btf, reg.btf_id, off, size)
    except btf_types.WalkError as e:
        raise Reject(insn, str(e), "bad_pointer_deref", reg=regno) from None
    if not want:
        return None
    if w.kind == btf_types.SCALAR:
        return Reg.scalar()
    if w.kind == btf_types.UNTRUSTED_MEM:
        return Reg.ptr(_RT_PTR_TO_MEM, flags=RDONLY | UNTRUSTED)
    if flags & ALLOC:
        return Reg.scalar()
    new = _tag_flags(w)
    if flags & UNTRUSTED:
        new = UNTRUSTED
    elif is_trusted(reg) or flags & RCU:
        from .btf_trust import field_trust

        kinds = field_trust(reg, w.field, w.btf_id).split("|")
        if "trusted" in kinds:
            new |= TRUSTED
        elif "trusted_or_null" in kinds:
            new |= TRUSTED | MAYBE_NULL
        elif v.in_rcu_cs(st) and not flags & MAYBE_NULL:
            if "rcu" in kinds:
                new |= RCU
            elif new & RCU or "rcu_or_null" in kinds:
                new |= RCU | MAYBE_NULL
                if "rcu_or_null" in kinds and new & UNTRUSTED:
                    new &= ~UNTRUSTED
            elif new & (PERCPU | USER):
                pass
            else:
                new &= ~(TRUSTED | RCU | ALLOC | NON_OWN_REF)
        else:
            new = UNTRUSTED
    else:
        new &= ~(TRUSTED | RCU | ALLOC | NON_OWN_REF)
    out = Reg.ptr(_RT_PTR_TO_BTF_ID, btf=reg.btf, btf_id=w.btf_id, flags=new)
    if new & MAYBE_NULL:
        out = out.with_(id=v.new_id())
    return out


def _tag_flags(w: btf_types.Walk) -> int:
    f = {"user": USER, "percpu": PERCPU, "rcu": RCU}.get(w.tag, 0)
    if w.union:
        f |= UNTRUSTED
    return f


#: map type -> the kernel struct a program may read through a map pointer
_MAP_STRUCTS = {"hash": "bpf_htab", "lru_hash": "bpf_htab", "percpu_hash": "bpf_htab",
                "lru_percpu_hash": "bpf_htab", "hash_of_maps": "bpf_htab",
                "array": "bpf_array", "percpu_array": "bpf_array", "prog_array": "bpf_array",
                "perf_event_array": "bpf_array", "array_of_maps": "bpf_array",
                "cgroup_array": "bpf_array", "ringbuf": "bpf_ringbuf_map"}


def _map_ptr_access(v: Session, st: State, reg: Reg, regno: int, off: int, size: int,
                    write: bool, insn: int, want: bool) -> Reg | None:
    """check_ptr_to_map_access: reads of the kernel's map struct (privileged, BTF-typed)."""
    assert reg.map is not None
    struct = _MAP_STRUCTS.get(reg.map.type, "bpf_map")
    if off < 0:
        raise Reject(insn, f"R{regno} is {struct} invalid negative access: off={off}",
                     "bad_pointer_deref", reg=regno)
    if write:
        raise Reject(insn, f"only read from {struct} is supported", "bad_pointer_deref",
                     reg=regno)
    b = btf_types.kernel()
    try:
        tid = btf_types.find(b, struct, "struct")
        w = btf_types.struct_walk(None, tid, off, size)
    except btf_types.WalkError as e:
        raise Reject(insn, str(e), "bad_pointer_deref", reg=regno) from None
    except Exception:  # noqa: BLE001 - no such struct in this kernel's BTF
        raise Reject(insn, f"struct {struct} doesn't have field at offset {off}",
                     "bad_pointer_deref", reg=regno) from None
    if not want:
        return None
    if w.kind == btf_types.SCALAR:
        return Reg.scalar()
    if w.kind == btf_types.UNTRUSTED_MEM:
        return Reg.ptr(_RT_PTR_TO_MEM, flags=RDONLY | UNTRUSTED)
    return Reg.ptr(_RT_PTR_TO_BTF_ID, btf_id=w.btf_id, flags=_tag_flags(w))


# -- memory a helper touches --------------------------------------------------------------------
def stack_range(v: Session, st: State, regno: int, off: int, size: int, zero_ok: bool,
                write: bool, insn: int, raw: bool = False) -> tuple[int, int] | None:
    """check_stack_range_initialized. With ``raw`` (an uninitialised-memory argument) the
    bytes are only bounds-checked; returns the (regno, size) the caller marks written."""
    reg = st.regs[regno]
    if size == 0 and not zero_ok:
        raise Reject(insn, "invalid zero-sized read", "helper_arg_size", reg=regno)
    stack_bounds(st, reg, regno, off, size, write, insn)
    f = st.frames[reg.frameno]
    var = reg.var
    if var.var_off.mask == 0:
        min_off = max_off = var.signed_value() + off
    else:
        raw = False
        min_off = var.smin + off
        max_off = var.smax + off
    if raw:
        for i in range(min_off, max_off + size):
            slot = -i - 1
            if slot < f.allocated and f.stack[slot] == _DYNPTR:
                raise Reject(insn, f"potential write to dynptr at off={i} disallowed",
                             "helper_mem_access", reg=regno)
        return regno, size
    stack = f.stack
    # kernels before 6.13 forget a spilled register a helper reads, as if it wrote there
    clobber = write or not v.kernel.has_feature("helper_read_keeps_spill")
    for i in range(min_off, max_off + size):
        slot = -i - 1
        spi = slot // 8
        t = stack[slot]
        if t == _MISC:
            pass
        elif t == _ZERO or t == _INVALID:
            if write:
                stack[slot] = _MISC
        elif stack[spi * 8 + 7] == _SPILL:
            if clobber:
                f.spills[spi] = Reg.scalar()
                for j in range(8):
                    if stack[spi * 8 + j] != _INVALID:
                        stack[spi * 8 + j] = _MISC
        else:
            if var.var_off.mask == 0:
                msg = f"invalid read from stack R{regno} off {min_off}+{i - min_off} size {size}"
            else:
                msg = (f"invalid read from stack R{regno} var_off {var.var_off.fmt()}+"
                       f"{i - min_off} size {size}")
            raise Reject(insn, msg, "stack_uninit_read", reg=regno)
        v.stack_read_mark(reg.frameno, 1 << spi)
    return None


def helper_access(v: Session, st: State, regno: int, size: int, *, write: bool, zero_ok: bool,
                  insn: int, raw: bool = False) -> tuple[int, int] | None:
    """check_helper_mem_access: [R``regno``, +size) for a helper or kfunc."""
    reg = st.regs[regno]
    t = reg.type
    if t.is_packet:
        check_packet(reg, regno, reg.off, size, insn, zero_ok)
        return None
    if t is _RT_PTR_TO_MAP_KEY:
        if write:
            raise Reject(insn, f"R{regno} cannot write into {type_str(t, reg.flags)}",
                         "helper_mem_access", reg=regno)
        assert reg.map is not None
        check_region(reg, regno, reg.off, size, reg.map.key_size, insn, "helper_mem_access")
        return None
    if t is _RT_PTR_TO_MAP_VALUE:
        _map_rw(reg, regno, reg.off, size, write, insn)
        check_map_value(reg, regno, reg.off, size, insn, zero_ok=zero_ok, direct=False)
        return None
    if t is _RT_PTR_TO_MEM:
        if reg.flags & RDONLY and write:
            raise Reject(insn, f"R{regno} cannot write into {type_str(t, reg.flags)}",
                         "helper_mem_access", reg=regno)
        check_region(reg, regno, reg.off, size, reg.mem_size, insn, "helper_mem_access", zero_ok)
        return None
    if t is _RT_PTR_TO_BUF:
        if reg.flags & RDONLY and write:
            raise Reject(insn, f"R{regno} cannot write into {type_str(t, reg.flags)}",
                         "helper_mem_access", reg=regno)
        return None
    if t is _RT_PTR_TO_STACK:
        return stack_range(v, st, regno, reg.off, size, zero_ok, write, insn, raw)
    if t is _RT_PTR_TO_BTF_ID:
        btf_access(v, st, reg, regno, reg.off, size, False, insn, False)
        return None
    if t is _RT_PTR_TO_CTX:
        if v.btf_ctx is None:
            return None  # the context's own size checks (convert_ctx_access types)
        if size == 0:
            if zero_ok:
                return None
            raise Reject(insn, "invalid zero-sized read", "helper_arg_size", reg=regno)
        access(v, st, regno, size - 1, 1, write=write, value=None, value_regno=-1, insn=insn,
               want=False)
        return None
    if zero_ok and size == 0 and reg.is_null_const:
        return None
    raise Reject(insn, f"R{regno} type={type_str(t, reg.flags)} expected=fp", "helper_arg_type",
                 reg=regno, type_label=type_str(t, reg.flags))


__all__ = ["access", "btf_access", "check_alignment", "check_map_value", "check_packet",
           "check_region", "helper_access", "stack_bounds", "stack_range"]
