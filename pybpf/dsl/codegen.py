"""Instruction emission for the DSL compiler: values, scratch registers, spills, stack frame.

Registers: r6 holds the context, r7-r9 hold the first scalar locals (later ones live in
stack slots), r0-r5 are scratch registers for temporaries. A temporary that is live
across a helper call is spilled to a stack slot and reloaded when used, and when no
scratch register is free the oldest temporary is spilled.

>>> from pybpf.dsl.codegen import Emitter, Val
>>> from pybpf.dsl.types import u32
>>> em = Emitter("p", "socket_filter")
>>> r = em.to_temp(Val.const(5, u32))
>>> len(em.prog.insns)
1
"""

from __future__ import annotations

import sys

from ..asm import builder as B
from ..errors import DslError
from ..isa.opcodes import STACK_SIZE
from ..isa.program import ProgramSpec, SourceLine
from .types import ArrayType, IntType, char, u64

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any, TypeGuard

    from .valtypes import KPtr, StackId

SIZE_OPS = {1: "b", 2: "h", 4: "w", 8: "dw"}
STACK_LIMIT = STACK_SIZE  # the stack a BPF program has
LOCAL_REGS = (7, 8, 9)
SCRATCH = (1, 2, 3, 4, 5, 0)


class Val:
    """A value during compilation.

    kinds: ``imm`` (a constant), ``reg`` (a scalar or pointer in a register), ``slot``
    (a scalar spilled at ``r10 + off``), ``stack`` (an aggregate at ``r10 + off``),
    ``mem`` (an lvalue: ``typ`` at ``reg + off``, not yet loaded).

    (A record compared by identity, written out: a compile makes the class.)

    >>> Val("reg", u64, reg=7)
    Val(kind='reg', typ=u64, imm=0, reg=7, off=0, temp=False, ptr_to=None, data={})
    """

    __match_args__ = ("kind", "typ", "imm", "reg", "off", "temp", "ptr_to", "data")

    def __init__(self, kind: str, typ: Any, imm: int = 0, reg: int = -1, off: int = 0,
                 temp: bool = False, ptr_to: Any = None,  # for a pointer: the pointee type
                 data: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.typ = typ
        self.imm = imm
        self.reg = reg
        self.off = off
        self.temp = temp
        self.ptr_to = ptr_to
        self.data: dict[str, Any] = {} if data is None else data

    def __repr__(self) -> str:
        return (f"Val(kind={self.kind!r}, typ={self.typ!r}, imm={self.imm!r}, reg={self.reg!r}, "
                f"off={self.off!r}, temp={self.temp!r}, ptr_to={self.ptr_to!r}, "
                f"data={self.data!r})")

    @classmethod
    def const(cls, value: int, typ: Any = u64) -> Val:
        return cls("imm", typ, imm=value)


# KPtr and StackId (pybpf.dsl.valtypes) are asked for by module: no value has one for a type
# before that module is imported, and a probe that follows no kernel struct and takes no
# stack compiles without it (start-up)
def is_kptr(t: object) -> TypeGuard[KPtr]:
    """Whether ``t`` is a `KPtr` (a kernel or user struct followed through BTF)."""
    vt = sys.modules.get("pybpf.dsl.valtypes")
    return vt is not None and isinstance(t, vt.KPtr)


def is_stack_id(t: object) -> TypeGuard[StackId]:
    """Whether ``t`` is a `StackId` (``kstack``/``ustack`` as a value)."""
    vt = sys.modules.get("pybpf.dsl.valtypes")
    return vt is not None and isinstance(t, vt.StackId)


def is_string(v: Val) -> bool:
    """Whether ``v`` is a string: a ``char[N]`` (`pybpf.dsl.strings` handles them; this test,
    asked of most values, is here so a probe without strings compiles without it)."""
    return isinstance(v.typ, ArrayType) and v.typ.elem is char


class Emitter:
    """Collects instructions with their Python source lines; owns registers and the frame."""

    def __init__(self, name: str, prog_type: str, filename: str | None = None) -> None:
        self.prog = ProgramSpec(name=name, prog_type=prog_type)
        self.where = SourceLine(filename, 0)
        self.filename = filename
        self.nlabels = 0
        self.frame = 0  # bytes of stack used
        self.free = set(SCRATCH)
        self.live: list[Val] = []  # temporaries held in scratch registers
        self.free_slots: list[int] = []

    # -- errors, labels, emission --------------------------------------------------------------
    def error(self, message: str, node: Any = None) -> DslError:
        line = getattr(node, "lineno", None) or self.where.line or None
        col = getattr(node, "col_offset", None)
        text = self.where.text if node is None or line == self.where.line else None
        if node is not None and text is None and self.filename:
            from .lines import getline

            text = getline(self.filename, line or 0).rstrip("\n") or None
        return DslError(message, filename=self.filename, line=line,
                        column=(col + 1) if col is not None else self.where.column,
                        source=text or self.where.text or None)

    def emit(self, op: B.Op) -> int:
        return self.prog.append(op.insn, op.ref, self.where)

    def new_label(self, hint: str = "L") -> str:
        self.nlabels += 1
        return f".{hint}{self.nlabels}"

    def place(self, label: str) -> None:
        self.prog.label(label)

    def jump(self, label: str) -> None:
        self.emit(B.Ja(label))

    # -- stack frame -------------------------------------------------------------------------
    def alloc(self, size: int, align: int = 8, node: Any = None) -> int:
        """A new stack area of ``size`` bytes; returns its (negative) offset from r10."""
        if size == 8 and align <= 8 and self.free_slots:
            return self.free_slots.pop()
        top = (self.frame + size + align - 1) // align * align
        if top > STACK_LIMIT:
            raise self.error(f"the probe needs {top} bytes of stack, more than the "
                             f"{STACK_LIMIT} BPF allows (make buffers smaller, or keep them in a "
                             "per-CPU array map)", node)
        self.frame = top
        return -top

    def zero(self, off: int, size: int) -> None:
        """Store zeros over ``size`` bytes at ``r10 + off`` (8-byte aligned area)."""
        pos = 0
        while pos < size:
            step = 8 if size - pos >= 8 else 4 if size - pos >= 4 else 2 if size - pos >= 2 else 1
            self.emit(getattr(B.St, SIZE_OPS[step])(10, off + pos, 0))
            pos += step

    # -- registers ---------------------------------------------------------------------------
    def _take(self) -> int:
        for r in SCRATCH:
            if r in self.free:
                self.free.discard(r)
                return r
        victim = self.live[0]  # spill the oldest temporary
        self.spill(victim)
        return self._take()

    def new_temp(self, typ: Any, ptr_to: Any = None) -> Val:
        r = self._take()
        v = Val("reg", typ, reg=r, temp=True, ptr_to=ptr_to)
        self.live.append(v)
        return v

    def release(self, v: Val) -> None:
        """The temporary ``v`` is consumed: free its register or slot."""
        if not v.temp:
            return
        if v.kind == "reg" and v in self.live:
            self.live.remove(v)
            self.free.add(v.reg)
        elif v.kind == "slot":
            self.free_slots.append(v.off)
        v.temp = False

    def spill(self, v: Val) -> None:
        off = self.alloc(8)
        self.emit(B.Stx.dw(10, off, v.reg))
        self.live.remove(v)
        self.free.add(v.reg)
        v.kind, v.off, v.reg = "slot", off, -1

    def spill_all(self, keep: tuple[Val, ...] = ()) -> None:
        """Before a call: every live temporary not in ``keep`` goes to the stack."""
        for v in list(self.live):
            if v not in keep:
                self.spill(v)

    def claim(self, reg: int, typ: Any) -> Val:
        """Register ``reg`` (r0 after a call) as a new temporary."""
        if reg not in self.free:
            holder = next(v for v in self.live if v.reg == reg)
            self.spill(holder)
        self.free.discard(reg)
        v = Val("reg", typ, reg=reg, temp=True)
        self.live.append(v)
        return v

    # -- materialisation -----------------------------------------------------------------------
    def load_into(self, v: Val, reg: int) -> None:
        """Put ``v`` (a scalar or an address) into register ``reg``."""
        if v.kind == "imm":
            self.mov_imm(reg, v.imm)
        elif v.kind == "reg":
            if v.reg != reg:
                self.emit(B.Mov.reg(reg, v.reg))
        elif v.kind == "slot":
            self.emit(B.Ldx.dw(reg, 10, v.off))
        elif v.kind == "stack":
            self.emit(B.Mov.reg(reg, 10))
            self.emit(B.Add.imm(reg, v.off))
        elif v.kind == "mem":
            self.load_mem(reg, v)
        else:  # pragma: no cover - every kind is handled above
            raise self.error(f"internal: cannot load a {v.kind} value")

    def load_mem(self, reg: int, v: Val) -> None:
        t = v.typ
        if not isinstance(t, IntType):
            raise self.error(f"{t!r} is not a scalar: read one of its fields or pass it to a helper")
        op = B.Ldsx if t.signed and t.size < 8 else B.Ldx
        self.emit(getattr(op, SIZE_OPS[t.size])(reg, v.reg, v.off))
        if t.big:
            self.emit(B.Swap.be(reg, t.bits))

    def mov_imm(self, reg: int, value: int) -> None:
        value = value & 0xFFFFFFFFFFFFFFFF
        signed = value - (1 << 64) if value >> 63 else value
        if -(1 << 31) <= signed < (1 << 31):
            self.emit(B.Mov.imm(reg, signed))
        elif value < (1 << 32):
            self.emit(B.Mov.imm32(reg, value - (1 << 32) if value >> 31 else value))
        else:
            self.emit(B.LoadImm64(reg, value))

    def to_reg(self, v: Val) -> int:
        """A register holding ``v`` (its own register if it has one)."""
        if v.kind == "reg":
            return v.reg
        t = self.new_temp(v.typ)
        self.load_into(v, t.reg)
        self.live.remove(t)
        self.free.add(t.reg)
        # ``v`` now lives in the register as a temporary (for imm/slot/mem it was consumed)
        if v.kind == "slot" and v.temp:
            self.free_slots.append(v.off)
        v.kind, v.reg, v.temp = "reg", t.reg, True
        self.free.discard(t.reg)
        self.live.append(v)
        return v.reg

    def to_temp(self, v: Val) -> Val:
        """A writable temporary holding ``v`` (``v`` itself when it is one)."""
        if v.kind == "reg" and v.temp:
            return v
        if v.kind in ("slot", "imm", "mem", "stack"):
            self.to_reg(v)
            return v
        t = self.new_temp(v.typ, v.ptr_to)
        self.emit(B.Mov.reg(t.reg, v.reg))
        return t

    def store(self, base: int, off: int, typ: IntType, v: Val) -> None:
        """``*(typ *)(base + off) = v``."""
        size = SIZE_OPS[typ.size]
        if typ.big:
            if v.kind == "imm":
                v = Val.const(int.from_bytes(typ.encode(v.imm), "little"), typ)
            else:
                v = self.to_temp(v)
                self.emit(B.Swap.be(v.reg, typ.bits))
            typ = IntType(typ.name, typ.size, False)
        if v.kind == "imm" and -(1 << 31) <= typ.wrap(v.imm) < (1 << 31) and typ.size <= 8:
            self.emit(getattr(B.St, size)(base, off, typ.wrap(v.imm) if typ.size < 8 else
                                          _s32(v.imm)))
            return
        r = self.to_reg(v)
        self.emit(getattr(B.Stx, size)(base, off, r))


def _s32(value: int) -> int:
    value &= 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >> 63 else value
