"""Calls in probes: kernel helpers by name, map methods (with the NULL checks the verifier
needs), buffer-filling helpers (``comm()``, ``probe_read_*``) and inlined module functions."""

from __future__ import annotations

from ..asm import builder as B
from ..isa.helpers import helper_id
from . import pyast as ast  # (not `import ast`: start-up)
from .codegen import Val
from .exprs import convert, copy, expr, lvalue, scalar
from .maps import ArrayMap, DslMap, Histogram, PerfBuf, RingBuf, StackTrace
from .scope import Frame, Local
from .types import ArrayType, IntType, char, is_struct, s64, type_name, u32, u64

FunctionType = type(lambda: None)  # (types.FunctionType, without importing types)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

    from .compiler import Compiler

BPF_NOEXIST = 1
BPF_F_CURRENT_CPU = 0xFFFFFFFF


def emit_local_call(c: Compiler, label: str, args: list[Val], ret: Any = u64) -> Val:
    """Place ``args`` in r1-r5, call the subprogram at ``label``; the result is in r0."""
    return emit_call(c, "", args, ret, local=label)


def emit_call(c: Compiler, helper: str, args: list[Val], ret: Any = u64, *,
              local: str | None = None) -> Val:
    """Place ``args`` in r1-r5, call ``helper``; the result is a temporary in r0."""
    em = c.em
    if c.in_subprog and any(a.kind == "ctx" or a.typ == "ctx" for a in args):
        raise c.error(f"{helper or 'this'}() needs the probe's context, which a subprogram does "
                      "not have (pass what it needs as arguments)")
    for a in args:
        em.release(a) if a.kind != "reg" or a not in em.live else em.live.remove(a)
    for a in args:
        if a.kind == "reg" and a.temp:
            em.free.add(a.reg)
    em.spill_all()
    targets = {i + 1: a for i, a in enumerate(args)}
    # values sitting in another argument's register go to the stack first
    for i, a in targets.items():
        if a.kind == "reg" and 1 <= a.reg <= 5 and a.reg != i and a.reg in targets:
            off = em.alloc(8)
            em.emit(B.Stx.dw(10, off, a.reg))
            a.kind, a.off = "slot", off
    for i, a in targets.items():
        if a.kind == "map":
            em.emit(B.LoadMapPtr(i, a.data["name"]))
        elif a.kind == "func":
            em.emit(B.LoadFunc(i, a.data["label"]))
        elif a.kind == "ctx" or a.typ == "ctx":
            em.emit(B.Mov.reg(i, 6))
        else:
            em.load_into(a, i)
    if local is not None:
        em.emit(B.Call.local(local))
    else:
        hid = helper_id(helper)
        if hid is None:  # pragma: no cover - the tables name helpers of this kernel
            raise c.error(f"helper {helper} is not known to this kernel")
        em.emit(B.Call.helper(helper))
    em.free = set(range(6))
    em.live = []
    return em.claim(0, ret)


def map_arg(c: Compiler, m: DslMap) -> Val:
    return Val("map", "map", data={"name": c.map_name(m)})


def key_addr(c: Compiler, m: DslMap, node: ast.expr) -> Val:
    """The stack address of the key ``node`` for map ``m`` (stored to the stack if scalar)."""
    kt = m.key
    if isinstance(kt, IntType):
        v = convert(c, scalar(c, node), kt, node)
        off = c.em.alloc(8, 8, node)
        c.em.store(10, off, kt, v)
        c.em.release(v)
        return Val("stack", kt, off=off)
    v = lvalue(c, node) if not isinstance(node, ast.Call) else expr(c, node)
    if v.typ != kt and not (isinstance(kt, ArrayType) and isinstance(v.typ, ArrayType)
                            and v.typ.size == kt.size):
        raise c.error(f"key of {c.map_name(m)} must be {type_name(kt)}, got {type_name(v.typ)}",
                      node)
    if v.kind == "stack":
        return v
    off = c.em.alloc(kt.size, 8, node)  # ctx field or map value: copy to the stack
    dst = Val("stack", kt, off=off)
    copy(c, dst, v, kt.size)
    return dst


def value_addr(c: Compiler, m: DslMap, node: ast.expr | None, value: Val | None = None) -> Val:
    vt = m.value
    if isinstance(vt, IntType):
        v = value if value is not None else convert(c, scalar(c, node), vt, node)  # type: ignore[arg-type]  # node is given when value is not
        off = c.em.alloc(8, 8, node)
        c.em.store(10, off, vt, v)
        c.em.release(v)
        return Val("stack", vt, off=off)
    v = lvalue(c, node)  # type: ignore[arg-type]  # node is given for struct values
    if v.typ != vt or v.kind != "stack":
        raise c.error(f"value of {c.map_name(m)} must be a local {type_name(vt)}", node)
    return v


def lookup(c: Compiler, m: DslMap, key: ast.expr) -> Val:
    k = key_addr(c, m, key)
    return emit_call(c, "map_lookup_elem", [map_arg(c, m), k])


def map_get(c: Compiler, m: DslMap, key: ast.expr, default: Val, node: ast.AST) -> Val:
    """``m.get(key, default)``: the value, or ``default`` when the key is missing."""
    vt = m.value
    if not isinstance(vt, IntType):
        raise c.error(f"{c.map_name(m)}.get() reads numbers; values here are {type_name(vt)}: use "
                      f"{c.map_name(m)}.lookup(key)", node)
    if default.kind != "imm":
        raise c.error("the default of map.get() must be a constant", node)
    p = lookup(c, m, key)
    em = c.em
    skip = em.new_label("g")
    if default.imm == 0:
        em.emit(B.JEq.imm(p.reg, 0, skip))
        em.load_mem(p.reg, Val("mem", vt, reg=p.reg, off=0))
        em.place(skip)
    else:
        done = em.new_label("g")
        em.emit(B.JEq.imm(p.reg, 0, skip))
        em.load_mem(p.reg, Val("mem", vt, reg=p.reg, off=0))
        em.jump(done)
        em.place(skip)
        em.mov_imm(p.reg, vt.wrap(default.imm))
        em.place(done)
    p.typ = vt
    return p


def map_increment(c: Compiler, m: DslMap, key: ast.expr, delta: ast.expr | Val, node: ast.AST) -> None:
    """``m[key] += delta``: an atomic add on the value, or insert ``delta`` when missing."""
    vt = m.value
    if not isinstance(vt, IntType) or vt.size not in (4, 8):
        raise c.error(f"{c.map_name(m)}[key] += n needs u32/u64 values, not {type_name(vt)}", node)
    dv = delta if isinstance(delta, Val) else convert(c, scalar(c, delta), vt, node)
    k = key_addr(c, m, key)
    em = c.em
    is_array = isinstance(m, ArrayMap)
    vslot: Val | None = None
    if not is_array or dv.kind != "imm":
        vslot = value_addr(c, m, None, dv)
    p = emit_call(c, "map_lookup_elem", [map_arg(c, m), k])
    miss = em.new_label("miss")
    done = em.new_label("done")
    em.emit(B.JEq.imm(p.reg, 0, done if is_array else miss))
    t = em.new_temp(vt)
    if dv.kind == "imm":
        em.mov_imm(t.reg, dv.imm)
    else:
        assert vslot is not None  # made above for a delta that is not a constant
        em.emit(B.Ldx.dw(t.reg, 10, vslot.off) if vt.size == 8 else B.Ldx.w(t.reg, 10, vslot.off))
    em.emit(B.Atomic.add(p.reg, 0, t.reg, size="dw" if vt.size == 8 else "w"))
    em.release(t)
    em.release(p)
    if not is_array:
        em.jump(done)
        em.place(miss)
        emit_call(c, "map_update_elem", [map_arg(c, m), k, vslot, Val.const(BPF_NOEXIST)])  # type: ignore[list-item]  # vslot is made for hash maps
        em.release(em.live[0]) if em.live else None
    em.place(done)


def log2(c: Compiler, v: Val) -> Val:
    """floor(log2(v)) for v >= 1 (0 for 0), as a u32, branchy binary search."""
    em = c.em
    x = em.to_temp(convert(c, v, u64, ast.Constant(0)))
    r = em.new_temp(u64)
    t = em.new_temp(u64)
    em.emit(B.Mov.imm(r.reg, 0))
    em.emit(B.Mov.reg(t.reg, x.reg))
    em.emit(B.RSh.imm(t.reg, 32))
    skip = em.new_label("l")
    em.emit(B.JEq.imm(t.reg, 0, skip))
    em.emit(B.Mov.reg(x.reg, t.reg))
    em.emit(B.Mov.imm(r.reg, 32))
    em.place(skip)
    em.release(t)
    for bits, limit in ((16, 0xFFFF), (8, 0xFF), (4, 0xF), (2, 0x3), (1, 0x1)):
        skip = em.new_label("l")
        em.emit(B.JLE.imm(x.reg, limit, skip))
        if bits > 1:
            em.emit(B.RSh.imm(x.reg, bits))
        em.emit(B.Add.imm(r.reg, bits))
        em.place(skip)
    em.release(x)
    r.typ = u32
    return r


def fill_buffer(c: Compiler, dst: Val, node: ast.expr) -> bool:
    """``dst = comm()`` / ``dst = probe_read_user_str(ptr)``: let the helper write into ``dst``.
    False when ``node`` is not such a call."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    fname = node.func.id
    from .helpers import BUFFER_HELPERS  # (the helper tables load with the first call)

    if fname not in ("comm", *BUFFER_HELPERS):
        return False
    if not isinstance(dst.typ, ArrayType):
        raise c.error(f"{fname}() fills a byte array; the target is {type_name(dst.typ)}", node)
    addr = dst if dst.kind == "stack" else Val("reg", u64, reg=c.em.to_temp(_addr_of(c, dst)).reg,
                                               temp=True)
    if fname == "comm":
        if node.args:
            raise c.error("comm() takes no arguments", node)
        emit_call(c, "get_current_comm", [addr, Val.const(dst.typ.size)], s64)
        c.em.release(c.em.live[0])
        return True
    if len(node.args) != 1:
        raise c.error(f"{fname}(pointer) takes the address to read from", node)
    src = scalar(c, node.args[0])
    if src.typ.size != 8:
        raise c.error(f"{fname}() reads from an address (a 64-bit pointer field), got "
                      f"{type_name(src.typ)}", node.args[0])
    emit_call(c, BUFFER_HELPERS[fname], [addr, Val.const(dst.typ.size), src], s64)
    c.em.release(c.em.live[0])
    return True


def _addr_of(c: Compiler, v: Val) -> Val:
    t = c.em.new_temp(u64)
    c.em.emit(B.Mov.reg(t.reg, v.reg))
    if v.off:
        c.em.emit(B.Add.imm(t.reg, v.off))
    return t


# -- call dispatch ------------------------------------------------------------------------------
def call(c: Compiler, node: ast.Call) -> Val:
    if node.keywords:
        raise c.error("keyword arguments are not supported in probe calls", node)
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        obj = c.lookup_name(f.value.id)
        if isinstance(obj, DslMap):
            return map_method(c, obj, f.attr, node)
    if not isinstance(f, ast.Name):
        raise c.error("only helpers, map methods and module functions can be called", node)
    fname = f.id
    obj = c.lookup_name(fname)
    # the builtins' and helpers' tables, and subprograms, load with a probe's first call
    from .helpers import BUFFER_HELPERS, SCALAR_HELPERS
    from .library import builtin_handler
    from .subprogs import call_subprog, is_subprog

    handler = builtin_handler(c, fname, obj)
    if handler is not None:
        return handler(c, node)
    if fname in SCALAR_HELPERS and getattr(obj, "__module__", "").startswith("pybpf.dsl"):
        h = SCALAR_HELPERS[fname]
        if len(node.args) != len(h.args):
            raise c.error(f"{fname}() takes {len(h.args)} argument(s), got {len(node.args)}", node)
        args = [convert(c, scalar(c, a), t, a) for a, t in zip(node.args, h.args, strict=True)]
        r = emit_call(c, h.helper, args, h.ret)
        if h.shift:
            c.em.emit(B.RSh.imm(r.reg, h.shift))
        if h.mask == 0xFFFFFFFF:
            c.em.emit(B.Mov.reg32(r.reg, r.reg))
        r.typ = h.ret
        if fname == "task":
            from ..btf import vmlinux
            from .valtypes import KPtr

            r.typ = KPtr(vmlinux().find("task_struct", "struct"), "task_struct")
        return r
    if fname == "log2":
        if len(node.args) != 1:
            raise c.error("log2(value) takes one argument", node)
        return log2(c, scalar(c, node.args[0]))
    if fname == "comm" or fname in BUFFER_HELPERS:
        if fname != "comm":
            raise c.error(f"{fname}() writes into a buffer: assign it to a char array field, "
                          f"e.g. event.name = {fname}(ptr)", node)
        off = c.em.alloc(16, 8, node)
        buf = Val("stack", char[16], off=off)
        fill_buffer(c, buf, node)
        return buf
    if fname == "header" and getattr(obj, "__module__", "") == "pybpf.dsl.net":
        return packet_header(c, node)
    if is_struct(obj):
        if node.args:
            raise c.error(f"{fname}() takes no arguments: set its fields one by one", node)
        off = c.em.alloc(obj.size, 8, node)
        c.em.zero(off, obj.size)
        return Val("stack", obj, off=off)
    if is_subprog(obj):
        return call_subprog(c, obj, node)
    if isinstance(obj, FunctionType):
        return inline(c, obj, node)
    if isinstance(obj, IntType):
        if len(node.args) != 1:
            raise c.error(f"{obj!r}(x) converts one value", node)
        return convert(c, scalar(c, node.args[0]), obj, node)
    raise c.error(f"unknown function {fname!r}: probes can call DSL helpers ("
                  f"{', '.join(sorted(SCALAR_HELPERS))}, comm, log2, probe_read_*), map methods "
                  "and module-level functions", node)


def packet_header(c: Compiler, node: ast.Call, fail: str | None = None, dest: int | None = None) -> Val:
    """``header(ctx, Hdr, offset)``: ``data + offset`` when ``data + offset + sizeof(Hdr) <=
    data_end``, else None (0); the bounds check is the one the verifier needs."""
    data_off = {"xdp": (0, 4), "sched_cls": (76, 80)}.get(c.ctx.prog_type or "")
    if data_off is None:
        raise c.error("header() reads packets: only in XDP and tc probes", node)
    if len(node.args) != 3:
        raise c.error("header(ctx, Hdr, offset) takes the context, a header Struct and an offset",
                      node)
    hdr = c.lookup_name(node.args[1].id) if isinstance(node.args[1], ast.Name) else None
    if hdr is None or not is_struct(hdr):
        raise c.error("the second argument of header() must be a header Struct (EthHdr, IpHdr, "
                      "UdpHdr, TcpHdr or your own)", node.args[1])
    off = scalar(c, node.args[2])
    if off.kind != "imm" or not 0 <= off.imm < 0xFFFF:
        raise c.error("the offset of header() must be a constant (the verifier needs a known "
                      "range)", node.args[2])
    em = c.em
    p = em.new_temp("ptr", ptr_to=hdr) if dest is None else Val("reg", "ptr", reg=dest, ptr_to=hdr)
    end = em.new_temp(u64)
    q = em.new_temp(u64)
    em.emit(B.Ldx.w(p.reg, 6, data_off[0]))  # data, data_end of xdp_md / __sk_buff
    em.emit(B.Ldx.w(end.reg, 6, data_off[1]))
    if off.imm:
        em.emit(B.Add.imm(p.reg, off.imm))
    em.emit(B.Mov.reg(q.reg, p.reg))
    em.emit(B.Add.imm(q.reg, hdr.size))
    if fail is not None:  # `if h is None: return K` fused: a short packet jumps to that return
        em.emit(B.JGT.reg(q.reg, end.reg, fail))
    else:
        ok = em.new_label("pkt")
        em.emit(B.JLE.reg(q.reg, end.reg, ok))
        em.emit(B.Mov.imm(p.reg, 0))
        em.place(ok)
    em.release(end)
    em.release(q)
    return p


def map_method(c: Compiler, m: DslMap, meth: str, node: ast.Call) -> Val:
    mname = c.map_name(m)
    args = node.args
    if isinstance(m, RingBuf) and meth == "output":
        if len(args) != 1:
            raise c.error(f"{mname}.output(event) takes the event", node)
        ev = lvalue(c, args[0])
        if ev.typ is not m.event or ev.kind != "stack":
            raise c.error(f"{mname} carries {type_name(m.event)} events, got "
                          f"{type_name(ev.typ)}", args[0])
        return emit_call(c, "ringbuf_output", [map_arg(c, m), ev, Val.const(m.event.size),
                                               Val.const(0)], s64)
    if isinstance(m, PerfBuf) and meth == "output":
        if len(args) != 2:
            raise c.error(f"{mname}.output(ctx, event) takes the context and the event", node)
        ev = lvalue(c, args[1])
        if ev.typ is not m.event or ev.kind != "stack":
            raise c.error(f"{mname} carries {type_name(m.event)} events", args[1])
        return emit_call(c, "perf_event_output", [Val("ctx", "ctx"), map_arg(c, m),
                         Val.const(BPF_F_CURRENT_CPU), ev, Val.const(m.event.size)], s64)
    if isinstance(m, StackTrace) and meth == "get_stackid":
        if len(args) not in (1, 2):
            raise c.error(f"{mname}.get_stackid(ctx, flags=0)", node)
        flags = scalar(c, args[1]) if len(args) == 2 else Val.const(0)
        return emit_call(c, "get_stackid", [Val("ctx", "ctx"), map_arg(c, m), flags], s64)
    if isinstance(m, Histogram) and meth == "log2":
        if len(args) != 1:
            raise c.error(f"{mname}.log2(value) takes one value", node)
        slot = log2(c, scalar(c, args[0]))
        sl = c.em.alloc(8, 8, node)
        c.em.store(10, sl, u32, slot)
        c.em.release(slot)
        _array_inc(c, m, Val("stack", u32, off=sl))
        return Val.const(0)
    if meth == "get":
        if len(args) not in (1, 2):
            raise c.error(f"{mname}.get(key, default=0)", node)
        default = scalar(c, args[1]) if len(args) == 2 else Val.const(0)
        return map_get(c, m, args[0], default, node)
    if meth == "lookup":
        if len(args) != 1:
            raise c.error(f"{mname}.lookup(key) takes the key", node)
        p = lookup(c, m, args[0])
        p.typ, p.ptr_to = "ptr", m.value
        return p
    if meth == "update":
        if len(args) != 2:
            raise c.error(f"{mname}.update(key, value)", node)
        k = key_addr(c, m, args[0])
        v = value_addr(c, m, args[1])
        return emit_call(c, "map_update_elem", [map_arg(c, m), k, v, Val.const(0)], s64)
    raise c.error(f"{type(m).__name__} {mname} has no method {meth!r} usable in a probe", node)


def _array_inc(c: Compiler, m: DslMap, key: Val) -> None:
    p = emit_call(c, "map_lookup_elem", [map_arg(c, m), key])
    done = c.em.new_label("h")
    c.em.emit(B.JEq.imm(p.reg, 0, done))
    t = c.em.new_temp(u64)
    c.em.emit(B.Mov.imm(t.reg, 1))
    c.em.emit(B.Atomic.add(p.reg, 0, t.reg))
    c.em.release(t)
    c.em.release(p)
    c.em.place(done)


def inline(c: Compiler, fn: Any, node: ast.Call) -> Val:
    """Inline a module-level function: parameters become locals, ``return`` jumps to the end."""
    from . import stmts

    if c.inline_depth > 8:
        raise c.error(f"{fn.__name__}() is recursive (or nested too deep): BPF has no recursion",
                      node)
    from .barenames import call_bare_builtins
    from .source import function_tree

    try:
        fdef = call_bare_builtins(function_tree(fn)[1], fn.__globals__)
    except (OSError, TypeError, SyntaxError):
        raise c.error(f"cannot read the source of {fn.__name__}() (a plain function of a "
                      "module?)", node) from None
    params = fdef.args.args
    if len(params) != len(node.args):
        raise c.error(f"{fn.__name__}() takes {len(params)} argument(s), got {len(node.args)}", node)
    frame = Frame(globals=fn.__globals__, ret_label=c.em.new_label("ret"))
    c.em.spill_all()  # the inlined statements start with every scratch register free
    vals = []
    for p, a in zip(params, node.args, strict=True):
        v = expr(c, a)
        ann = stmts.annotation(c, p.annotation) if p.annotation is not None else None
        vals.append((p, v, ann))
    where = c.em.where
    for p, v, ann in vals:
        if v.kind == "stack" or (v.kind == "reg" and v.typ == "ptr"):
            frame.locals[p.arg] = Local(p.arg, v.typ, v, kind="agg" if v.kind == "stack" else "ptr")
            continue
        if v.typ == "ctx":
            frame.locals[p.arg] = Local(p.arg, "ctx", Val("reg", "ctx", reg=6), kind="ctx")
            continue
        t = ann or v.typ
        c.frames.append(frame)
        loc = c.new_local(p.arg, t, node)
        c.frames.pop()
        stmts.assign_local(c, loc, v, node)
    ret_t = stmts.annotation(c, fdef.returns) if fdef.returns is not None else u64
    c.frames.append(frame)
    c.inline_depth += 1
    try:
        if ret_t is not None and isinstance(ret_t, IntType):
            frame.ret_local = c.new_local(".ret", ret_t, node)
        stmts.block(c, fdef.body)
        c.em.place(frame.ret_label)  # type: ignore[arg-type]  # an inlined frame has a return label
    finally:
        c.inline_depth -= 1
        c.frames.pop()
        c.em.where = where
    if frame.ret_local is None:
        return Val.const(0)
    return frame.ret_local.read()


__all__ = ["call", "emit_call", "fill_buffer", "lookup", "map_get", "map_increment", "PerfBuf",
           "copy", "u32"]
