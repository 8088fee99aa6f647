"""Dynptrs: ``struct bpf_dynptr`` objects on the stack, and slices of them.

A dynptr is 16 bytes of stack (two 8-byte slots, the kernel's ``STACK_DYNPTR``) whose
state (type, id, and for ring-buffer dynptrs the reference it holds) lives in the slots'
spilled-register records; the first (higher) slot carries ``first_slot``. Helpers and kfuncs
construct them (an argument marked "uninit": ``bpf_dynptr_from_mem``,
``bpf_ringbuf_reserve_dynptr``, ``bpf_dynptr_from_skb``...), read them (``bpf_dynptr_read``,
``bpf_dynptr_data``, ``bpf_dynptr_slice``...) and release them
(``bpf_ringbuf_submit_dynptr``). A plain write over part of a dynptr destroys it, and the
slices taken from it; a referenced (ring-buffer) dynptr cannot be overwritten. A callback
may be handed a ``CONST_PTR_TO_DYNPTR`` register, which is read-only.

These are the kernel's ``process_dynptr_func``, ``mark_stack_slots_dynptr``,
``unmark_stack_slots_dynptr`` and ``destroy_if_dynptr_stack_slot``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import mem
from .refs import acquire_reference, release_reference
from .report import Reject
from .stack_objects import destroy_dynptr, get_spi, invalidate_dynptr
from .state import RT, Dynptr, Frame, Reg, Slot, State

if TYPE_CHECKING:
    from .session import Session

#: two 8-byte stack slots
NR_SLOTS = 2
SIZE = 16
_DYNPTR = Slot.DYNPTR
_NAMES = {"local": Dynptr.LOCAL, "ringbuf": Dynptr.RINGBUF, "skb": Dynptr.SKB,
          "xdp": Dynptr.XDP, "skb_meta": Dynptr.SKB_META}


def kind_of(name: str) -> Dynptr:
    """The `Dynptr` type an argument names ("" is any)."""
    return _NAMES.get(name, Dynptr.INVALID)


_TYPE_STR: dict[int, str] = {Dynptr.LOCAL: "local", Dynptr.RINGBUF: "ringbuf", Dynptr.SKB: "skb",
                             Dynptr.XDP: "xdp", Dynptr.SKB_META: "skb_meta"}


def type_str(t: int) -> str:
    """dynptr_type_str."""
    return _TYPE_STR.get(t, "<invalid>")


def _spi_or_none(v: Session, st: State, reg: Reg) -> int | None:
    try:
        spi = get_spi(v, st, reg)
    except Reject:
        return None
    return spi if spi >= 0 else None


def _frame(st: State, reg: Reg) -> Frame:
    return st.frames[reg.frameno]


def _state_reg(v: Session, st: State, reg: Reg) -> Reg | None:
    """The dynptr's own state: the register itself (const) or its first stack slot's record."""
    if reg.type is RT.CONST_PTR_TO_DYNPTR:
        return reg
    spi = _spi_or_none(v, st, reg)
    if spi is None:
        return None
    return _frame(st, reg).spilled(spi)


def id_of(v: Session, st: State, reg: Reg) -> int:
    r = _state_reg(v, st, reg)
    return r.id if r is not None else 0


def ref_of(v: Session, st: State, reg: Reg) -> int:
    r = _state_reg(v, st, reg)
    return r.ref_obj_id if r is not None else 0


def type_of(v: Session, st: State, reg: Reg) -> int:
    r = _state_reg(v, st, reg)
    return r.dyn_type if r is not None else Dynptr.INVALID


def is_referenced(v: Session, st: State, reg: Reg) -> bool:
    """Whether the stack dynptr ``reg`` points to holds a reference (ring buffer)."""
    spi = _spi_or_none(v, st, reg)
    return spi is not None and bool(_frame(st, reg).spilled(spi).ref_obj_id)


def arg_reg(v: Session, st: State, proto: object) -> Reg:
    """get_dynptr_arg_reg: the register of the helper's (only) dynptr argument."""
    from .helper_protos import ArgKind

    for n, arg in enumerate(getattr(proto, "args", ())):
        if arg.kind is ArgKind.PTR_TO_DYNPTR:
            return st.regs[n + 1]
    raise Reject(None, "verifier internal error: no dynptr arg found", "internal")


def _valid_uninit(v: Session, st: State, reg: Reg, insn: int) -> bool:
    if reg.type is RT.CONST_PTR_TO_DYNPTR:
        return False
    try:
        get_spi(v, st, reg, insn=insn)
    except Reject:
        return False
    return True


def _valid_init(v: Session, st: State, reg: Reg) -> bool:
    if reg.type is RT.CONST_PTR_TO_DYNPTR:
        return True
    spi = _spi_or_none(v, st, reg)
    if spi is None:
        return False
    f = _frame(st, reg)
    if not f.spilled(spi).first_slot:
        return False
    base = spi * 8
    return all(f.stack[base + j] == _DYNPTR and f.stack[base - 8 + j] == _DYNPTR
               for j in range(8))


def process(v: Session, st: State, regno: int, insn: int, *, uninit: bool, readonly: bool,
            kind: Dynptr, clone_ref: int = 0, argno: int | None = None) -> None:
    """process_dynptr_func: construct (``uninit``) or use an initialised dynptr of type
    ``kind`` (INVALID: any)."""
    reg = st.regs[regno]
    arg = regno - 1 if argno is None else argno
    if reg.type is not RT.PTR_TO_STACK and reg.type is not RT.CONST_PTR_TO_DYNPTR:
        raise Reject(insn, f"arg#{arg} expected pointer to stack or const struct bpf_dynptr",
                     "helper_arg_type", reg=regno)
    if uninit:
        if not _valid_uninit(v, st, reg, insn):
            raise Reject(insn, "Dynptr has to be an uninitialized dynptr", "helper_arg_type",
                         reg=regno)
        for k in range(0, SIZE, 8):
            mem.access(v, st, regno, k, 8, write=True, value=None, value_regno=-1, insn=insn)
        _mark_slots(v, st, st.regs[regno], kind, insn, clone_ref)
        return
    if reg.type is RT.CONST_PTR_TO_DYNPTR and not readonly:
        raise Reject(insn, "cannot pass pointer to const bpf_dynptr, the helper mutates it",
                     "helper_arg_type", reg=regno)
    if not _valid_init(v, st, reg):
        raise Reject(insn, f"Expected an initialized dynptr as arg #{arg}", "helper_arg_type",
                     reg=regno)
    if kind is not Dynptr.INVALID and type_of(v, st, reg) != kind:
        raise Reject(insn, f"Expected a dynptr of type {type_str(kind)} as arg #{arg}",
                     "helper_arg_type", reg=regno)
    if reg.type is RT.PTR_TO_STACK:
        spi = get_spi(v, st, reg, insn=insn)
        v.stack_read_mark(reg.frameno, (1 << spi) | (1 << (spi - 1)))


def process_arg(v: Session, st: State, regno: int, insn: int, arg: object) -> None:
    """A helper's ``ARG_PTR_TO_DYNPTR`` argument (`pybpf.verifier.helper_protos.Arg`)."""
    process(v, st, regno, insn, uninit=getattr(arg, "uninit", False),
            readonly=getattr(arg, "readonly", False), kind=kind_of(getattr(arg, "dynptr", "")))


def _mark_slots(v: Session, st: State, reg: Reg, kind: Dynptr, insn: int, clone_ref: int) -> None:
    """mark_stack_slots_dynptr."""
    spi = get_spi(v, st, reg, insn=insn)
    f = _frame(st, reg)
    destroy_dynptr(v, st, f, spi, insn)
    destroy_dynptr(v, st, f, spi - 1, insn)
    for s in (spi, spi - 1):
        for j in range(8):
            f.stack[s * 8 + j] = _DYNPTR
    if kind is Dynptr.INVALID:
        raise Reject(insn, "verifier internal error: dynptr of no type", "internal")
    # a kernel without dynptr_ids (6.1) gives a ring buffer dynptr its reference's id only
    own_id = kind is not Dynptr.RINGBUF or clone_ref or v.kernel.has_feature("dynptr_ids")
    nid = v.new_id() if own_id else 0
    first = Reg(RT.SCALAR, dyn_type=int(kind), first_slot=True, id=nid)
    second = Reg(RT.SCALAR, dyn_type=int(kind), first_slot=False, id=nid)
    if kind is Dynptr.RINGBUF:
        ref = clone_ref or acquire_reference(v, st, insn)
        first = first.with_(ref_obj_id=ref, id=nid or ref)
        second = second.with_(ref_obj_id=ref, id=nid or ref)
    f.spills[spi] = first
    f.spills[spi - 1] = second
    v.stack_write_mark(f.frameno, (1 << spi) | (1 << (spi - 1)))


def release_stack(v: Session, st: State, regno: int, insn: int) -> None:
    """unmark_stack_slots_dynptr: a release helper ends the dynptr (and its clones and
    slices, for a referenced one)."""
    reg = st.regs[regno]
    spi = get_spi(v, st, reg, insn=insn)
    f = _frame(st, reg)
    state = f.spilled(spi)
    if state.dyn_type != Dynptr.RINGBUF:
        invalidate_dynptr(v, f, spi)
        return
    ref = state.ref_obj_id
    release_reference(v, st, ref, insn)
    for s in range(1, f.allocated // 8):
        r = f.spills.get(s)
        if r is None or r.ref_obj_id != ref:
            continue
        if f.stack[s * 8] != _DYNPTR:
            raise Reject(insn, "verifier internal error: misconfigured ref_obj_id", "internal")
        if r.first_slot:
            invalidate_dynptr(v, f, s)


def const_reg(v: Session, kind: Dynptr) -> Reg:
    """mark_dynptr_cb_reg: a callback's read-only pointer to a dynptr of type ``kind``."""
    return Reg.ptr(RT.CONST_PTR_TO_DYNPTR, dyn_type=int(kind), first_slot=True, id=v.new_id())


__all__ = ["NR_SLOTS", "SIZE", "arg_reg", "const_reg", "id_of",
           "is_referenced", "kind_of", "process", "process_arg", "ref_of", "release_stack",
           "type_of", "type_str"]
