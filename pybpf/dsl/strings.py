"""Strings in probes: literals, ``str(pointer)``, copies into keys and records, comparisons.

A string is a ``char[N]`` value: on the stack (``comm()``, ``str(p)``, 64 bytes like
bpftrace's default), in the context (``ctx.comm`` of a sched tracepoint), in a map value, or
a literal (kind ``strlit``, its bytes known at compile time). ``str(p)`` zeroes its buffer
first, so two equal strings are equal bytes (map keys compare every byte), and reads with
the helper the pointer's address space asks for: ``probe_read_user_str`` for syscall and
uprobe arguments, ``probe_read_kernel_str`` for kernel memory, ``probe_read_str`` when the
origin is unknown (a pointer kept in a map).

Copies and comparisons move 8, 4, 2 or 1 bytes at a time, never crossing the alignment
of the source (the verifier rejects misaligned context reads).
"""

from __future__ import annotations

from ..asm import builder as B
from . import pyast as ast  # (not `import ast`: start-up)
from .codegen import SIZE_OPS, Val, is_string
from .types import char, s64, u64

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from .compiler import Compiler

__all__ = ["STRLEN", "compare_literal", "is_string", "literal", "read_str", "store_string",
           "string_size"]

STRLEN = 64  # bpftrace's default string size
_READ_STR = {"user": "probe_read_user_str", "kernel": "probe_read_kernel_str",
             None: "probe_read_str"}


def literal(text: str | bytes) -> Val:
    """A string literal as a value (``char[len + 1]``)."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    return Val("strlit", char[len(data) + 1], data={"bytes": data})


def string_size(v: Val) -> int:
    return v.typ.size


def _chunk(pos: int, left: int, align_base: int) -> int:
    """The widest access (8/4/2/1) at ``align_base + pos`` that fits ``left`` bytes."""
    for step in (8, 4, 2, 1):
        if step <= left and (align_base + pos) % step == 0:
            return step
    return 1


def _base(c: Compiler, v: Val) -> tuple[int, int]:
    """(register, offset) of a memory string."""
    if v.kind == "stack":
        return 10, v.off
    if v.kind == "mem":
        return v.reg, v.off
    return c.em.to_reg(v), 0


def store_zero(c: Compiler, base: int, off: int, size: int) -> None:
    pos = 0
    while pos < size:
        step = _chunk(pos, size - pos, off)
        c.em.emit(getattr(B.St, SIZE_OPS[step])(base, off + pos, 0))
        pos += step


def store_string(c: Compiler, base: int, off: int, size: int, v: Val) -> None:
    """Write the string ``v`` into ``size`` bytes at ``base + off``, NUL-padded."""
    if v.kind == "strlit":
        data = v.data["bytes"][:size - 1].ljust(size, b"\0")
        pos = 0
        while pos < size:
            step = min(_chunk(pos, size - pos, off), 4)
            word = int.from_bytes(data[pos:pos + step], "little")
            if step == 4 and word >> 31:
                word -= 1 << 32
            c.em.emit(getattr(B.St, SIZE_OPS[step])(base, off + pos, word))
            pos += step
        return
    sreg, soff = _base(c, v)
    n = min(string_size(v), size)
    tmp = c.em.new_temp(u64)
    pos = 0
    while pos < n:
        step = min(_chunk(pos, n - pos, soff), _chunk(pos, n - pos, off))
        c.em.emit(getattr(B.Ldx, SIZE_OPS[step])(tmp.reg, sreg, soff + pos))
        c.em.emit(getattr(B.Stx, SIZE_OPS[step])(base, off + pos, tmp.reg))
        pos += step
    c.em.release(tmp)
    if n < size:
        store_zero(c, base, off + n, size - n)
    elif string_size(v) > size:  # truncated: keep it a C string
        c.em.emit(B.St.b(base, off + size - 1, 0))
    c.em.release(v)


def read_str(c: Compiler, ptr: Val, size: int, space: str | None, node: ast.AST,
             dest: Val | None = None) -> Val:
    """``str(ptr)``: ``size`` bytes on the stack (or at ``dest``), zeroed, then filled with
    the string at ``ptr`` by the helper of its address space."""
    from .calls import emit_call

    if dest is None:
        dest = Val("stack", char[size], off=c.em.alloc(size, 8, node))
    r = c.em.to_temp(ptr)  # the pointer may sit in a register the zeroing does not touch
    dreg, doff = _base(c, dest)
    store_zero(c, dreg, doff, size)
    addr = dest if dest.kind == "stack" else _address(c, dest)
    res = emit_call(c, _READ_STR[space], [addr, Val.const(size), r], s64)
    c.em.release(res)
    return Val("stack", char[size], off=dest.off) if dest.kind == "stack" else dest


def _address(c: Compiler, v: Val) -> Val:
    t = c.em.new_temp(u64)
    c.em.emit(B.Mov.reg(t.reg, v.reg))
    if v.off:
        c.em.emit(B.Add.imm(t.reg, v.off))
    return t


def compare_literal(c: Compiler, v: Val, text: bytes, label: str, jump_if_equal: bool) -> None:
    """Jump to ``label`` when the string ``v`` equals (or differs from) ``text``: the bytes
    of ``text`` and its NUL (as far as ``v`` holds them) are compared chunk by chunk."""
    em = c.em
    want = (text + b"\0")[:string_size(v)]
    reg, off = _base(c, v)
    differ = label if not jump_if_equal else em.new_label("sne")
    tmp = em.new_temp(u64)
    pos = 0
    while pos < len(want):
        step = _chunk(pos, len(want) - pos, off)
        em.emit(getattr(B.Ldx, SIZE_OPS[step])(tmp.reg, reg, off + pos))
        word = int.from_bytes(want[pos:pos + step], "little")
        if word < (1 << 31):
            em.emit(B.JNE.imm(tmp.reg, word, differ))
        else:
            k = em.new_temp(u64)
            em.mov_imm(k.reg, word)
            em.emit(B.JNE.reg(tmp.reg, k.reg, differ))
            em.release(k)
        pos += step
    em.release(tmp)
    if jump_if_equal:
        em.jump(label)
        em.place(differ)
    em.release(v)
