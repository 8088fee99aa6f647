"""Abstract machine state: register types, registers, stack frames, verifier states.

A `Reg` is an immutable value: the verifier replaces registers instead of
mutating them, so copying a state (at every branch) copies lists of references,
not registers. Pointers keep a fixed offset ``off`` and a variable part ``var``
(a `Scalar`), as the kernel's ``bpf_reg_state`` does.

>>> r = Reg.scalar(Scalar.const(5))
>>> r.type.label, r.var.value
('scalar', 5)
>>> Reg.ptr(RT.PTR_TO_STACK, off=-8).type.label
'fp'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from .scalar import Scalar

STACK_SIZE = 512
MAX_CALL_FRAMES = 8


class RT(enum.IntEnum):
    """Register types (``enum bpf_reg_type``), with the kernel's log names."""

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
    PTR_TO_MEM = 10  # ringbuf records and other sized memory
    PTR_TO_FUNC = 11
    PTR_TO_SOCKET = 12
    PTR_TO_BTF_ID = 13
    PTR_TO_FLOW_KEYS = 14
    PTR_TO_SOCK_COMMON = 15

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_pointer(self) -> bool:
        return self not in (RT.NOT_INIT, RT.SCALAR)

    @property
    def is_packet(self) -> bool:
        return self in (RT.PTR_TO_PACKET, RT.PTR_TO_PACKET_META)


_LABELS = {
    RT.NOT_INIT: "?", RT.SCALAR: "scalar", RT.PTR_TO_CTX: "ctx", RT.CONST_PTR_TO_MAP: "map_ptr",
    RT.PTR_TO_MAP_VALUE: "map_value", RT.PTR_TO_MAP_KEY: "map_key", RT.PTR_TO_STACK: "fp",
    RT.PTR_TO_PACKET_META: "pkt_meta", RT.PTR_TO_PACKET: "pkt", RT.PTR_TO_PACKET_END: "pkt_end",
    RT.PTR_TO_MEM: "mem", RT.PTR_TO_FUNC: "func", RT.PTR_TO_SOCKET: "sock",
    RT.PTR_TO_BTF_ID: "ptr_", RT.PTR_TO_FLOW_KEYS: "flow_keys", RT.PTR_TO_SOCK_COMMON: "sock_common",
}

_ZERO = Scalar.const(0)


@dataclass(frozen=True, slots=True)
class MapRef:
    """What the verifier knows about a map: its kind and sizes."""

    name: str
    type: str
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    inner: MapRef | None = None  # map-in-map: the inner map's template


@dataclass(frozen=True, slots=True)
class Reg:
    """One abstract register value."""

    type: RT
    var: Scalar = _ZERO  # scalars: the value; pointers: the variable offset
    off: int = 0  # pointers: fixed offset
    id: int = 0  # null-check / packet-range / linked-scalar identity
    ref_obj_id: int = 0  # acquired reference this pointer belongs to
    map: MapRef | None = None
    range: int = 0  # packet pointers: bytes known to be readable from here
    mem_size: int = 0  # PTR_TO_MEM
    frameno: int = 0  # PTR_TO_STACK: which frame
    maybe_null: bool = False
    ringbuf: bool = False  # PTR_TO_MEM from bpf_ringbuf_reserve
    subprog: int = -1  # PTR_TO_FUNC: instruction index of the callee

    # -- constructors -----------------------------------------------------------------
    @staticmethod
    def not_init() -> Reg:
        return _NOT_INIT

    @staticmethod
    def scalar(value: Scalar | None = None, *, id: int = 0) -> Reg:  # noqa: A002
        return Reg(RT.SCALAR, value if value is not None else Scalar.unknown(), id=id)

    @staticmethod
    def const(value: int) -> Reg:
        return Reg(RT.SCALAR, Scalar.const(value))

    @staticmethod
    def ptr(kind: RT, *, off: int = 0, **kw: Any) -> Reg:
        return Reg(kind, _ZERO, off, **kw)

    def with_(self, **kw: Any) -> Reg:
        return replace(self, **kw)

    # -- facts ------------------------------------------------------------------------
    @property
    def is_init(self) -> bool:
        return self.type is not RT.NOT_INIT

    @property
    def is_scalar(self) -> bool:
        return self.type is RT.SCALAR

    @property
    def is_pointer(self) -> bool:
        return self.type.is_pointer

    @property
    def is_null_const(self) -> bool:
        return self.type is RT.SCALAR and self.var.is_const and self.var.value == 0

    def type_label(self) -> str:
        """The type as the kernel names it in messages (``map_value_or_null``)."""
        label = self.type.label
        if self.type is RT.PTR_TO_MEM and self.ringbuf:
            label = "ringbuf_mem"
        return label + "_or_null" if self.maybe_null else label

    def fmt(self) -> str:
        """Kernel-log style: ``scalar(...)``, ``fp-8``, ``map_value(map=m,ks=4,vs=8)``."""
        if self.type is RT.NOT_INIT:
            return "?"
        if self.type is RT.SCALAR:
            return self.var.fmt(reg_id=self.id)
        if self.type is RT.PTR_TO_STACK and self.var.is_const and self.var.value == 0:
            return f"fp{self.off}" if self.off else "fp0"
        parts = []
        if self.id:
            parts.append(f"id={self.id}")
        if self.ref_obj_id:
            parts.append(f"ref_obj_id={self.ref_obj_id}")
        if self.off:
            parts.append(f"off={self.off}")
        if self.type.is_packet:
            parts.append(f"r={self.range}")
        if self.map is not None:
            parts.append(f"map={self.map.name},ks={self.map.key_size},vs={self.map.value_size}")
        if self.type is RT.PTR_TO_MEM:
            parts.append(f"sz={self.mem_size}")
        if not (self.var.is_const and self.var.value == 0):
            parts.append(self.var.fmt()[len("scalar("):-1])
        return f"{self.type_label()}({','.join(p for p in parts if p)})"


_NOT_INIT = Reg(RT.NOT_INIT)


class Slot(enum.IntEnum):
    """What one stack byte holds (``enum bpf_stack_slot_type``)."""

    INVALID = 0
    SPILL = 1
    MISC = 2
    ZERO = 3


class Frame:
    """One function's registers and 512-byte stack.

    ``slots`` has a `Slot` per byte (index 0 is the byte at fp-512); ``spills``
    maps an 8-byte slot index (0..63, fp-512+8*i) to the spilled register.
    """

    __slots__ = ("regs", "slots", "spills", "frameno", "callsite", "subprog", "origins",
                 "callback", "depth")

    def __init__(self, frameno: int = 0, callsite: int = -1, subprog: int = 0) -> None:
        self.regs: list[Reg] = [_NOT_INIT] * 11
        #: the instruction that last wrote each register (-1: the entry state)
        self.origins: list[int] = [-1] * 11
        #: a callback called by a helper (bpf_loop): its R0 must be 0 or 1
        self.callback = False
        #: deepest stack byte any access (read or write) reached, in bytes below fp
        self.depth = 0
        self.slots = bytearray(STACK_SIZE)
        self.spills: dict[int, Reg] = {}
        self.frameno = frameno
        self.callsite = callsite
        self.subprog = subprog

    def copy(self) -> Frame:
        f = Frame.__new__(Frame)
        f.regs = list(self.regs)
        f.origins = list(self.origins)
        f.slots = bytearray(self.slots)
        f.spills = dict(self.spills)
        f.frameno = self.frameno
        f.callsite = self.callsite
        f.subprog = self.subprog
        f.callback = self.callback
        f.depth = self.depth
        return f

    def stack_depth(self) -> int:
        """Bytes of stack in use, reads included (rounded up to 8, like the kernel)."""
        return (self.depth + 7) // 8 * 8


@dataclass(frozen=True, slots=True)
class RefState:
    """An acquired reference (ringbuf record, socket...) and where it was acquired."""

    id: int
    insn: int


class State:
    """Everything the verifier knows at one point of one path."""

    __slots__ = ("frames", "refs", "next_id", "insn", "parent_insn", "loop_budget", "branches")

    def __init__(self) -> None:
        self.frames: list[Frame] = [Frame()]
        self.refs: list[RefState] = []
        self.next_id = 1
        self.insn = 0
        self.parent_insn = -1
        self.loop_budget = 8 * 1024 * 1024  # may_goto iterations, as the kernel's BPF_MAX_LOOPS
        self.branches = 0

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def regs(self) -> list[Reg]:
        return self.frames[-1].regs

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def copy(self) -> State:
        s = State.__new__(State)
        s.frames = [f.copy() for f in self.frames]
        s.refs = list(self.refs)
        s.next_id = self.next_id
        s.insn = self.insn
        s.parent_insn = self.parent_insn
        s.loop_budget = self.loop_budget
        s.branches = 0
        return s
