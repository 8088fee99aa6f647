"""Memory accesses through pointers: stack, map values and keys, context, packet, memory.

`load` and `store` follow the kernel's ``check_mem_access``: the pointer type
decides the region; the fixed offset (``reg.off + insn.off``) plus the variable
part's smallest and largest values must stay inside it. Failures raise `Reject`
with the running kernel's message lines (privileged mode: uninitialised stack
reads and pointer spills are allowed, as for root on this kernel).
"""

from __future__ import annotations

from .ctx import ctx_access
from .report import Reject
from .scalar import Scalar
from .state import RT, STACK_SIZE, Reg, Slot, State
from .tnum import Tnum

BPF_MAX_VAR_OFF = 1 << 29
S64_MIN = -(1 << 63)

_CTX_RESULT = {"pkt": RT.PTR_TO_PACKET, "pkt_end": RT.PTR_TO_PACKET_END,
               "pkt_meta": RT.PTR_TO_PACKET_META, "flow_keys": RT.PTR_TO_FLOW_KEYS}
#: (prog type family, ctx offset) of data_meta, which the table reports as 'pkt'
_META_OFFSETS = {("xdp", 8), ("skb", 140)}
_SKB_TYPES = {"socket_filter", "sched_cls", "sched_act", "cgroup_skb", "lwt_in", "lwt_out",
              "lwt_xmit", "sk_skb"}


def _region_message(reg: Reg, regno: int, off: int, size: int, limit: int) -> str:
    t = reg.type
    if t is RT.PTR_TO_MAP_VALUE:
        return f"invalid access to map value, value_size={limit} off={off} size={size}"
    if t is RT.PTR_TO_MAP_KEY:
        return f"invalid access to map key, key_size={limit} off={off} size={size}"
    if t.is_packet or t is RT.PTR_TO_PACKET_END:
        return (f"invalid access to packet, off={off} size={size}, "
                f"R{regno}(id={reg.id},off={off},r={reg.range})")
    return f"invalid access to memory, mem_size={limit} off={off} size={size}"


def _outside(off: int, size: int, limit: int) -> bool:
    return off < 0 or size <= 0 or off + size > limit


def check_region(reg: Reg, regno: int, off: int, size: int, limit: int, insn: int, cls: str) -> None:
    """The kernel's check_mem_region_access: variable part bounds, then both ends."""
    v = reg.var
    if v.smin < 0 and (v.smin == S64_MIN or not -(1 << 31) <= off + v.smin < (1 << 31)
                       or v.smin + off < 0):
        raise Reject(insn, f"R{regno} min value is negative, either use unsigned index or do a "
                     "if (index >=0) check.", "negative_index", reg=regno)
    if _outside(v.smin + off, size, limit):
        raise Reject(insn, [_region_message(reg, regno, v.smin + off, size, limit),
                            f"R{regno} min value is outside of the allowed memory range"],
                     cls, reg=regno)
    if v.umax >= BPF_MAX_VAR_OFF:
        raise Reject(insn, f"R{regno} unbounded memory access, make sure to bounds check any "
                     "such access", "unbounded_access", reg=regno)
    if _outside(v.umax + off, size, limit):
        raise Reject(insn, [_region_message(reg, regno, v.umax + off, size, limit),
                            f"R{regno} max value is outside of the allowed memory range"],
                     cls, reg=regno)


def _packet(reg: Reg, regno: int, off: int, size: int, insn: int) -> None:
    if reg.var.smin < 0:
        raise Reject(insn, f"R{regno} min value is negative, either use unsigned index or do a "
                     "if (index >=0) check.", "negative_index", reg=regno)
    if _outside(off, size, reg.range):
        raise Reject(insn, [_region_message(reg, regno, off, size, reg.range),
                            f"R{regno} offset is outside of the packet"], "packet_oob", reg=regno)


def _stack_bounds(st: State, reg: Reg, regno: int, off: int, size: int, insn: int,
                  what: str, *, aligned: bool = True) -> tuple[int, int]:
    v = reg.var
    if aligned and size > 1:  # the stack is always accessed with strict alignment
        at = v.var_off.add(Tnum.const(off & ((1 << 64) - 1)))
        if not at.is_aligned(size):
            if v.is_const:
                k = v.value - (1 << 64) if v.value >> 63 else v.value
                where = str(k)
            else:
                where = v.var_off.fmt()
            raise Reject(insn, f"misaligned stack access off {where}+{reg.off}+{off - reg.off} "
                         f"size {size}", "stack_misaligned", reg=regno)
    if not v.is_const and (v.smax >= BPF_MAX_VAR_OFF or v.smin <= -BPF_MAX_VAR_OFF):
        raise Reject(insn, f"invalid unbounded variable-offset {what} stack R{regno}",
                     "stack_oob", reg=regno)
    if v.is_const:
        lo = hi = off + (v.value - (1 << 64) if v.value >> 63 else v.value)
        bad = lo < -STACK_SIZE or hi + size > 0
        if bad:
            raise Reject(insn, f"invalid {what} stack R{regno} off={lo} size={size}",
                         "stack_oob", reg=regno)
    else:
        lo, hi = v.smin + off, v.smax + off
        if lo < -STACK_SIZE or hi + size > 0:
            raise Reject(insn, f"invalid variable-offset {what} stack R{regno} "
                         f"var_off={v.var_off.fmt()} off={off} size={size}", "stack_oob", reg=regno)
    frame = st.frames[reg.frameno]
    if -lo > frame.depth:  # reads count too: the kernel's update_stack_depth
        frame.depth = -lo
    return lo, hi


def _slot_index(stack_off: int) -> int:
    return STACK_SIZE + stack_off


def stack_write(st: State, reg: Reg, regno: int, off: int, size: int, value: Reg | None,
                insn: int) -> None:
    lo, hi = _stack_bounds(st, reg, regno, off, size, insn, "write to")
    frame = st.frames[reg.frameno]
    if lo != hi:  # variable offset: every byte that may be written becomes unknown data
        for b in range(_slot_index(lo), _slot_index(hi) + size):
            frame.slots[b] = Slot.MISC
            frame.spills.pop(b // 8, None)
        return
    if value is not None and value.is_pointer and size != 8:
        raise Reject(insn, "invalid size of register spill", "pointer_leak", reg=regno)
    start = _slot_index(lo)
    for b in range(start & ~7, (start + size + 7) & ~7, 8):  # break spills we overlap
        if b // 8 in frame.spills and not (size == 8 and start % 8 == 0):
            frame.spills.pop(b // 8)
            for i in range(b, b + 8):
                if frame.slots[i] == Slot.SPILL:
                    frame.slots[i] = Slot.MISC
    if size == 8 and start % 8 == 0 and value is not None and value.is_init:
        frame.spills[start // 8] = value
        for i in range(start, start + 8):
            frame.slots[i] = Slot.SPILL
        return
    if (start % 8 == 0 and value is not None and value.is_scalar and size in (1, 2, 4)
            and not value.is_null_const):
        # a narrow spill of a scalar keeps its value for a fill of the same size
        frame.spills[start // 8] = Reg.scalar(value.var.truncate(size))
        for i in range(start, start + size):
            frame.slots[i] = Slot.SPILL
        for i in range(start + size, start + 8):
            if frame.slots[i] == Slot.SPILL:
                frame.slots[i] = Slot.MISC
        return
    zero = value is not None and value.is_null_const
    for i in range(start, start + size):
        frame.slots[i] = Slot.ZERO if zero else Slot.MISC


def stack_read(st: State, reg: Reg, regno: int, off: int, size: int, insn: int) -> Reg:
    lo, hi = _stack_bounds(st, reg, regno, off, size, insn, "read from")
    frame = st.frames[reg.frameno]
    if lo != hi:
        return Reg.scalar(Scalar.unknown().truncate(size))
    start = _slot_index(lo)
    spill = frame.spills.get(start // 8)
    if spill is not None and frame.slots[start] == Slot.SPILL:
        spilled = sum(1 for b in range(start & ~7, (start & ~7) + 8) if frame.slots[b] == Slot.SPILL)
        if size == 8 and start % 8 == 0 and spilled == 8:
            return spill
        if spill.is_pointer:
            raise Reject(insn, "invalid size of register fill", "stack_uninit_read", reg=regno)
        if start % 8 == 0 and size <= spilled and (size == spilled
                                                   or spill.var.umax < (1 << (8 * size))):
            # a fill of the spilled size, or a narrowing fill of a value that fits
            return Reg.scalar(spill.var.truncate(size))
        return Reg.scalar(Scalar.unknown().truncate(size))
    kinds = frame.slots[start:start + size]
    if all(k == Slot.ZERO for k in kinds):
        return Reg.const(0)
    return Reg.scalar(Scalar.unknown().truncate(size))


def _ctx(st: State, prog_type: str | None, reg: Reg, regno: int, off: int, size: int,
         write: bool, insn: int, attach: str | None) -> Reg | None:
    if reg.off:
        raise Reject(insn, f"dereference of modified ctx ptr R{regno} off={reg.off} disallowed",
                     "ctx_modified", reg=regno)
    if not (reg.var.is_const and reg.var.value == 0):
        raise Reject(insn, f"variable ctx access var_off={reg.var.var_off.fmt()} disallowed",
                     "ctx_modified", reg=regno)
    result = ctx_access(prog_type, off, size, write, attach)
    if result is None:
        raise Reject(insn, f"invalid bpf_context access off={off} size={size}", "ctx_access",
                     reg=regno)
    if write:
        return None
    family = "xdp" if prog_type == "xdp" else "skb" if prog_type in _SKB_TYPES else prog_type
    if result == "pkt" and (family, off) in _META_OFFSETS:
        result = "pkt_meta"
    kind = _CTX_RESULT.get(result)
    if kind is not None:
        return Reg.ptr(kind)
    if result in ("sock_common_or_null", "sock_or_null", "unknown"):
        kind = RT.PTR_TO_SOCK_COMMON if result.startswith("sock_common") else RT.PTR_TO_SOCKET
        return Reg.ptr(kind, maybe_null=result.endswith("_or_null"), id=st.new_id())
    return Reg.scalar(Scalar.unknown().truncate(size))


def access(st: State, prog_type: str | None, regno: int, insn_off: int, size: int, *,
           write: bool, value: Reg | None, insn: int, sign_ext: bool = False,
           attach: str | None = None) -> Reg | None:
    """Check one load or store through R``regno``; returns the loaded value for reads."""
    reg = st.regs[regno]
    t = reg.type
    if t is RT.CONST_PTR_TO_MAP and not reg.maybe_null:
        return _map_ptr_field(reg, regno, insn_off + reg.off, size, write, insn)
    if t is RT.SCALAR or reg.maybe_null or t in (RT.PTR_TO_PACKET_END, RT.PTR_TO_FUNC):
        cls = "null_deref" if reg.maybe_null else "scalar_deref" if t is RT.SCALAR \
            else "bad_pointer_deref"
        raise Reject(insn, f"R{regno} invalid mem access '{reg.type_label()}'", cls, reg=regno,
                     type_label=reg.type_label())
    off = insn_off + reg.off
    result: Reg | None = None
    if t is RT.PTR_TO_STACK:
        if write:
            stack_write(st, reg, regno, off, size, value, insn)
        else:
            result = stack_read(st, reg, regno, off, size, insn)
    elif t is RT.PTR_TO_MAP_VALUE:
        assert reg.map is not None
        _map_rw(reg, regno, off, size, write, insn)
        check_region(reg, regno, off, size, reg.map.value_size, insn, "map_value_oob")
        if not write:
            result = Reg.scalar(Scalar.unknown().truncate(size))
    elif t is RT.PTR_TO_MAP_KEY:
        assert reg.map is not None
        check_region(reg, regno, off, size, reg.map.key_size, insn, "map_value_oob")
        if not write:
            result = Reg.scalar(Scalar.unknown().truncate(size))
    elif t is RT.PTR_TO_MEM:
        check_region(reg, regno, off, size, reg.mem_size, insn, "mem_oob")
        if not write:
            result = Reg.scalar(Scalar.unknown().truncate(size))
    elif t is RT.PTR_TO_CTX:
        result = _ctx(st, prog_type, reg, regno, off, size, write, insn, attach)
    elif t.is_packet:
        if write and prog_type not in ("xdp", "sched_cls", "sched_act", "lwt_xmit", "sk_skb",
                                       "sk_msg"):
            raise Reject(insn, "cannot write into packet", "packet_write", reg=regno)
        _packet(reg, regno, off, size, insn)
        if not write:
            result = Reg.scalar(Scalar.unknown().truncate(size))
    else:
        raise Reject(insn, f"R{regno} invalid mem access '{reg.type_label()}'", "bad_pointer_deref",
                     reg=regno, type_label=reg.type_label())
    if result is not None and result.is_scalar and sign_ext:
        result = Reg.scalar(result.var.sext_load(size))
    return result


def helper_mem(st: State, prog_type: str | None, regno: int, size_lo: int, size_hi: int,
               insn: int, *, write: bool, zero_ok: bool) -> None:
    """A helper's access to [R``regno``, +size) (``check_helper_mem_access``)."""
    reg = st.regs[regno]
    t = reg.type
    if size_hi == 0:
        if zero_ok:
            return
        raise Reject(insn, "invalid zero-sized read", "helper_arg_size", reg=regno)
    if t is RT.PTR_TO_STACK:
        lo, hi = _stack_bounds(st, reg, regno, reg.off, size_hi, insn,
                               "write to" if write else "read from", aligned=False)
        frame = st.frames[reg.frameno]
        for b in range(_slot_index(lo), _slot_index(hi) + size_hi):
            if write:
                frame.slots[b] = Slot.MISC
                frame.spills.pop(b // 8, None)
        return
    if t is RT.PTR_TO_MAP_VALUE:
        assert reg.map is not None
        _map_rw(reg, regno, reg.off, size_hi, write, insn)
        check_region(reg, regno, reg.off, size_hi, reg.map.value_size, insn, "helper_mem_access")
    elif t is RT.PTR_TO_MAP_KEY:
        assert reg.map is not None
        check_region(reg, regno, reg.off, size_hi, reg.map.key_size, insn, "helper_mem_access")
    elif t is RT.PTR_TO_MEM:
        check_region(reg, regno, reg.off, size_hi, reg.mem_size, insn, "helper_mem_access")
    elif t.is_packet:
        _packet(reg, regno, reg.off, size_hi, insn)
    elif t is RT.PTR_TO_CTX:
        pass


def _map_rw(reg: Reg, regno: int, off: int, size: int, write: bool, insn: int) -> None:
    """Maps created with BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG limit programs to one way."""
    assert reg.map is not None
    flags = reg.map.flags
    if write and flags & (1 << 7):
        raise Reject(insn, f"write into map forbidden, value_size={reg.map.value_size} "
                     f"off={off} size={size}", "map_value_oob", reg=regno)
    if not write and flags & (1 << 8):
        raise Reject(insn, f"read from map forbidden, value_size={reg.map.value_size} "
                     f"off={off} size={size}", "map_value_oob", reg=regno)


#: map type -> the kernel struct a program may read through a map pointer
_MAP_STRUCTS = {"hash": "bpf_htab", "lru_hash": "bpf_htab", "percpu_hash": "bpf_htab",
                "lru_percpu_hash": "bpf_htab", "hash_of_maps": "bpf_htab",
                "array": "bpf_array", "percpu_array": "bpf_array", "prog_array": "bpf_array",
                "perf_event_array": "bpf_array", "array_of_maps": "bpf_array",
                "cgroup_array": "bpf_array", "ringbuf": "bpf_ringbuf_map"}


def _map_ptr_field(reg: Reg, regno: int, off: int, size: int, write: bool, insn: int) -> Reg:
    """Reads of ``struct bpf_map`` fields through a map pointer (privileged, BTF-typed)."""
    assert reg.map is not None
    struct = _MAP_STRUCTS.get(reg.map.type, "bpf_map")
    if write:
        raise Reject(insn, f"only read from {struct} is supported", "bad_pointer_deref",
                     reg=regno)
    try:
        from ..btf import types as T
        from .kernel_profile import active

        btf = active().vmlinux_btf()  # the layout of struct bpf_map in the kernel judged
        rec = btf[btf.find("bpf_map", "struct")]
        assert isinstance(rec, T.Struct)
        for m in rec.members:
            start = m.bit_offset // 8
            msize = btf.size_of(m.type) if not m.bitfield_size else (m.bitfield_size + 7) // 8
            if start <= off and off + size <= start + msize:
                return Reg.scalar(Scalar.unknown().truncate(size))
    except Exception:  # noqa: BLE001 - no BTF: be conservative below
        pass
    raise Reject(insn, f"struct bpf_map doesn't have field at offset {off}", "bad_pointer_deref",
                 reg=regno)
