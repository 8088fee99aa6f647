"""Abstract machine state: register types, registers, stack frames, verifier states.

The model follows the kernel's ``struct bpf_reg_state``, ``bpf_func_state`` and
``bpf_verifier_state``:

- a `Reg` has a base type (`RT`) and type flags (``MAYBE_NULL``, ``RDONLY``, ``TRUSTED``,
  ``RCU``, ``UNTRUSTED``...), a fixed offset ``off`` and a variable part ``var`` (a
  `Scalar`; for a scalar register, its value), the ids that tie copies together, and the
  fields of its kind (map, packet range, memory size, BTF type, dynptr...). ``precise``
  marks a scalar whose exact range matters for pruning (see `pybpf.verifier.precision`);
- a `Frame` is one function's registers and its 512-byte stack: one type byte per stack
  byte (`Slot`) indexed like the kernel's ``slot = -off - 1`` (index 0 is the byte at
  ``fp-1``), and the register spilled into each 8-byte slot (``spills[spi]``, ``spi =
  slot // 8``);
- a `State` is every frame of one path, the acquired references and locks, and the
  bookkeeping of the search (the checkpoint it descends from, the instructions and jumps
  since then, live branches below it).

A `Reg` is a value: the verifier replaces registers instead of mutating them, so copying a
state (at every branch) copies lists of references, not registers.

>>> r = Reg.scalar(Scalar.const(5))
>>> r.type.label, r.var.value
('scalar', 5)
>>> Reg.ptr(RT.PTR_TO_STACK, off=-8).fmt()
'fp-8'
>>> Reg.ptr(RT.PTR_TO_MAP_VALUE, flags=MAYBE_NULL).type_label()
'map_value_or_null'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .scalar import Scalar, fmt_snum, fmt_unum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from enum import IntEnum
else:  # pybpf's own: a member read from its class (``RT.SCALAR``, at every step of the
    # search) is a plain class attribute, where enum's classes go through a __getattr__ hook
    from .._enum import IntEnum

STACK_SIZE = 512
MAX_CALL_FRAMES = 8
SLOT_SIZE = 8
MAX_SPI = STACK_SIZE // SLOT_SIZE


class RT(IntEnum):
    """Base register types (``enum bpf_reg_type`` without flags), with the kernel's log names."""

    NOT_INIT = 0
    SCALAR = 1
    PTR_TO_CTX = 2
    CONST_PTR_TO_MAP = 3
    PTR_TO_MAP_VALUE = 4
    PTR_TO_MAP_KEY = 5
    PTR_TO_STACK = 6
    PTR_TO_PACKET_META = 7
    PTR_TO_PACKET = 8
    PTR_TO_PACKET_END = 9
    PTR_TO_MEM = 10  # ring buffer records, helper/kfunc memory, dynptr slices
    PTR_TO_FUNC = 11
    PTR_TO_SOCKET = 12
    PTR_TO_BTF_ID = 13
    PTR_TO_FLOW_KEYS = 14
    PTR_TO_SOCK_COMMON = 15
    PTR_TO_TCP_SOCK = 16
    PTR_TO_TP_BUFFER = 17
    PTR_TO_XDP_SOCK = 18
    PTR_TO_ARENA = 19
    PTR_TO_BUF = 20
    CONST_PTR_TO_DYNPTR = 21

    # plain attributes of each member (set below the labels), not properties: the verifier
    # asks them at every step
    #: the name the kernel's log prints
    label: str
    #: a pointer (any type past SCALAR)
    is_pointer: bool
    #: PTR_TO_PACKET or PTR_TO_PACKET_META
    is_packet: bool


_LABELS = {
    RT.NOT_INIT: "?", RT.SCALAR: "scalar", RT.PTR_TO_CTX: "ctx", RT.CONST_PTR_TO_MAP: "map_ptr",
    RT.PTR_TO_MAP_VALUE: "map_value", RT.PTR_TO_MAP_KEY: "map_key", RT.PTR_TO_STACK: "fp",
    RT.PTR_TO_PACKET_META: "pkt_meta", RT.PTR_TO_PACKET: "pkt", RT.PTR_TO_PACKET_END: "pkt_end",
    RT.PTR_TO_MEM: "mem", RT.PTR_TO_FUNC: "func", RT.PTR_TO_SOCKET: "sock",
    RT.PTR_TO_BTF_ID: "ptr_", RT.PTR_TO_FLOW_KEYS: "flow_keys", RT.PTR_TO_SOCK_COMMON: "sock_common",
    RT.PTR_TO_TCP_SOCK: "tcp_sock", RT.PTR_TO_TP_BUFFER: "tp_buffer", RT.PTR_TO_XDP_SOCK: "xdp_sock",
    RT.PTR_TO_ARENA: "arena", RT.PTR_TO_BUF: "buf", RT.CONST_PTR_TO_DYNPTR: "dynptr_ptr",
}
for _t in RT:
    _t.__dict__.update(label=_LABELS[_t], is_pointer=_t > RT.SCALAR,
                       is_packet=_t is RT.PTR_TO_PACKET or _t is RT.PTR_TO_PACKET_META)
del _t
#: enum members as globals (the cheapest read in a function)
_RT_NOT_INIT, _RT_SCALAR, _RT_PTR_TO_BTF_ID = RT.NOT_INIT, RT.SCALAR, RT.PTR_TO_BTF_ID

# -- type flags (``enum bpf_type_flag``), combined with a base type --------------------------
MAYBE_NULL = 1 << 0
RDONLY = 1 << 1
RINGBUF = 1 << 2
USER = 1 << 3
PERCPU = 1 << 4
UNTRUSTED = 1 << 6
ALLOC = 1 << 11
TRUSTED = 1 << 12
RCU = 1 << 13
NON_OWN_REF = 1 << 14
#: a slice of an skb/xdp dynptr (the kernel's DYNPTR_TYPE_SKB/XDP on PTR_TO_MEM): not printed
DYNPTR_PKT = 1 << 15
#: flags that say where a BTF pointer may be trusted (cleared when it becomes untrusted)
BTF_TYPE_SAFETY = TRUSTED | RCU | UNTRUSTED | ALLOC | NON_OWN_REF | MAYBE_NULL

#: prefixes the kernel's reg_type_str prints, in its order
_FLAG_PREFIXES = ((RDONLY, "rdonly_"), (RINGBUF, "ringbuf_"), (USER, "user_"), (PERCPU, "percpu_"),
                  (RCU, "rcu_"), (UNTRUSTED, "untrusted_"), (TRUSTED, "trusted_"))

#: linked scalars: the id carries whether the register is a copy plus a constant
ADD_CONST64 = 1 << 31
ADD_CONST32 = 1 << 30
ADD_CONST = ADD_CONST64 | ADD_CONST32


class Dynptr(IntEnum):
    """``enum bpf_dynptr_type``."""

    INVALID = 0
    LOCAL = 1
    RINGBUF = 2
    SKB = 3
    XDP = 4
    SKB_META = 5


class IterState(IntEnum):
    """``enum bpf_iter_state``."""

    INVALID = 0
    ACTIVE = 1
    DRAINED = 2


@dataclass(frozen=True, slots=True, eq=False)
class MapRef:
    """What the verifier knows about a map: its kind, sizes and BTF value layout."""

    name: str
    type: str
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    inner: MapRef | None = None  # map-in-map: the inner map's template
    #: special fields of the value (``bpf_spin_lock``, ``bpf_timer``...): kind -> byte offset
    fields: tuple[tuple[str, int], ...] = ()
    #: the value's BTF type id in the program's BTF (0: none)
    value_type: Any = None
    #: a stable identity for id comparisons (two declarations of one map are one map)
    uid: int = 0
    #: a frozen read-only map's contents (``.rodata``): loads from it are known constants
    frozen_data: bytes | None = None
    #: kptr fields: byte offset -> (btf, type id) they point to (btf None: the kernel's)
    kptr_types: dict[int, tuple[Any, int]] | None = None

    def field(self, kind: str) -> int | None:
        for k, off in self.fields:
            if k == kind:
                return off
        return None


_ZERO = Scalar.const(0)


class Reg:
    """One abstract register value (treat as immutable; `with_` makes a changed copy).

    Class attributes are the defaults, so a register only stores what differs from them.
    """

    type: RT = RT.NOT_INIT
    flags: int = 0
    var: Scalar = _ZERO  # scalars: the value; pointers: the variable offset
    off: int = 0  # pointers: fixed offset; linked scalars: the constant delta
    id: int = 0  # null-check / packet-range / linked-scalar identity
    ref_obj_id: int = 0  # acquired reference this pointer belongs to
    map: MapRef | None = None
    map_uid: int = 0
    range: int = 0  # packet pointers: bytes known to be readable from here
    mem_size: int = 0  # PTR_TO_MEM
    dynptr_id: int = 0  # PTR_TO_MEM: the dynptr a slice came from
    btf: Any = None  # PTR_TO_BTF_ID: the BTF of btf_id (None: the kernel's)
    btf_id: int = 0
    frameno: int = 0  # PTR_TO_STACK: which frame
    subprog: int = -1  # PTR_TO_FUNC: instruction index of the callee
    precise: bool = False
    # stack-slot registers of dynptrs, iterators and irq flags
    dyn_type: int = 0
    first_slot: bool = False
    iter_state: int = 0
    iter_depth: int = 0
    irq_class: int = 0

    def __init__(self, type: RT, **kw: Any) -> None:  # noqa: A002
        self.type = type
        if kw:
            self.__dict__.update(kw)

    # -- constructors -----------------------------------------------------------------
    @staticmethod
    def not_init() -> Reg:
        return _NOT_INIT

    @staticmethod
    def scalar(value: Scalar | None = None, *, id: int = 0) -> Reg:  # noqa: A002
        if value is None and not id:
            return _UNKNOWN_REG
        r = _new(Reg)
        d = r.__dict__
        d["type"] = _RT_SCALAR
        d["var"] = value if value is not None else _UNKNOWN
        if id:
            d["id"] = id
        return r

    @staticmethod
    def const(value: int) -> Reg:
        """The known scalar ``value`` (one shared register a value: registers are values)."""
        r = _CONST_REGS.get(value)
        if r is None:
            r = _new(Reg)
            d = r.__dict__
            d["type"] = _RT_SCALAR
            d["var"] = Scalar.const(value)
            if len(_CONST_REGS) >= _MAX_CONST_REGS:
                _CONST_REGS.clear()
            _CONST_REGS[value] = r
        return r

    @staticmethod
    def ptr(kind: RT, *, off: int = 0, **kw: Any) -> Reg:
        r = _new(Reg)
        d = r.__dict__
        d["type"] = kind
        if off:
            d["off"] = off
        if "maybe_null" in kw:
            if kw.pop("maybe_null"):
                kw["flags"] = kw.get("flags", 0) | MAYBE_NULL
        if kw:
            d.update(kw)
        return r

    def with_(self, **kw: Any) -> Reg:
        r = _new(Reg)
        d = r.__dict__
        d.update(self.__dict__)
        if "maybe_null" in kw:
            f = kw.get("flags", d.get("flags", 0))
            kw["flags"] = (f | MAYBE_NULL) if kw.pop("maybe_null") else (f & ~MAYBE_NULL)
        d.update(kw)
        return r

    def with_var(self, var: Scalar) -> Reg:
        """``with_(var=var)`` without the keyword machinery (a branch's refined sides)."""
        r = _new(Reg)
        d = r.__dict__
        d.update(self.__dict__)
        d["var"] = var
        return r

    # -- facts ------------------------------------------------------------------------
    @property
    def is_init(self) -> bool:
        return self.type is not _RT_NOT_INIT

    @property
    def is_scalar(self) -> bool:
        return self.type is _RT_SCALAR

    @property
    def is_pointer(self) -> bool:
        return self.type > _RT_SCALAR

    @property
    def maybe_null(self) -> bool:
        return bool(self.flags & MAYBE_NULL)

    @property
    def ringbuf(self) -> bool:
        return bool(self.flags & RINGBUF)

    @property
    def is_null_const(self) -> bool:
        if self.type is not _RT_SCALAR:
            return False
        vo = self.var.var_off
        return vo.mask == 0 and vo.value == 0

    def same(self, other: Reg) -> bool:
        """Field-for-field equality (the kernel's memcmp of two registers)."""
        return self is other or self.__dict__ == other.__dict__

    def btf_name(self) -> str:
        if not self.btf_id:
            return ""
        from .btf_types import type_name

        return type_name(self.btf, self.btf_id)

    def type_label(self) -> str:
        """The type as the kernel names it in messages (``reg_type_str``: ``map_value_or_null``,
        ``trusted_ptr_``; the log's state lines add the struct name, messages do not)."""
        return type_str(self.type, self.flags)

    def fmt(self, frameno: int | None = None) -> str:
        """Kernel-log style (``print_reg_state``): ``P5``, ``scalar(...)``, ``fp-8``,
        ``map_value(map=m,ks=4,vs=8)``, ``trusted_ptr_task_struct()``."""
        t = self.type
        if t is RT.NOT_INIT:
            return "?"
        var = self.var
        if t is RT.SCALAR:
            p = "P" if self.precise else ""
            if var.var_off.mask == 0:
                return p + fmt_snum(var.signed_value())
            delta = self.off if self.id & ADD_CONST else None
            return p + var.fmt(reg_id=self.id & ~ADD_CONST, delta=delta)
        text = type_str(t, self.flags)
        if t is RT.PTR_TO_STACK:
            if frameno is not None and frameno != self.frameno:
                text += f"[{self.frameno}]"
            if var.var_off.mask == 0:
                return text + fmt_snum(var.signed_value() + self.off)
        if t is RT.PTR_TO_BTF_ID:
            text += self.btf_name()
        parts = []
        if self.id:
            parts.append(f"id={self.id & ~ADD_CONST}")
        if self.ref_obj_id:
            parts.append(f"ref_obj_id={self.ref_obj_id}")
        if self.flags & NON_OWN_REF:
            parts.append("non_own_ref")
        if t in (RT.CONST_PTR_TO_MAP, RT.PTR_TO_MAP_KEY, RT.PTR_TO_MAP_VALUE) and self.map is not None:
            if self.map.name:
                parts.append(f"map={self.map.name}")
            parts.append(f"ks={self.map.key_size},vs={self.map.value_size}")
        if self.off:
            parts.append(f"off={fmt_snum(self.off)}")
        if t.is_packet:
            parts.append(f"r={fmt_unum(self.range)}")
        if t is RT.PTR_TO_MEM:
            parts.append(f"sz={fmt_unum(self.mem_size)}")
        if t is RT.CONST_PTR_TO_DYNPTR:
            parts.append(f"type={Dynptr(self.dyn_type).name.lower()}")
        if var.var_off.mask == 0:
            if var.var_off.value:
                parts.append(f"imm={fmt_snum(var.signed_value())}")
        else:
            inner = var.fmt()[len("scalar("):-1]
            if inner:
                parts.append(inner)
        return f"{text}({','.join(parts)})"

    def __repr__(self) -> str:
        return f"Reg({self.fmt()})"


_new = object.__new__
_NOT_INIT = Reg(RT.NOT_INIT)
_UNKNOWN = Scalar.unknown()
#: `Reg.scalar()`: an unknown scalar with no id
_UNKNOWN_REG = Reg(RT.SCALAR, var=_UNKNOWN)
#: `Reg.const`'s registers by value (emptied past `_MAX_CONST_REGS`)
_CONST_REGS: dict[int, Reg] = {}
_MAX_CONST_REGS = 4096


#: flags that keep a pointer trusted (BPF_REG_TRUSTED_MODIFIERS)
TRUSTED_MODIFIERS = ALLOC | TRUSTED | NON_OWN_REF
_REG2BTF = frozenset({RT.PTR_TO_SOCKET, RT.PTR_TO_SOCK_COMMON, RT.PTR_TO_TCP_SOCK,
                      RT.PTR_TO_XDP_SOCK, RT.CONST_PTR_TO_MAP})


def is_trusted(r: Reg) -> bool:
    """The kernel's is_trusted_reg: referenced, a socket-ish type, or trusted/alloc flavours
    with no other flag."""
    if r.ref_obj_id:
        return True
    unsafe = r.flags & ~TRUSTED_MODIFIERS
    if r.type in _REG2BTF and not unsafe:
        return True
    return bool(r.flags & TRUSTED_MODIFIERS) and not unsafe


def type_str(base: RT, flags: int) -> str:
    """The kernel's ``reg_type_str``: flag prefixes, the base name, ``_or_null``."""
    if not flags:
        return _LABELS[base]
    prefix = "".join(p for f, p in _FLAG_PREFIXES if flags & f)
    postfix = ""
    if flags & MAYBE_NULL:
        postfix = "or_null_" if base is _RT_PTR_TO_BTF_ID else "_or_null"
    return prefix + _LABELS[base] + postfix


class Slot(IntEnum):
    """What one stack byte holds (``enum bpf_stack_slot_type``)."""

    INVALID = 0
    SPILL = 1
    MISC = 2
    ZERO = 3
    DYNPTR = 4
    ITER = 5
    IRQ_FLAG = 6


#: the kernel's slot_type_char, for the log
SLOT_CHARS = "?rm0dif"
_SLOT_SPILL = Slot.SPILL


class Frame:
    """One function's registers and 512-byte stack.

    ``stack[slot]`` is the `Slot` of the byte at ``fp - slot - 1`` (the kernel's
    ``stack[slot / 8].slot_type[slot % 8]``); ``spills[spi]`` is the register kept in the
    8-byte slot ``spi`` (``fp-8*(spi+1)``): a spilled register, or a dynptr/iterator state.
    """

    __slots__ = ("regs", "stack", "spills", "frameno", "callsite", "subprog", "origins",
                 "callback", "async_callback", "async_entry_cnt", "callback_depth", "ret_range",
                 "allocated", "chain", "starts")

    def __init__(self, frameno: int = 0, callsite: int = -1, subprog: int = 0) -> None:
        self.regs: list[Reg] = [_NOT_INIT] * 11
        #: the instruction that last wrote each register (-1: the entry state)
        self.origins: list[int] = [-1] * 11
        #: a callback called by a helper or kfunc (bpf_loop...): its R0 range is checked
        self.callback = False
        self.async_callback = False
        self.async_entry_cnt = 0
        self.callback_depth = 0
        self.ret_range: tuple[int, int] = (0, 1)
        self.stack = bytearray(STACK_SIZE)
        self.spills: dict[int, Reg] = {}
        self.frameno = frameno
        self.callsite = callsite
        self.subprog = subprog
        #: bytes of stack in use (a multiple of 8, like the kernel's allocated_stack)
        self.allocated = 0
        #: the call chain of this frame and its functions' starts (stack liveness)
        self.chain: tuple[int, ...] = (subprog,)
        self.starts: tuple[int, ...] = (subprog,)

    def copy(self) -> Frame:
        f = _new(Frame)
        f.regs = self.regs[:]
        f.origins = self.origins[:]
        f.stack = self.stack[:]
        f.spills = self.spills.copy()
        f.frameno = self.frameno
        f.callsite = self.callsite
        f.subprog = self.subprog
        f.callback = self.callback
        f.async_callback = self.async_callback
        f.async_entry_cnt = self.async_entry_cnt
        f.callback_depth = self.callback_depth
        f.ret_range = self.ret_range
        f.allocated = self.allocated
        f.chain = self.chain
        f.starts = self.starts
        return f

    def grow(self, size: int) -> None:
        """The kernel's grow_stack_state: at least ``size`` bytes (rounded up to 8)."""
        n = (size + 7) & ~7
        if n > self.allocated:
            self.allocated = n

    def slot_type(self, spi: int) -> bytes:
        return bytes(self.stack[spi * 8:spi * 8 + 8])

    def is_spilled(self, spi: int) -> bool:
        """The kernel's is_spilled_reg: the slot's last byte holds a spill."""
        return self.stack[spi * 8 + 7] == _SLOT_SPILL

    def is_spilled_scalar(self, spi: int) -> bool:
        if self.stack[spi * 8 + 7] != _SLOT_SPILL:
            return False
        r = self.spills.get(spi)
        return r is not None and r.type is _RT_SCALAR

    def spilled(self, spi: int) -> Reg:
        return self.spills.get(spi, _NOT_INIT)

    @property
    def stack_depth(self) -> int:
        return self.allocated


@dataclass(frozen=True, slots=True)
class RefState:
    """An acquired reference (ringbuf record, socket, lock...) and where it was acquired.

    ``kind`` is ``"ptr"``, ``"lock"``, ``"irq"``...; ``ptr`` identifies the lock's object.
    """

    id: int
    insn: int
    kind: str = "ptr"
    ptr: Any = None


class State:
    """Everything the verifier knows at one point of one path, and its place in the search."""

    __slots__ = ("frames", "refs", "insn", "parent_insn", "branches", "parent", "first_insn",
                 "last_insn", "history", "active_locks", "active_lock_id", "active_lock_ptr",
                 "active_rcu", "active_preempt", "active_irq_id", "in_sleepable",
                 "may_goto_depth", "callback_unroll_depth", "dfs_depth", "cleaned",
                 "equal_state", "hit_cnt", "miss_cnt", "evicted", "in_free_list", "scc_chain")

    def __init__(self) -> None:
        self.frames: list[Frame] = [Frame()]
        self.refs: list[RefState] = []
        self.insn = 0
        self.parent_insn = -1
        self.branches = 1
        #: the checkpoint this path descends from (a `State` in the explored lists)
        self.parent: State | None = None
        self.first_insn = 0
        self.last_insn = -1
        #: (insn, prev insn, flags, linked regs) since the last checkpoint (jmp_history)
        self.history: list[list[int]] = []
        self.active_locks = 0
        self.active_lock_id = 0
        self.active_lock_ptr: Any = None
        self.active_rcu = False
        self.active_preempt = 0
        self.active_irq_id = 0
        self.in_sleepable = False
        self.may_goto_depth = 0
        self.callback_unroll_depth = 0
        self.dfs_depth = 0
        self.cleaned = False
        self.equal_state: State | None = None
        self.hit_cnt = 0
        self.miss_cnt = 0
        self.evicted = False
        self.in_free_list = False
        #: a checkpoint's strongly connected component and call chain, once looked up
        #: (`pybpf.verifier.explore`; ``()``: not yet)
        self.scc_chain: tuple | None = ()

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def curframe(self) -> int:
        return len(self.frames) - 1

    @property
    def regs(self) -> list[Reg]:
        return self.frames[-1].regs

    def copy(self) -> State:
        """The kernel's copy_verifier_state (history copied, bookkeeping kept)."""
        s = _new(State)
        s.frames = [f.copy() for f in self.frames]
        s.refs = self.refs[:]
        s.insn = self.insn
        s.parent_insn = self.parent_insn
        s.branches = self.branches
        s.parent = self.parent
        s.first_insn = self.first_insn
        s.last_insn = self.last_insn
        # the entries are shared: one is never changed in place (`Search.push_history`
        # replaces it when it merges a step into it)
        s.history = self.history[:]
        s.active_locks = self.active_locks
        s.active_lock_id = self.active_lock_id
        s.active_lock_ptr = self.active_lock_ptr
        s.active_rcu = self.active_rcu
        s.active_preempt = self.active_preempt
        s.active_irq_id = self.active_irq_id
        s.in_sleepable = self.in_sleepable
        s.may_goto_depth = self.may_goto_depth
        s.callback_unroll_depth = self.callback_unroll_depth
        s.dfs_depth = self.dfs_depth
        s.cleaned = self.cleaned
        s.equal_state = self.equal_state
        s.hit_cnt = 0
        s.miss_cnt = 0
        s.evicted = False
        s.in_free_list = False
        s.scc_chain = ()
        return s


__all__ = ["TRUSTED_MODIFIERS", "is_trusted", "ADD_CONST", "ADD_CONST32", "ADD_CONST64", "ALLOC", "DYNPTR_PKT", "MAX_CALL_FRAMES", "MAYBE_NULL",
           "NON_OWN_REF", "PERCPU", "RCU", "RDONLY", "RINGBUF", "RT", "SLOT_CHARS", "STACK_SIZE",
           "TRUSTED", "UNTRUSTED", "USER", "Dynptr", "Frame", "IterState", "MapRef", "RefState",
           "Reg", "Slot", "State", "type_str"]
