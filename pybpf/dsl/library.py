"""bpftrace's builtins as DSL calls: values (``nsecs()``, ``elapsed()``, ``kstack()``,
``str(p)``, ``probe_name()``...) and actions that print (``printf``, ``print``, ``print_time``,
``join``) or act on maps (``clear``, ``zero``) or end the run (``exit``).

A call is one of these when its name is bound to the DSL's stub of that name (imported from
`pybpf.dsl`) or, for ``str``, ``print``, ``min``, ``max``, ``sum`` and ``exit``, to Python's
builtin: inside a probe they mean what bpftrace means.
"""

from __future__ import annotations

import builtins

from ..asm import builder as B
from . import pyast as ast  # (not `import ast`: start-up)
from .codegen import Val
from .events import JOIN_ARG_SIZE, JOIN_ARGS, Action, ArgSpec
from .strings import STRLEN, is_string, literal, read_str, store_string, string_size
from .types import IntType, s64, type_name, u32, u64
from .valtypes import Blob, KPtr, StackId, SymAddr

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .compiler import Compiler

__all__ = ["builtin_handler", "ACTIONS", "VALUES"]

BPF_F_USER_STACK = 1 << 8
BPF_ANY = 0

#: Python builtins that mean a DSL builtin inside a probe
_PYTHON = {"str": builtins.str, "print": builtins.print, "min": builtins.min,
           "max": builtins.max, "sum": builtins.sum}


def builtin_handler(c: Compiler, fname: str, obj: Any) -> Callable[[Compiler, ast.Call], Val] | None:
    """The handler of call ``fname`` (bound to ``obj``) when it is a DSL builtin."""
    if fname in _PYTHON and obj is _PYTHON[fname]:
        return HANDLERS.get(fname)
    if fname == "exit" and (type(obj).__name__ == "Quitter" or _is_stub(obj, "exit")):
        return HANDLERS["exit"]
    if fname in HANDLERS and _is_stub(obj, fname):
        return HANDLERS[fname]
    return None


def _is_stub(obj: Any, name: str) -> bool:
    return getattr(obj, "__name__", None) == name and \
        (getattr(obj, "__module__", "") or "").startswith("pybpf.dsl")


def _nargs(c: Compiler, node: ast.Call, lo: int, hi: int | None = None) -> None:
    hi = lo if hi is None else hi
    n = len(node.args)
    if not lo <= n <= hi:
        name = getattr(node.func, "id", "?")
        want = f"{lo}" if lo == hi else f"{lo} to {hi}"
        raise c.error(f"{name}() takes {want} argument{'s' if hi != 1 else ''}, got {n}", node)


def _const(c: Compiler, node: ast.expr, what: str) -> int:
    from .exprs import scalar

    v = scalar(c, node)
    if v.kind != "imm":
        raise c.error(f"{what} must be a constant", node)
    return v.imm


def _helper(c: Compiler, name: str, ret: Any = u64) -> Val:
    from .calls import emit_call

    return emit_call(c, name, [], ret)


# -- values ------------------------------------------------------------------------------------
def nsecs(c: Compiler, node: ast.Call) -> Val:
    _nargs(c, node, 0)
    return _helper(c, "ktime_get_ns")


def elapsed(c: Compiler, node: ast.Call) -> Val:
    """Nanoseconds since the run started (boot clock, as bpftrace)."""
    _nargs(c, node, 0)
    now = _helper(c, "ktime_get_boot_ns")
    start = c.state.start
    p = c.em.new_temp(u64)
    c.em.emit(B.LoadMapValue(p.reg, c.map_name(start), 0))
    c.em.emit(B.Ldx.dw(p.reg, p.reg, 0))
    c.em.emit(B.Sub.reg(c.em.to_reg(now), p.reg))
    c.em.release(p)
    return now


def cgroup(c: Compiler, node: ast.Call) -> Val:
    _nargs(c, node, 0)
    return _helper(c, "get_current_cgroup_id")


def rand(c: Compiler, node: ast.Call) -> Val:
    _nargs(c, node, 0)
    return _helper(c, "get_prandom_u32", u32)


def curtask(c: Compiler, node: ast.Call) -> Val:
    from ..btf import vmlinux

    _nargs(c, node, 0)
    r = _helper(c, "get_current_task")
    r.typ = KPtr(vmlinux().find("task_struct", "struct"), "task_struct")
    return r


def kptr(c: Compiler, node: ast.Call) -> Val:
    """``kptr("task_struct", p)``: ``p`` as a pointer to a kernel struct (followable by
    field names through BTF), bpftrace's ``(struct task_struct *)p``."""
    from ..btf import vmlinux
    from ..errors import BtfError
    from .exprs import convert

    _nargs(c, node, 2)
    a = node.args[0]
    if not (isinstance(a, ast.Constant) and isinstance(a.value, str)):
        raise c.error("kptr() takes the struct's name in quotes first", a)
    try:
        tid = vmlinux().find(a.value, "struct")
    except BtfError:
        try:
            tid = vmlinux().find(a.value, "union")
        except BtfError:
            raise c.error(f"struct {a.value} is not in this kernel's BTF", a) from None
    v = c.expr(node.args[1])
    if isinstance(v.typ, KPtr):
        out = c.em.to_temp(v)
        out.typ = KPtr(tid, a.value, user=v.typ.user)
        return out
    user = v.data.get("space") == "user"
    if not isinstance(v.typ, IntType):
        raise c.error(f"kptr() takes an address, got {type_name(v.typ)}", node.args[1])
    out = c.em.to_temp(convert(c, v, u64, node.args[1]))
    out.typ = KPtr(tid, a.value, user=user)
    return out


def stack(c: Compiler, node: ast.Call, user: bool) -> Val:
    """``kstack()``/``ustack()`` (or with a depth): the stack's id, for keys and ``printf``."""
    from .calls import emit_call, map_arg

    _nargs(c, node, 0, 1)
    depth = _const(c, node.args[0], "the stack depth") if node.args else 127
    if not 1 <= depth <= 127:
        raise c.error("a stack is 1 to 127 frames deep", node)
    sm = c.state.stacks(depth)
    r = emit_call(c, "get_stackid", [Val("ctx", "ctx"), map_arg(c, sm),
                                     Val.const(BPF_F_USER_STACK if user else 0)], s64)
    if user:
        c.em.emit(B.Mov.reg32(r.reg, r.reg))
        c.em.to_reg(r)
        pid = _helper(c, "get_current_pid_tgid")
        c.em.emit(B.RSh.imm(pid.reg, 32))
        c.em.emit(B.LSh.imm(pid.reg, 32))
        c.em.emit(B.Or.reg(pid.reg, c.em.to_reg(r)))
        c.em.release(r)
        r = pid
    r.typ = StackId(user, depth)
    r.data["stacks"] = sm
    return r


def kstack(c: Compiler, node: ast.Call) -> Val:
    return stack(c, node, False)


def ustack(c: Compiler, node: ast.Call) -> Val:
    return stack(c, node, True)


def probe_name(c: Compiler, node: ast.Call) -> Val:
    """The full name of the attach point this program runs at (bpftrace's ``probe``)."""
    _nargs(c, node, 0)
    return literal(c.attach.name if c.attach is not None else c.ctx.section)


def func(c: Compiler, node: ast.Call) -> Val:
    """The probed function's name (bpftrace's ``func``, for uprobes and kprobes)."""
    _nargs(c, node, 0)
    ap = c.attach
    if ap is None or ap.kind not in ("uprobe", "uretprobe", "kprobe", "kretprobe"):
        raise c.error("func() names the probed function: only in uprobes and kprobes", node)
    return literal(ap.symbol or ap.target)


def str_(c: Compiler, node: ast.Call) -> Val:
    """``str(p)`` reads a C string (64 bytes at most); ``str(p, n)`` at most ``n``."""
    from .exprs import expr

    _nargs(c, node, 1, 2)
    size = STRLEN
    if len(node.args) == 2:
        size = _const(c, node.args[1], "the length of str()")
        if not 1 <= size <= 200:
            raise c.error("str(p, n) reads 1 to 200 bytes", node.args[1])
    v = expr(c, node.args[0])
    if is_string(v):
        return v
    if not isinstance(v.typ, IntType):
        raise c.error(f"str() reads a string at an address; got {type_name(v.typ)}", node.args[0])
    return read_str(c, v, size, v.data.get("space"), node)


def sym(c: Compiler, node: ast.Call, user: bool) -> Val:
    from .exprs import convert, scalar

    _nargs(c, node, 1)
    v = c.em.to_temp(convert(c, scalar(c, node.args[0]), u64, node.args[0]))
    v.typ = SymAddr(user)
    return v


def ksym(c: Compiler, node: ast.Call) -> Val:
    return sym(c, node, False)


def usym(c: Compiler, node: ast.Call) -> Val:
    return sym(c, node, True)


def kaddr(c: Compiler, node: ast.Call) -> Val:
    """The address of a kernel symbol, from /proc/kallsyms at compile time."""
    from ..symbolize import kernel_symbols

    _nargs(c, node, 1)
    arg = node.args[0]
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
        raise c.error("kaddr() takes a symbol name in quotes", arg)
    addr = kernel_symbols().address(arg.value)
    if not addr:
        raise c.error(f"kernel symbol {arg.value!r} is not in /proc/kallsyms", arg)
    v = Val.const(addr, u64)
    v.data["symbol"] = arg.value  # an address *p may read
    return v


# -- actions -------------------------------------------------------------------------------------
def _argspec(c: Compiler, v: Val, node: ast.AST) -> ArgSpec:
    if isinstance(v.typ, Blob):
        return ArgSpec(v.typ.kind, v.typ.size)
    if is_string(v):
        return ArgSpec("str", string_size(v))
    if isinstance(v.typ, StackId):
        return ArgSpec("ustack" if v.typ.user else "kstack", 8, extra=v.data.get("stacks"))
    if isinstance(v.typ, SymAddr):
        return ArgSpec("usym" if v.typ.user else "ksym", 16 if v.typ.user else 8)
    if isinstance(v.typ, IntType):
        return ArgSpec("int", 8, v.typ.signed or v.kind == "imm")
    raise c.error(f"cannot print {type_name(v.typ)}", node)


def _record(c: Compiler, aid: int, vals: list[tuple[Val, ArgSpec]], node: ast.AST) -> None:
    """Store the record (id, then each argument) on the stack and send it."""
    from .calls import emit_call, map_arg
    from .exprs import convert

    size = 8 + sum(s.slot for _, s in vals)
    off = c.em.alloc(size, 8, node)
    c.em.emit(B.St.dw(10, off, aid))
    pos = off + 8
    for v, spec in vals:
        if spec.kind == "str":
            store_string(c, 10, pos, spec.size, v)
        elif spec.kind in ("inet", "buf"):
            from .exprs import copy

            copy(c, Val("stack", v.typ, off=pos), v, spec.slot)
            c.em.release(v)
        elif spec.kind == "usym":
            c.em.store(10, pos, u64, v)
            c.em.release(v)
            pid = _helper(c, "get_current_pid_tgid")
            c.em.emit(B.RSh.imm(pid.reg, 32))
            c.em.emit(B.Stx.dw(10, pos + 8, pid.reg))
            c.em.release(pid)
        else:
            if isinstance(v.typ, IntType):
                v = convert(c, v, s64 if spec.signed else u64, node)
            c.em.store(10, pos, u64, v)
            c.em.release(v)
        pos += spec.slot
    ch = c.state.events
    r = emit_call(c, "ringbuf_output", [map_arg(c, ch), Val("stack", u64, off=off), Val.const(size),
                                        Val.const(0)], s64)
    c.em.release(r)


def printf(c: Compiler, node: ast.Call) -> Val:
    """``printf(fmt, args...)``: a C format (see `pybpf.dsl.cformat`) formatted in userspace."""
    from ..errors import DslError
    from .cformat import CFormat

    if not node.args or not (isinstance(node.args[0], ast.Constant)
                             and isinstance(node.args[0].value, str)):
        raise c.error("printf() takes a format string literal first", node)
    fmt = node.args[0].value
    try:
        cf = CFormat(fmt)
    except DslError as e:
        raise c.error(e.args[0] if e.args else str(e), node.args[0]) from None
    args = node.args[1:]
    if cf.count != len(args):
        raise c.error(f"printf: the format has {cf.count} conversion{'s' if cf.count != 1 else ''} "
                      f"and {len(args)} argument{'s' if len(args) != 1 else ''} follow", node)
    vals = [(v, _argspec(c, v, a)) for v, a in ((c.expr(a), a) for a in args)]
    for (_v, spec), conv, a in zip(vals, cf.conversions, args, strict=True):
        if spec.kind in ("str", "inet") and conv.conv not in "s":
            raise c.error(f"printf: {conv.text} takes a number, this is a string", a)
        if spec.kind == "buf" and conv.conv not in "rs":
            raise c.error(f"printf: {conv.text} takes a number, this is a buf() (use %r)", a)
        if spec.kind != "buf" and conv.conv == "r":
            raise c.error("printf: %r prints a buf(), this is not one", a)
    aid = c.state.events.register(Action("printf", fmt, tuple(s for _, s in vals)))
    _record(c, aid, vals, node)
    return Val.const(0)


def cat(c: Compiler, node: ast.Call) -> Val:
    """``cat(path_fmt, args...)``: print the contents of the file the format names
    (``cat("/proc/%d/status", pid())``), read in userspace when the record arrives."""
    from ..errors import DslError
    from .cformat import CFormat

    if not node.args or not (isinstance(node.args[0], ast.Constant)
                             and isinstance(node.args[0].value, str)):
        raise c.error("cat() takes a file name (a format string literal) first", node)
    fmt = node.args[0].value
    try:
        cf = CFormat(fmt)
    except DslError as e:
        raise c.error(e.args[0] if e.args else str(e), node.args[0]) from None
    if cf.count != len(node.args) - 1:
        raise c.error(f"cat: the file name has {cf.count} conversion{'s' if cf.count != 1 else ''} "
                      f"and {len(node.args) - 1} argument{'s' if len(node.args) != 2 else ''} "
                      "follow", node)
    vals = [(v, _argspec(c, v, a)) for v, a in ((c.expr(a), a) for a in node.args[1:])]
    aid = c.state.events.register(Action("cat", fmt, tuple(s for _, s in vals)))
    _record(c, aid, vals, node)
    return Val.const(0)


def print_(c: Compiler, node: ast.Call) -> Val:
    """``print(value)``; ``print(map)``, ``print(map, top)``, ``print(map, top, div)``."""
    from .aggregate import map_ref
    from .automap import AutoMap

    _nargs(c, node, 1, 3)
    m = map_ref(c, node.args[0])
    if isinstance(m, AutoMap):
        top = _const(c, node.args[1], "print()'s top") if len(node.args) > 1 else 0
        div = _const(c, node.args[2], "print()'s divisor") if len(node.args) > 2 else 0
        aid = c.state.events.register(Action("print", map=m, top=top, div=div))
        _record(c, aid, [], node)
        return Val.const(0)
    if len(node.args) > 1:
        raise c.error("print(value) takes one value (top and div are for maps)", node)
    v = c.expr(node.args[0])
    spec = _argspec(c, v, node.args[0])
    aid = c.state.events.register(Action("print", args=(spec,)))
    _record(c, aid, [(v, spec)], node)
    return Val.const(0)


def print_time(c: Compiler, node: ast.Call) -> Val:
    """``print_time(fmt="%H:%M:%S\\n")``: the wall-clock time, strftime-formatted (bpftrace's
    ``time()``)."""
    _nargs(c, node, 0, 1)
    fmt = "%H:%M:%S\n"
    if node.args:
        a = node.args[0]
        if not (isinstance(a, ast.Constant) and isinstance(a.value, str)):
            raise c.error("print_time() takes a strftime format literal", a)
        fmt = a.value
    aid = c.state.events.register(Action("time", fmt))
    _record(c, aid, [], node)
    return Val.const(0)


def map_action(c: Compiler, node: ast.Call, kind: str) -> Val:
    from .aggregate import map_ref
    from .automap import AutoMap

    _nargs(c, node, 1)
    m = map_ref(c, node.args[0])
    if not isinstance(m, AutoMap):
        raise c.error(f"{kind}() takes a map (at.name or an AutoMap())", node.args[0])
    aid = c.state.events.register(Action(kind, map=m))
    _record(c, aid, [], node)
    return Val.const(0)


def clear(c: Compiler, node: ast.Call) -> Val:
    return map_action(c, node, "clear")


def zero(c: Compiler, node: ast.Call) -> Val:
    return map_action(c, node, "zero")


def exit_(c: Compiler, node: ast.Call) -> Val:
    """``exit()``: end the run (END probes run, maps are printed)."""
    _nargs(c, node, 0)
    aid = c.state.events.register(Action("exit"))
    _record(c, aid, [], node)
    return Val.const(0)


def join(c: Compiler, node: ast.Call) -> Val:
    """``join(argv)`` / ``join(argv, delim)``: print the strings of a NULL-terminated array of
    pointers (16 at most, 1024 bytes each), joined by ``delim`` (a space)."""
    from .calls import emit_call, map_arg
    from .exprs import convert, scalar

    _nargs(c, node, 1, 2)
    delim = " "
    if len(node.args) == 2:
        a = node.args[1]
        if not (isinstance(a, ast.Constant) and isinstance(a.value, str)):
            raise c.error("join()'s delimiter is a string literal", a)
        delim = a.value
    src = scalar(c, node.args[0])
    space = src.data.get("space")
    base = c.em.new_temp(u64)
    c.em.load_into(convert(c, src, u64, node.args[0]), base.reg)
    slot = c.em.alloc(8, 8, node)
    c.em.emit(B.Stx.dw(10, slot, base.reg))
    c.em.release(base)
    scratch = c.state.join_scratch
    key = Val("stack", u32, off=c.em.alloc(8, 8, node))
    c.em.emit(B.St.w(10, key.off, 0))
    p = emit_call(c, "map_lookup_elem", [map_arg(c, scratch), key])
    done = c.em.new_label("join")
    c.em.emit(B.JEq.imm(p.reg, 0, done))
    aid = c.state.events.register(Action("join", delim))
    c.em.emit(B.St.dw(p.reg, 0, aid))
    pslot = c.em.alloc(8, 8, node)
    c.em.emit(B.Stx.dw(10, pslot, p.reg))
    c.em.release(p)
    read = {"user": "probe_read_user", "kernel": "probe_read_kernel"}.get(space or "", "probe_read")
    read_s = {"user": "probe_read_user_str", "kernel": "probe_read_kernel_str"}.get(space or "",
                                                                                  "probe_read_str")
    ptr = Val("stack", u64, off=c.em.alloc(8, 8, node))
    for i in range(JOIN_ARGS):
        addr = c.em.new_temp(u64)
        c.em.emit(B.Ldx.dw(addr.reg, 10, slot))
        if i:
            c.em.emit(B.Add.imm(addr.reg, 8 * i))
        c.em.emit(B.St.dw(10, ptr.off, 0))
        r = emit_call(c, read, [ptr, Val.const(8), addr], s64)
        c.em.release(r)
        dst = c.em.new_temp(u64)
        c.em.emit(B.Ldx.dw(dst.reg, 10, pslot))
        c.em.emit(B.Add.imm(dst.reg, 8 + i * JOIN_ARG_SIZE))
        s = c.em.new_temp(u64)
        c.em.emit(B.Ldx.dw(s.reg, 10, ptr.off))
        r = emit_call(c, read_s, [dst, Val.const(JOIN_ARG_SIZE), s], s64)
        c.em.release(r)
    rec = c.em.new_temp(u64)
    c.em.emit(B.Ldx.dw(rec.reg, 10, pslot))
    r = emit_call(c, "ringbuf_output", [map_arg(c, c.state.events), rec,
                                        Val.const(8 + JOIN_ARGS * JOIN_ARG_SIZE), Val.const(0)], s64)
    c.em.release(r)
    c.em.place(done)
    return Val.const(0)


def _loop(c: Compiler, node: ast.Call) -> Val:
    from .subprogs import loop

    return loop(c, node)


def _memory(name: str) -> Callable[[Compiler, ast.Call], Val]:
    def handler(c: Compiler, node: ast.Call) -> Val:
        from . import memory

        result: Val = getattr(memory, name)(c, node)
        return result

    handler.__name__ = name
    return handler


def not_here(c: Compiler, node: ast.Call) -> Val:
    name = getattr(node.func, "id", "?")
    raise c.error(f"{name}() is an aggregation: assign it to a map entry (at.name[key] = "
                  f"{name}(...))", node)


HANDLERS: dict[str, Callable[[Compiler, ast.Call], Val]] = {
    "nsecs": nsecs, "elapsed": elapsed, "cgroup": cgroup, "rand": rand, "curtask": curtask,
    "kstack": kstack, "ustack": ustack, "kptr": kptr, "loop": _loop, "probe_name": probe_name, "func": func, "str": str_,
    "ksym": ksym, "usym": usym, "kaddr": kaddr, "printf": printf, "print": print_,
    "print_time": print_time, "clear": clear, "zero": zero, "exit": exit_, "join": join,
    "count": not_here, "sum": not_here, "min": not_here, "max": not_here, "avg": not_here,
    "stats": not_here, "hist": not_here, "lhist": not_here, "cat": cat,
    "ntop": _memory("ntop"), "buf": _memory("buf"), "bswap": _memory("bswap"),
    "deref": _memory("deref"),
}
VALUES = ("nsecs", "elapsed", "cgroup", "rand", "curtask", "kstack", "ustack", "probe_name",
          "func", "str", "ksym", "usym", "kaddr", "ntop", "buf", "bswap", "deref")
ACTIONS = ("printf", "print", "print_time", "clear", "zero", "exit", "join", "cat")
