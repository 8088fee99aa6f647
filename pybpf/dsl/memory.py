"""bpftrace's builtins over raw memory: ``ntop()``, ``buf()``, ``bswap()`` and ``deref()``
(bpftrace's ``*p``).

``ntop(addr)`` / ``ntop(af, addr)`` and ``buf(p, n)`` make a `Blob` on the stack that a
``printf`` or ``print`` record carries whole, and userspace prints (an address as text, bytes
with ``\\xNN`` escapes). ``bswap(x)`` reverses the bytes of an integer of ``x``'s width.
``deref(p)`` / ``deref(p, u32)`` reads one integer at the address ``p``, with the helper of the
pointer's address space (user memory for syscall arguments).

In a probe: ``printf("%s:%d\\n", ntop(ctx.daddr), ctx.dport)`` (sock:inet_sock_set_state),
``printf("%r\\n", buf(ctx.buf, 16))``, ``deref(ctx.user_mask_ptr)``. What ``*p`` reads
follows the C type of ``p``:

>>> from pybpf.dsl.codegen import Val
>>> pointee(Val("mem", u64, data={"ctype": "unsigned long *"}))
u64
>>> pointee(Val("mem", u64, data={"ctype": "const int *"}))
s32
"""

from __future__ import annotations

import socket

from ..asm import builder as B
from . import pyast as ast  # (not `import ast`: start-up)
from .codegen import Val
from .types import ArrayType, IntType, s64, type_name, u8, u16, u32, u64
from .valtypes import Blob, KPtr

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from .compiler import Compiler

__all__ = ["BUF_MAX", "buf", "bswap", "deref", "ntop"]

BUF_MAX = 64  # bpftrace's default for buf() (its string size)
INET_SIZE = 24  # family (u64) + 16 bytes of address
_READ = {"user": "probe_read_user", "kernel": "probe_read_kernel", None: "probe_read"}
_UNSIGNED = {1: u8, 2: u16, 4: u32, 8: u64}
_C_INTS = {"char": u8, "short": u16, "int": u32, "long": u64, "s8": u8, "u8": u8, "s16": u16,
           "u16": u16, "s32": u32, "u32": u32, "s64": u64, "u64": u64, "pid_t": u32, "uid_t": u32,
           "gid_t": u32, "size_t": u64}


def _nargs(c: Compiler, node: ast.Call, lo: int, hi: int) -> None:
    if not lo <= len(node.args) <= hi:
        name = getattr(node.func, "id", "?")
        want = f"{lo}" if lo == hi else f"{lo} or {hi}"
        raise c.error(f"{name}() takes {want} argument{'s' if hi != 1 else ''}, got "
                      f"{len(node.args)}", node)


def _const(c: Compiler, node: ast.expr, what: str) -> int:
    from .exprs import scalar

    v = scalar(c, node)
    if v.kind != "imm":
        raise c.error(f"{what} must be a constant", node)
    return v.imm


def _space(v: Val) -> str | None:
    if isinstance(v.typ, KPtr):
        return "user" if v.typ.user else "kernel"
    return v.data.get("space")


def _read_into(c: Compiler, off: int, size: int, addr: Val, space: str | None) -> None:
    """``size`` bytes at ``addr`` into the stack at ``r10 + off`` (zeroed first: a failed read
    leaves zeros, as bpftrace's)."""
    from .calls import emit_call
    from .exprs import convert

    a = c.em.to_temp(convert(c, addr, u64, ast.Constant(0)) if isinstance(addr.typ, IntType) else addr)
    c.em.zero(off, (size + 7) // 8 * 8)
    r = emit_call(c, _READ[space], [Val("stack", u64, off=off), Val.const(size), a], s64)
    c.em.release(r)


def _copy_array(c: Compiler, off: int, v: Val, size: int) -> None:
    from .exprs import copy

    if v.kind == "strlit":  # a literal's bytes, 4 at a time (St takes a 32-bit immediate)
        data = v.data["bytes"][:size].ljust(size, b"\0")
        for pos in range(0, size, 4):
            word = data[pos:pos + 4]
            op = {4: B.St.w, 2: B.St.h, 1: B.St.b}.get(len(word))
            if op is None:  # 3 bytes left: a halfword and a byte
                c.em.emit(B.St.h(10, off + pos, int.from_bytes(word[:2], "little")))
                c.em.emit(B.St.b(10, off + pos + 2, word[2]))
                continue
            n = int.from_bytes(word, "little")
            c.em.emit(op(10, off + pos, n - (1 << 32) if len(word) == 4 and n >> 31 else n))
        return
    copy(c, Val("stack", u8[size], off=off), v, size)
    c.em.release(v)


def ntop(c: Compiler, node: ast.Call) -> Val:
    """``ntop(addr)`` / ``ntop(af, addr)``: an IPv4 or IPv6 address printed as text. ``addr``
    is an integer (the address's bytes as the kernel stores them: ``0x0100007f`` is
    127.0.0.1) or a 4- or 16-byte array (``ctx.saddr``, ``ctx.daddr_v6``); ``af`` is
    ``AF_INET`` (2) or ``AF_INET6`` (10), by default from the array's size."""
    from .exprs import convert, expr

    _nargs(c, node, 1, 2)
    family = _const(c, node.args[0], "ntop()'s address family") if len(node.args) == 2 else None
    if family not in (None, socket.AF_INET, socket.AF_INET6):
        raise c.error(f"ntop()'s family is AF_INET (2) or AF_INET6 (10), not {family}", node.args[0])
    anode = node.args[-1]
    v = expr(c, anode)
    off = c.em.alloc(INET_SIZE, 8, node)
    if isinstance(v.typ, ArrayType) and v.typ.elem.size == 1 and v.typ.n in (4, 16):
        family = family or (socket.AF_INET if v.typ.n == 4 else socket.AF_INET6)
        c.em.zero(off, INET_SIZE)
        _copy_array(c, off + 8, v, v.typ.n)
    elif isinstance(v.typ, IntType):
        family = family or socket.AF_INET
        c.em.zero(off, INET_SIZE)
        c.em.store(10, off + 8, u64, convert(c, v, u64, anode))
        c.em.release(v)
    else:
        raise c.error(f"ntop() takes an integer or a 4- or 16-byte array, got {type_name(v.typ)}",
                      anode)
    c.em.emit(B.St.dw(10, off, family))
    return Val("stack", Blob("inet", INET_SIZE), off=off)


def buf(c: Compiler, node: ast.Call) -> Val:
    """``buf(p, n)``: ``n`` bytes (a constant, 1 to 64) at the address ``p``, or of an array
    (``buf(ctx.data)``, ``buf(ctx.data, 8)``), printed by ``printf("%r")`` with ``\\xNN``
    escapes for bytes that are not printable ASCII."""
    from .exprs import expr

    _nargs(c, node, 1, 2)
    v = expr(c, node.args[0])
    n = _const(c, node.args[1], "buf()'s length") if len(node.args) == 2 else None
    if isinstance(v.typ, ArrayType):
        n = v.typ.size if n is None else min(n, v.typ.size)
    elif n is None:
        raise c.error("buf(p, n) reads n bytes at an address: give the length", node)
    if not 1 <= n <= BUF_MAX:
        raise c.error(f"buf() reads 1 to {BUF_MAX} bytes, not {n}", node.args[-1])
    off = c.em.alloc(n, 8, node)
    if isinstance(v.typ, ArrayType):
        c.em.zero(off, (n + 7) // 8 * 8)
        _copy_array(c, off, v, n)
    elif isinstance(v.typ, (IntType, KPtr)):
        _read_into(c, off, n, v, _space(v))
    else:
        raise c.error(f"buf() reads memory at an address or an array, got {type_name(v.typ)}",
                      node.args[0])
    return Val("stack", Blob("buf", n), off=off)


def bswap(c: Compiler, node: ast.Call) -> Val:
    """``bswap(x)``: ``x`` with its bytes reversed, at ``x``'s width (``bswap(u16(v))`` swaps
    two bytes); the result is unsigned."""
    from .exprs import convert, scalar

    _nargs(c, node, 1, 1)
    v = scalar(c, node.args[0])
    if not isinstance(v.typ, IntType):
        raise c.error(f"bswap() takes an integer, got {type_name(v.typ)}", node.args[0])
    size = v.typ.size
    t = _UNSIGNED[size]
    if v.kind == "imm":
        return Val.const(int.from_bytes(t.wrap(v.imm).to_bytes(size, "little"), "big"), t)
    out = c.em.to_temp(convert(c, v, t, node.args[0]))
    if size > 1:
        c.em.emit(B.Swap.be(out.reg, size * 8))  # to big endian: a swap on this little-endian ISA
    out.typ = t
    return out


def pointee(v: Val) -> IntType | None:
    """The integer type a pointer value points to, where its C type says so."""
    t = v.data.get("pointee")
    if isinstance(t, IntType):
        return t
    ctype = v.data.get("ctype", "")
    if ctype.count("*") == 1:
        words = [w for w in ctype.replace("*", " ").split() if w not in ("const", "volatile")]
        signed = "unsigned" not in words and not any(w.lstrip("_").startswith(("u", "size", "gid"))
                                                     for w in words)
        words = [w.lstrip("_") for w in words if w not in ("unsigned", "signed")]
        base = _C_INTS.get(words[-1]) if words else None
        if base is not None:
            return IntType(("s" if signed and base.name != "u8" else "u") + str(base.bits),
                           base.size, signed and base.name != "u8")
    return None


def deref(c: Compiler, node: ast.Call) -> Val:
    """``deref(p)`` / ``deref(p, u32)``: the integer at the address ``p`` (bpftrace's
    ``*p``, ``*(uint32 *)p``): of the type given, else of the type ``p`` points to where its
    C type says, else 64 bits."""
    _nargs(c, node, 1, 2)
    v = c.expr(node.args[0])
    if len(node.args) == 2:
        t = c.lookup_name(node.args[1].id) if isinstance(node.args[1], ast.Name) else None
        if not isinstance(t, IntType):
            raise c.error("deref()'s second argument is an integer type (u8 ... s64)", node.args[1])
    else:
        t = pointee(v) or u64
    if isinstance(v.typ, KPtr):
        raise c.error(f"*p of {v.typ!r}: read one of its fields (p->field) instead", node)
    if v.kind == "imm" and not v.data.get("symbol"):
        raise c.error(f"dereferencing a constant ({v.imm}): *p reads memory at an address a "
                      "probe computed (an argument, a field, kaddr(\"name\"))", node)
    if not isinstance(v.typ, IntType):
        raise c.error(f"*p reads memory at an address, got {type_name(v.typ)}", node.args[0])
    space = _space(v)
    off = c.em.alloc(8, 8, node)
    _read_into(c, off, t.size, v, space)
    out = c.em.new_temp(t)
    c.em.load_mem(out.reg, Val("mem", t, reg=10, off=off))
    return out
