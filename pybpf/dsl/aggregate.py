"""Code for bpftrace-style maps (`pybpf.dsl.automap.Map`): keys, assignments, aggregations,
reads and deletes.

``m[k] = count()`` compiles to a lookup of this CPU's value and an in-place update, or an
insert of the first value when the key is new::

    key   = k (ints as 8 bytes, strings zero-padded, hist/lhist: + the bucket)
    value = map_lookup_elem(m, &key)
    if value: *value += 1            (sum: += v; min/max: compare; avg/stats: count, total)
    else:     map_update_elem(m, &key, &first, BPF_ANY)

``m[k] = v`` stores an int or a string; ``m[k]`` reads it (0 or "" when the key is
missing, as bpftrace); ``del m[k]`` deletes it.
"""

from __future__ import annotations

from ..asm import builder as B
from ..errors import DslError
from . import pyast as ast  # (not `import ast`: start-up)
from .automap import AGGREGATIONS, AutoMap, KeyPart
from .codegen import Val
from .scope import map_ref  # (kept here too: its callers' name)
from .strings import STRLEN, is_string, store_string, store_zero, string_size
from .types import ArrayType, IntType, char, s64, type_name, u64
from .valtypes import StackId

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

    from .compiler import Compiler

__all__ = ["UntypedMap", "assign", "delete", "increment", "map_ref", "read"]

BPF_ANY = 0
BPF_NOEXIST = 1


class UntypedMap(DslError):
    """A probe reads an `AutoMap` no compiled probe has written yet (compile the writer first)."""


# -- keys ------------------------------------------------------------------------------------
def _key_nodes(key: ast.expr | None) -> list[ast.expr]:
    if key is None:
        return []
    if isinstance(key, ast.Tuple):
        return list(key.elts)
    return [key]


def _part_of(c: Compiler, v: Val, node: ast.AST) -> KeyPart:
    if is_string(v):
        return KeyPart("str", max(string_size(v), 1) if v.kind != "strlit" else STRLEN)
    if isinstance(v.typ, StackId):
        return KeyPart("ustack" if v.typ.user else "kstack")
    if isinstance(v.typ, IntType):
        return KeyPart("int", 8, v.typ.signed)
    raise c.error(f"a map key is an int, a string or a stack, not {type_name(v.typ)}", node)


def build_key(c: Compiler, m: AutoMap, key: ast.expr | None, node: ast.AST,
              bucket: Val | None = None) -> Val:
    """The key on the stack (typing ``m``'s key on first use)."""
    nodes = _key_nodes(key)
    vals = [c.expr(n) for n in nodes]
    parts = [_part_of(c, v, n) for v, n in zip(vals, nodes, strict=True)]
    for v in vals:
        if isinstance(v.typ, StackId):
            m.stack_map = v.data.get("stacks")
    if m.parts is None:
        m.parts = parts
    elif len(m.parts) != len(parts):
        want = len(m.parts)
        raise c.error(f"{m.label or c.map_name(m)} has {want or 'no'} key{'s' if want != 1 else ''} "
                      f"(first use), here {len(parts) or 'none'}", node)
    else:
        for have, got, n in zip(m.parts, parts, nodes, strict=True):
            if (have.kind == "str") != (got.kind == "str") or \
                    (have.kind in ("kstack", "ustack")) != (got.kind in ("kstack", "ustack")):
                raise c.error(f"{m.label or c.map_name(m)} is keyed by {have.kind} here "
                              f"{got.kind}", n)
    size = m.key_size
    off = c.em.alloc(size, 8, node)
    for v, part, poff in zip(vals, m.parts, m.key_offsets(), strict=True):
        if part.kind == "str":
            store_string(c, 10, off + poff, part.size, v)
            if part.slot > part.size:
                store_zero(c, 10, off + poff + part.size, part.slot - part.size)
        else:
            from .exprs import convert

            t = s64 if part.signed else u64
            v = convert(c, v, t, node) if isinstance(v.typ, IntType) else v
            c.em.store(10, off + poff, u64, v if v.kind == "imm" else _as_u64(c, v))
            c.em.release(v)
    if not m.parts:
        c.em.emit(B.St.dw(10, off, 0))
    if bucket is not None:
        c.em.store(10, off + size - 8, u64, bucket)
        c.em.release(bucket)
    return Val("stack", char[size], off=off)


def _as_u64(c: Compiler, v: Val) -> Val:
    if v.kind == "reg":
        return v
    c.em.to_reg(v)
    return v


# -- statements --------------------------------------------------------------------------------
def _agg_call(c: Compiler, value: ast.expr) -> str | None:
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        obj = c.lookup_name(value.func.id)
        name = getattr(obj, "__name__", value.func.id)
        mod = getattr(obj, "__module__", "") or ""
        if name in AGGREGATIONS and (mod.startswith("pybpf.dsl") or mod == "builtins"):
            return str(name)
    return None


def _set_kind(c: Compiler, m: AutoMap, agg: str, node: ast.AST, *, value_size: int,
              signed: bool = True) -> None:
    if m.agg is None:
        m.agg, m.value_size, m.signed = agg, value_size, signed
        m.value = None
        return
    if m.agg != agg:
        what = {"int": "numbers", "str": "strings"}.get(m.agg, f"{m.agg}() values")
        raise c.error(f"{m.label or c.map_name(m)} holds {what} (first use); this assigns "
                      f"{'a number' if agg == 'int' else 'a string' if agg == 'str' else agg + '()'}",
                      node)


def assign(c: Compiler, m: AutoMap, key: ast.expr | None, value: ast.expr, node: ast.AST) -> None:
    """``m[key] = value``: an aggregation call updates, anything else is stored."""
    agg = _agg_call(c, value)
    if agg is not None:
        _aggregate(c, m, key, agg, value, node)  # type: ignore[arg-type]  # the call was checked to be an aggregation
        return
    v = c.expr(value)
    if is_string(v):
        size = STRLEN if v.kind == "strlit" else string_size(v)
        _set_kind(c, m, "str", node, value_size=m.value_size or size)
        k = build_key(c, m, key, node)
        val = Val("stack", char[m.value_size], off=c.em.alloc(m.value_size, 8, node))
        store_string(c, 10, val.off, m.value_size, v)
    elif isinstance(v.typ, (IntType, StackId)):
        signed = isinstance(v.typ, IntType) and v.typ.signed
        if isinstance(v.typ, IntType) and v.kind == "imm":
            signed = True  # bpftrace: integer literals are int64
        _set_kind(c, m, "int", node, value_size=8, signed=signed)
        from .exprs import convert

        if isinstance(v.typ, IntType):
            v = convert(c, v, s64 if m.signed else u64, node)
        val = Val("stack", u64, off=c.em.alloc(8, 8, node))
        c.em.store(10, val.off, u64, v)
        c.em.release(v)
        k = build_key(c, m, key, node)
    else:
        raise c.error(f"a map holds numbers or strings, not {type_name(v.typ)}", value)
    from .calls import emit_call, map_arg

    r = emit_call(c, "map_update_elem", [map_arg(c, m), k, val, Val.const(BPF_ANY)], s64)
    c.em.release(r)


def _aggregate(c: Compiler, m: AutoMap, key: ast.expr | None, agg: str, call: ast.Call,
               node: ast.AST) -> None:
    from .calls import emit_call, map_arg
    from .exprs import convert, scalar

    args = call.args
    want = {"count": 0, "lhist": 4}.get(agg, 1)
    if len(args) != want:
        raise c.error(f"{agg}() takes {want} argument{'s' if want != 1 else ''}"
                      + (" (value, min, max, step)" if agg == "lhist" else ""), call)
    _set_kind(c, m, agg, node, value_size=AGGREGATIONS[agg])
    v: Val | None = None
    if agg != "count":
        v = scalar(c, args[0])
        v = convert(c, v, s64, args[0])
    bucket = None
    em = c.em
    if agg == "hist":
        bucket = _hist_bucket(c, v)  # type: ignore[arg-type]  # v is set for every aggregation but count
        v = None
    elif agg == "lhist":
        params = []
        for a in args[1:]:
            p = scalar(c, a)
            if p.kind != "imm":
                raise c.error("lhist() min, max and step must be constants", a)
            params.append(p.imm)
        lo, hi, step = params
        if step <= 0 or hi <= lo:
            raise c.error("lhist() needs min < max and a positive step", call)
        if m.lhist_range is not None and m.lhist_range != (lo, hi, step):
            raise c.error(f"{m.label or c.map_name(m)} was lhist{m.lhist_range} (first use)", call)
        m.lhist_range = (lo, hi, step)
        bucket = _lhist_bucket(c, v, lo, hi, step)  # type: ignore[arg-type]  # v is set for every aggregation but count
        v = None
    vslot = None
    if v is not None:  # the value waits in a slot: both paths below read it from there
        vslot = em.alloc(8, 8, node)
        em.store(10, vslot, u64, v)
        em.release(v)
    k = build_key(c, m, key, node, bucket)
    p = emit_call(c, "map_lookup_elem", [map_arg(c, m), k])
    miss, done = em.new_label("new"), em.new_label("agg")
    em.emit(B.JEq.imm(p.reg, 0, miss))
    t = em.new_temp(u64)
    if agg in ("count", "hist", "lhist"):
        em.emit(B.Ldx.dw(t.reg, p.reg, 0))
        em.emit(B.Add.imm(t.reg, 1))
        em.emit(B.Stx.dw(p.reg, 0, t.reg))
    else:
        x = em.new_temp(u64)
        em.emit(B.Ldx.dw(x.reg, 10, vslot))  # type: ignore[arg-type]  # vslot is set for every aggregation but count
        if agg == "sum":
            em.emit(B.Ldx.dw(t.reg, p.reg, 0))
            em.emit(B.Add.reg(t.reg, x.reg))
            em.emit(B.Stx.dw(p.reg, 0, t.reg))
        elif agg in ("avg", "stats"):
            em.emit(B.Ldx.dw(t.reg, p.reg, 0))
            em.emit(B.Add.imm(t.reg, 1))
            em.emit(B.Stx.dw(p.reg, 0, t.reg))
            em.emit(B.Ldx.dw(t.reg, p.reg, 8))
            em.emit(B.Add.reg(t.reg, x.reg))
            em.emit(B.Stx.dw(p.reg, 8, t.reg))
        else:  # min / max: replace when unset or better
            keep, setl = em.new_label("keep"), em.new_label("set")
            em.emit(B.Ldx.dw(t.reg, p.reg, 8))
            em.emit(B.JEq.imm(t.reg, 0, setl))
            em.emit(B.Ldx.dw(t.reg, p.reg, 0))
            em.emit((B.JSLE if agg == "min" else B.JSGE).reg(t.reg, x.reg, keep))
            em.place(setl)
            em.emit(B.Stx.dw(p.reg, 0, x.reg))
            em.emit(B.St.dw(p.reg, 8, 1))
            em.place(keep)
        em.release(x)
    em.release(t)
    em.release(p)
    em.jump(done)
    em.place(miss)
    first = Val("stack", u64, off=em.alloc(m.value_size, 8, node))
    if agg in ("count", "hist", "lhist"):
        em.emit(B.St.dw(10, first.off, 1))
    else:
        x = em.new_temp(u64)
        em.emit(B.Ldx.dw(x.reg, 10, vslot))  # type: ignore[arg-type]  # vslot is set for every aggregation but count
        if agg == "sum":
            em.emit(B.Stx.dw(10, first.off, x.reg))
        elif agg in ("avg", "stats"):
            em.emit(B.St.dw(10, first.off, 1))
            em.emit(B.Stx.dw(10, first.off + 8, x.reg))
        else:
            em.emit(B.Stx.dw(10, first.off, x.reg))
            em.emit(B.St.dw(10, first.off + 8, 1))
        em.release(x)
    r = emit_call(c, "map_update_elem", [map_arg(c, m), k, first, Val.const(BPF_ANY)], s64)
    em.release(r)
    em.place(done)


def _hist_bucket(c: Compiler, v: Val) -> Val:
    """bpftrace's log2 bucket of ``v`` (see `automap.hist_bucket`), branch by branch."""
    em = c.em
    x = em.to_temp(v)
    r = em.new_temp(u64)
    done = em.new_label("hb")
    em.emit(B.Mov.imm(r.reg, 0))
    em.emit(B.JSLT.imm(x.reg, 0, done))
    em.emit(B.Mov.imm(r.reg, 1))
    em.emit(B.JEq.imm(x.reg, 0, done))
    em.emit(B.Mov.imm(r.reg, 2))
    t = em.new_temp(u64)
    for bits in (32, 16, 8, 4, 2, 1):
        skip = em.new_label("hb")
        em.emit(B.Mov.reg(t.reg, x.reg))
        em.emit(B.RSh.imm(t.reg, bits))
        em.emit(B.JEq.imm(t.reg, 0, skip))
        em.emit(B.Mov.reg(x.reg, t.reg))
        em.emit(B.Add.imm(r.reg, bits))
        em.place(skip)
    em.release(t)
    em.release(x)
    em.place(done)
    return r


def _lhist_bucket(c: Compiler, v: Val, lo: int, hi: int, step: int) -> Val:
    em = c.em
    x = em.to_temp(v)
    r = em.new_temp(u64)
    done = em.new_label("lb")
    em.emit(B.Mov.imm(r.reg, 0))
    em.emit(B.JSLT.imm(x.reg, lo, done))
    em.mov_imm(r.reg, (hi - lo) // step + 1)
    em.emit(B.JSGE.imm(x.reg, hi, done))
    em.emit(B.Mov.reg(r.reg, x.reg))
    if lo:
        em.emit(B.Sub.imm(r.reg, lo))
    if step != 1:
        em.emit(B.Div.imm(r.reg, step))
    em.emit(B.Add.imm(r.reg, 1))
    em.place(done)
    em.release(x)
    return r


def increment(c: Compiler, m: AutoMap, key: ast.expr | None, delta: ast.expr, node: ast.AST) -> None:
    """``m[key] += delta`` on an int map: an atomic add, or an insert of ``delta`` when the
    key is new."""
    from .calls import emit_call, map_arg
    from .exprs import convert, scalar

    _set_kind(c, m, "int", node, value_size=8, signed=True)
    d = convert(c, scalar(c, delta), s64, delta)
    dv = Val("stack", u64, off=c.em.alloc(8, 8, node))
    c.em.store(10, dv.off, u64, d)
    c.em.release(d)
    k = build_key(c, m, key, node)
    em = c.em
    p = emit_call(c, "map_lookup_elem", [map_arg(c, m), k])
    miss, done = em.new_label("inew"), em.new_label("inc")
    em.emit(B.JEq.imm(p.reg, 0, miss))
    t = em.new_temp(u64)
    em.emit(B.Ldx.dw(t.reg, 10, dv.off))
    em.emit(B.Atomic.add(p.reg, 0, t.reg))
    em.release(t)
    em.release(p)
    em.jump(done)
    em.place(miss)
    r = emit_call(c, "map_update_elem", [map_arg(c, m), k, dv, Val.const(BPF_NOEXIST)], s64)
    em.release(r)
    em.place(done)


def read(c: Compiler, m: AutoMap, key: ast.expr | None, node: ast.AST) -> Val:
    """``m[key]``: the number (0 when missing) or the string ("" when missing)."""
    from .calls import emit_call, map_arg

    if not m.typed:
        raise UntypedMap(f"{m.label or c.map_name(m)} is read before any probe assigns it",
                         filename=c.filename, line=getattr(node, "lineno", None))
    em = c.em
    if m.agg == "str":
        out = Val("stack", char[m.value_size], off=em.alloc(m.value_size, 8, node))
        k = build_key(c, m, key, node)
        store_zero(c, 10, out.off, m.value_size)
        p = emit_call(c, "map_lookup_elem", [map_arg(c, m), k])
        skip = em.new_label("rs")
        em.emit(B.JEq.imm(p.reg, 0, skip))
        store_string(c, 10, out.off, m.value_size, Val("mem", char[m.value_size], reg=p.reg, off=0,
                                                      temp=True))
        em.place(skip)
        return out
    if m.agg not in ("int", "count", "sum"):
        raise c.error(f"{m.label or c.map_name(m)} holds {m.agg}() values: they are read from "
                      "userspace (print it)", node)
    k = build_key(c, m, key, node)
    p = emit_call(c, "map_lookup_elem", [map_arg(c, m), k])
    skip = em.new_label("rd")
    em.emit(B.JEq.imm(p.reg, 0, skip))
    em.emit(B.Ldx.dw(p.reg, p.reg, 0))
    em.place(skip)
    p.typ = s64 if m.signed and m.agg != "count" else u64
    return p


def delete(c: Compiler, m: AutoMap, key: ast.expr | None, node: ast.AST) -> None:
    from .calls import emit_call, map_arg

    if not m.typed:
        raise UntypedMap(f"{m.label or c.map_name(m)} is deleted before any probe assigns it",
                         filename=c.filename, line=getattr(node, "lineno", None))
    if m.bucketed:
        raise c.error(f"{m.label}: delete one key of a {m.agg}() map with clear() instead", node)
    k = build_key(c, m, key, node)
    r = emit_call(c, "map_delete_elem", [map_arg(c, m), k], s64)
    c.em.release(r)


def value_type(m: AutoMap) -> Any:
    """The DSL type of ``m``'s value (for code that reads it as a typed map)."""
    if m.agg == "str":
        return ArrayType(char, m.value_size)
    return s64 if m.signed else u64
