"""Expressions and conditions of the DSL: arithmetic in the declared width, comparisons,
``and``/``or``/``not``, attribute and field access, helper, map and inlined-function calls.

Every function takes the `Compiler` (``c``) and an AST node; values are `Val`s.
"""

from __future__ import annotations

from ..asm import builder as B
from . import pyast as ast  # (not `import ast`: start-up)
from .codegen import SIZE_OPS, Val, is_kptr, is_stack_id, is_string
from .maps import ArrayMap, DslMap, Global, Histogram, PerfBuf, RingBuf, StackTrace
from .scope import MISSING, Local, is_automap, map_ref
from .types import (
    ArrayType,
    IntType,
    bool_,
    char,
    is_struct,
    s8,
    s16,
    s32,
    s64,
    type_name,
    u8,
    u16,
    u32,
    u64,
)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .compiler import Compiler

ALU_OPS: dict[type, str] = {ast.Add: "Add", ast.Sub: "Sub", ast.Mult: "Mul", ast.FloorDiv: "Div", ast.Mod: "Mod",
        ast.BitAnd: "And", ast.BitOr: "Or", ast.BitXor: "Xor", ast.LShift: "LSh",
        ast.RShift: "RSh"}
_WRAPS = {"Add", "Sub", "Mul", "LSh"}  # results that can leave the declared width
_JMP: dict[type, tuple[str, str]] = {ast.Eq: ("JEq", "JEq"), ast.NotEq: ("JNE", "JNE"), ast.Lt: ("JLT", "JSLT"),
        ast.LtE: ("JLE", "JSLE"), ast.Gt: ("JGT", "JSGT"), ast.GtE: ("JGE", "JSGE")}
_NEGATE: dict[type, type] = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt,
           ast.Gt: ast.LtE, ast.LtE: ast.Gt}
_MIRROR: dict[type, type] = {ast.Eq: ast.Eq, ast.NotEq: ast.NotEq, ast.Lt: ast.Gt, ast.Gt: ast.Lt,
           ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def is_int(t: Any) -> bool:
    return isinstance(t, IntType)


def literal_type(value: int) -> IntType:
    """The C type of an integer literal: int, long or unsigned long."""
    if -(1 << 31) <= value < (1 << 31):
        return s32
    return s64 if -(1 << 63) <= value < (1 << 63) else u64


def promote(v: Val) -> IntType:
    """C integer promotion: narrower than int becomes int (s32); a literal is int when it
    fits, else long (s64) or unsigned long (u64)."""
    t = v.typ
    return s32 if t.size < 4 else t


def arith_type(a: Val, b: Val) -> IntType:
    """The usual arithmetic conversions of C after promotion: the wider type wins; at equal
    width unsigned wins."""
    ta, tb = promote(a), promote(b)
    if ta.size != tb.size:
        return ta if ta.size > tb.size else tb
    return tb if ta.signed else ta


def fold(op: type, a: int, b: int, node: ast.AST, c: Compiler) -> int:
    if op in (ast.FloorDiv, ast.Mod) and b == 0:
        raise c.error("division by zero in a constant expression", node)
    def div() -> int:  # C truncates toward zero
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q

    ops: dict[type, Callable[[], int]] = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
            ast.FloorDiv: div, ast.Mod: lambda: a - div() * b, ast.BitAnd: lambda: a & b,
            ast.BitOr: lambda: a | b, ast.BitXor: lambda: a ^ b, ast.LShift: lambda: a << b,
            ast.RShift: lambda: a >> b}
    return ops[op]()


def normalize(c: Compiler, reg: int, t: IntType) -> None:
    """Bring register ``reg`` back to the value of type ``t`` (zero/sign extension)."""
    if t.size == 8:
        return
    if t.signed:
        c.em.emit(B.Mov.sx(reg, reg, t.bits))
    elif t.size == 4:
        c.em.emit(B.Mov.reg32(reg, reg))
    else:
        c.em.emit(B.And.imm(reg, (1 << t.bits) - 1))


def convert(c: Compiler, v: Val, to: IntType, node: ast.AST) -> Val:
    """``v`` as a value of type ``to`` (C conversion)."""
    if not is_int(v.typ):
        raise c.error(f"expected an integer, got {type_name(v.typ)}", node)
    if v.kind == "imm":
        return Val.const(to.wrap(v.imm), to)
    if v.kind == "mem":  # load with the memory's own type (byte order, sign) first
        c.em.to_reg(v)
    frm = v.typ
    if to.size < 8 and (to.size < frm.size or (frm.signed and not to.signed)
                        or (to.size == frm.size and frm.signed != to.signed)):
        t = c.em.to_temp(v)
        normalize(c, t.reg, to)
        t.typ = to
        return t
    out = Val(v.kind, to, imm=v.imm, reg=v.reg, off=v.off, temp=v.temp)
    if v.temp and v in c.em.live:
        c.em.live[c.em.live.index(v)] = out
    return out


def scalar(c: Compiler, node: ast.expr) -> Val:
    return _as_scalar(c, expr(c, node), node)


def _as_scalar(c: Compiler, v: Val, node: ast.expr) -> Val:
    if is_stack_id(v.typ):
        return v
    if is_kptr(v.typ):  # a pointer as a number (tests, arithmetic)
        out = c.em.to_temp(v)
        out.typ = u64
        return out
    if is_string(v):
        raise c.error(f"expected a number here, got a string ({type_name(v.typ)}); strings compare "
                      "with == or != to a literal", node)
    if v.kind == "mem":
        if not is_int(v.typ):
            raise c.error(f"{type_name(v.typ)} is not a number", node)
        return v
    if not is_int(v.typ):
        what = "the context" if v.typ == "ctx" else type_name(v.typ) if v.typ != "ptr" else "a pointer"
        raise c.error(f"expected a number here, got {what}", node)
    return v


# -- expressions -----------------------------------------------------------------------------
def expr(c: Compiler, node: ast.expr) -> Val:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return Val.const(int(node.value), bool_)
        if isinstance(node.value, int):
            if not -(1 << 63) <= node.value < (1 << 64):
                raise c.error(f"integer {node.value} does not fit in 64 bits", node)
            return Val.const(node.value, literal_type(node.value))
        if node.value is None:
            raise c.error("None is only allowed in `x is None` tests of lookups", node)
        if isinstance(node.value, (str, bytes)):
            from .strings import literal  # (strings load with the first)

            return literal(node.value)
        raise c.error(f"{type(node.value).__name__} constants are not supported in a probe "
                      "(only integers)", node)
    if isinstance(node, ast.Name):
        return name(c, node)
    if isinstance(node, ast.BinOp):
        return binop(c, node)
    if isinstance(node, ast.UnaryOp):
        return unary(c, node)
    if isinstance(node, (ast.Compare, ast.BoolOp)):
        return as_value(c, node)
    if isinstance(node, ast.Attribute):
        return attribute(c, node)
    if isinstance(node, ast.Subscript):
        return subscript(c, node)
    if isinstance(node, ast.Call):
        from .calls import call

        return call(c, node)
    if isinstance(node, ast.IfExp):
        return conditional(c, node)
    kinds = {ast.List: "lists", ast.Dict: "dicts", ast.Set: "sets", ast.Tuple: "tuples",
             ast.ListComp: "list comprehensions", ast.Lambda: "lambdas", ast.JoinedStr: "f-strings",
             ast.GeneratorExp: "generators", ast.Await: "await", ast.DictComp: "comprehensions"}
    what = kinds.get(type(node), type(node).__name__)
    raise c.error(f"{what} are not supported in a probe", node)


def name(c: Compiler, node: ast.Name) -> Val:
    obj = c.lookup_name(node.id)
    if isinstance(obj, Local):
        if obj.kind == "ptr" and not obj.checked:
            raise c.error(f"{node.id} may be None (the map has no such key): check it with "
                          f"`if {node.id}:` or `if {node.id} is None: return 0` before using it",
                          node)
        v = obj.read()
        if obj.kind == "ptr":
            v.typ = "ptr"
        return v
    if obj is MISSING:
        raise c.error(f"name {node.id!r} is not defined (assign it first, or define it at module "
                      "level)", node)
    if isinstance(obj, bool):
        return Val.const(int(obj), bool_)
    if isinstance(obj, int):
        return Val.const(obj, literal_type(obj))
    raise c.error(f"{node.id!r} is a {type(obj).__name__}: only integer constants, maps, DSL "
                  "helpers and functions can be used in a probe", node)


def binop(c: Compiler, node: ast.BinOp) -> Val:
    op = type(node.op)
    if op is ast.Div:
        raise c.error("true division (/) gives a float: use // for integer division", node)
    if op is ast.Pow:
        raise c.error("** is not supported (BPF has no power instruction): multiply, or shift "
                      "for powers of two", node)
    if op not in ALU_OPS:
        raise c.error(f"operator {type(node.op).__name__} is not supported", node)
    a = scalar(c, node.left)
    b = scalar(c, node.right)
    if a.kind == "imm" and b.kind == "imm":
        t = arith_type(a, b)
        x, y = t.wrap(a.imm), t.wrap(b.imm)
        if op in (ast.LShift, ast.RShift):
            y &= t.bits - 1 if t.size >= 4 else 63  # as the ALU masks the shift amount
        return Val.const(t.wrap(fold(op, x, y, node, c)), t)
    t = arith_type(a, b)
    if b.kind == "imm" and op in (ast.FloorDiv, ast.Mod) and b.imm == 0:
        raise c.error("division by zero", node)
    alu = ALU_OPS[op]
    if t.signed:
        alu = {"Div": "SDiv", "Mod": "SMod", "RSh": "ArSh"}.get(alu, alu)
    a = convert(c, a, t, node)
    if a.kind == "imm" and op in (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor):
        a, b = b, a  # commutative: keep the constant as the immediate
    dst = c.em.to_temp(a)
    builder = getattr(B, alu)
    wide = t.size == 8 or t.size < 4
    if b.kind == "imm" and -(1 << 31) <= t.wrap(b.imm) < (1 << 31):
        imm = t.wrap(b.imm)
        c.em.emit(builder.imm(dst.reg, imm) if wide else builder.imm32(dst.reg, imm))
    else:
        b = convert(c, b, t, node)
        rb = c.em.to_reg(b)
        c.em.emit(builder.reg(dst.reg, rb) if wide else builder.reg32(dst.reg, rb))
        c.em.release(b)
    dst.typ = t
    if t.size == 4 and t.signed or t.size < 4 and alu in _WRAPS:
        normalize(c, dst.reg, t)
    return dst


def unary(c: Compiler, node: ast.UnaryOp) -> Val:
    if isinstance(node.op, ast.Not):
        return as_value(c, node)
    v = scalar(c, node.operand)
    if isinstance(node.op, ast.UAdd):
        return v
    if v.kind == "imm":
        it = promote(v)
        value = -it.wrap(v.imm) if isinstance(node.op, ast.USub) else ~it.wrap(v.imm)
        return Val.const(it.wrap(value), it)
    pt = promote(v)  # C: ~x and -x work on the promoted type (int for narrow types)
    t = c.em.to_temp(convert(c, v, pt, node))
    if isinstance(node.op, ast.USub):
        c.em.emit(B.Neg.reg(t.reg))
    else:
        c.em.emit(B.Xor.imm(t.reg, -1))
    t.typ = pt
    if pt.size < 8:
        normalize(c, t.reg, pt)
    return t


def as_value(c: Compiler, node: ast.expr) -> Val:
    """A condition as a 0/1 value."""
    if any(isinstance(n, ast.Call) for n in ast.walk(node)):
        # a call in the condition clobbers scratch registers: pick the result's after it
        false, done = c.em.new_label("f"), c.em.new_label("b")
        branch(c, node, false, False)
        t = c.em.new_temp(bool_)
        c.em.emit(B.Mov.imm(t.reg, 1))
        c.em.jump(done)
        c.em.place(false)
        c.em.emit(B.Mov.imm(t.reg, 0))
        c.em.place(done)
        return t
    t = c.em.new_temp(bool_)
    c.em.emit(B.Mov.imm(t.reg, 1))
    done = c.em.new_label("b")
    c.em.live.remove(t)  # keep ``t`` out of spills inside the condition
    branch(c, node, done, True)
    c.em.emit(B.Mov.imm(t.reg, 0))
    c.em.place(done)
    c.em.live.append(t)
    return t


def attribute(c: Compiler, node: ast.Attribute) -> Val:
    base = node.value
    m = map_ref(c, node)
    if is_automap(m):  # (bpftrace's maps: their module loads with the first)
        from . import aggregate

        return aggregate.read(c, m, None, node)
    if isinstance(base, ast.Name):
        obj = c.lookup_name(base.id)
        if isinstance(obj, Local) and obj.kind == "ctx":
            return ctx_field(c, node)
        if isinstance(obj, Global):
            return global_value(c, obj, node)
    lv = lvalue(c, base)
    if is_kptr(lv.typ):
        return kernel_field(c, lv, node)
    t = lv.typ if lv.kind != "reg" else lv.ptr_to
    if lv.kind == "reg" and lv.typ == "ptr":
        t = lv.ptr_to
        lv = Val("mem", t, reg=c.em.to_reg(lv), off=0)
    if not is_struct(t):
        raise c.error(f"{type_name(t)} has no attribute {node.attr!r}", node)
    if node.attr not in t._fields:
        raise c.error(f"struct {t.__name__} has no field {node.attr!r} (fields: "
                      f"{', '.join(t._fields)})", node)
    f = t._fields[node.attr]
    if lv.kind == "stack":
        return Val("mem", f.type, reg=10, off=lv.off + f.offset)
    return Val("mem", f.type, reg=lv.reg, off=lv.off + f.offset, temp=lv.temp)


def global_value(c: Compiler, g: Global, node: ast.Attribute) -> Val:
    """``g.value``: the global's memory, at its map value's direct address (never NULL)."""
    if node.attr != "value":
        raise c.error(f"a Global has one attribute, .value (got .{node.attr})", node)
    p = c.em.new_temp(u64)
    c.em.emit(B.LoadMapValue(p.reg, c.map_name(g), 0))
    return Val("mem", g.value, reg=p.reg, off=0, temp=True)


def kernel_field(c: Compiler, ptr: Val, node: ast.Attribute) -> Val:
    """``task.real_parent``: a member of a kernel (or user) struct at the offset the running
    kernel's BTF gives. Integers and pointers are read (``probe_read_kernel``, or
    ``probe_read_user`` behind a user pointer); a pointer to a struct stays followable; an
    embedded struct is its address; a ``char`` array is read as a string."""
    from ..btf import types as T
    from ..btf import vmlinux
    from ..errors import BtfError
    from .calls import emit_call
    from .valtypes import KPtr

    btf = vmlinux()
    kp: KPtr = ptr.typ
    try:
        tid, bit, bits = btf.member(kp.type_id, node.attr)
    except BtfError:
        raise c.error(f"{kp!r} has no member {node.attr!r} in this kernel's BTF", node) from None
    if bits or bit % 8:
        raise c.error(f"{node.attr} is a bitfield: not supported", node)
    rid = btf.resolve(tid)
    rec = btf[rid]
    read = "probe_read_user" if kp.user else "probe_read_kernel"
    addr = c.em.to_temp(ptr)
    if bit:
        c.em.emit(B.Add.imm(addr.reg, bit // 8))
    if isinstance(rec, T.Composite):  # an embedded struct: its address, followed further
        addr.typ = KPtr(rid, btf.type_name(rid) or "?", user=kp.user)
        return addr
    if isinstance(rec, T.Array):
        elem = btf[btf.resolve(rec.type)]
        if not (isinstance(elem, T.Int) and elem.size == 1):
            raise c.error(f"{node.attr} is an array of {btf.type_name(rec.type) or '?'}: only char "
                          "arrays (strings) can be read", node)
        n = rec.nelems
        buf = Val("stack", char[n], off=c.em.alloc(n, 8, node))
        from .strings import store_zero  # (strings load with the first)

        store_zero(c, 10, buf.off, n)
        r = emit_call(c, read, [buf, Val.const(n), addr], s64)
        c.em.release(r)
        return buf
    if isinstance(rec, T.Ptr):
        target = btf.resolve(rec.type)
        trec = btf[target] if target else None
        result: Any = KPtr(target, btf.type_name(target) or "?", user=kp.user) \
            if isinstance(trec, T.Composite) else u64
        if isinstance(trec, T.Int) and trec.size in (1, 2, 4, 8):
            pointee: Any = {1: u8, 2: u16, 4: u32, 8: u64}[trec.size] if not trec.signed else \
                {1: s8, 2: s16, 4: s32, 8: s64}[trec.size]
        else:
            pointee = None
        size = 8
    elif isinstance(rec, (T.Int, T.Enum)):
        size = rec.size
        signed = isinstance(rec, T.Int) and rec.signed
        result = {(1, False): u8, (2, False): u16, (4, False): u32, (8, False): u64,
                  (1, True): s8, (2, True): s16, (4, True): s32, (8, True): s64}[(size, signed)]
    else:
        raise c.error(f"{node.attr} is a {type(rec).__name__.lower()}: only integers, pointers, "
                      "structs and char arrays can be read", node)
    off = c.em.alloc(8, 8, node)
    c.em.emit(B.St.dw(10, off, 0))
    r = emit_call(c, read, [Val("stack", u64, off=off), Val.const(size), addr], s64)
    c.em.release(r)
    v = c.em.new_temp(u64)
    c.em.load_mem(v.reg, Val("mem", result if isinstance(result, IntType) else u64, reg=10, off=off))
    v.typ = result
    if kp.user and result is u64:
        v.data["space"] = "user"
    if isinstance(rec, T.Ptr) and pointee is not None:
        v.data["pointee"] = pointee
    return v


def lvalue(c: Compiler, node: ast.expr) -> Val:
    """The memory location ``node`` names (a struct local, a field, a checked lookup)."""
    if isinstance(node, ast.Name):
        obj = c.lookup_name(node.id)
        if isinstance(obj, Local) and obj.kind == "agg":
            return obj.read()
        if isinstance(obj, Local) and obj.kind == "ptr":
            v = name(c, node)
            v.ptr_to = obj.val.ptr_to
            reg = c.em.to_reg(v)
            return Val("mem", obj.val.ptr_to, reg=reg, off=0, temp=v.temp)
        return name(c, node)
    if isinstance(node, ast.Attribute):
        v = attribute(c, node)
        if v.kind == "mem" and v.reg == 10:
            return Val("stack", v.typ, off=v.off)
        return v
    return expr(c, node)


def ctx_field(c: Compiler, node: ast.Attribute) -> Val:
    f = c.ctx.field(node.attr)
    if f is None:
        names = ", ".join(n for n in c.ctx.all_fields() if not n.startswith("common_")) or "(none)"
        raise c.error(f"the context of {c.ctx.section} has no field {node.attr!r} "
                      f"(fields: {names})", node)
    if f.usdt is not None:
        return usdt_arg(c, f, node)
    if f.data_loc:
        t = c.em.new_temp(u64)
        c.em.emit(B.Ldx.w(t.reg, 6, f.offset))
        c.em.emit(B.And.imm(t.reg, 0xFFFF))
        c.em.emit(B.Add.reg(t.reg, 6))
        t.data["space"] = "kernel"
        return t
    if f.pointer and "struct " in f.ctype:
        from ..btf import vmlinux
        from ..errors import BtfError

        name = f.ctype.replace("const", "").replace("*", "").replace("struct", "").strip()
        try:
            tid = vmlinux().find(name, "struct")
        except BtfError:
            tid = 0
        if tid:
            t = c.em.new_temp(u64)
            c.em.emit(B.Ldx.dw(t.reg, 6, f.offset))
            from .valtypes import KPtr

            t.typ = KPtr(tid, name, user=f.user)
            return t
    v = Val("mem", f.typ, reg=6, off=f.offset)
    if f.pointer:
        v.data["space"] = "user" if f.user else None
        v.data["ctype"] = f.ctype  # what *p reads (pybpf.dsl.memory.deref)
    elif f.user:
        v.data["space"] = "user"
    return v


def usdt_arg(c: Compiler, f: Any, node: ast.AST) -> Val:
    """A USDT argument: a register of ``pt_regs``, a constant, or memory the note names."""
    from .calls import emit_call
    from .context import PT_REGS

    a = f.usdt
    t = f.typ
    if a.reg is None:
        return Val.const(t.wrap(a.const), t)
    if not a.memory:
        v = c.em.new_temp(u64)
        c.em.emit(B.Ldx.dw(v.reg, 6, PT_REGS[a.reg]))
        normalize(c, v.reg, t)
        v.typ = t
        v.data["space"] = "user"
        return v
    addr = c.em.new_temp(u64)
    c.em.emit(B.Ldx.dw(addr.reg, 6, PT_REGS[a.reg]))
    if a.offset:
        c.em.emit(B.Add.imm(addr.reg, a.offset))
    off = c.em.alloc(8, 8, node)
    c.em.emit(B.St.dw(10, off, 0))
    r = emit_call(c, "probe_read_user", [Val("stack", u64, off=off), Val.const(a.size), addr], s64)
    c.em.release(r)
    v = c.em.new_temp(t)
    c.em.load_mem(v.reg, Val("mem", t, reg=10, off=off))
    v.data["space"] = "user"
    return v


def subscript(c: Compiler, node: ast.Subscript) -> Val:
    target = node.value
    m = map_ref(c, target)
    if is_automap(m):
        from . import aggregate

        return aggregate.read(c, m, node.slice, node)
    obj = c.lookup_name(target.id) if isinstance(target, ast.Name) else None
    if isinstance(obj, DslMap):
        if isinstance(obj, ArrayMap):
            from .calls import map_get

            return map_get(c, obj, node.slice, Val.const(0, obj.value), node)
        name = ast.unparse(target)
        raise c.error(f"{name}[key] may miss (a hash map has no default): use "
                      f"{name}.get(key, 0) or {name}.lookup(key)", node)
    v, skip = element(c, node)
    if skip is not None:  # a variable index: the element was copied to a slot (0 when out of range)
        c.em.place(skip)
    return v


def element(c: Compiler, node: ast.Subscript, *, store: bool = False) -> tuple[Val, str | None]:
    """The memory of ``array[index]``. A constant index is checked now; a variable index is
    checked in the program (``index < N``, unsigned: a negative index is out of range too),
    and the label the code jumps to when it is out of range comes back with the element:
    a read then gives 0, a store does nothing. Context arrays are read with
    ``probe_read_kernel`` (the verifier takes no variable offset into the context)."""
    target = node.value
    base = lvalue(c, target)
    if not isinstance(base.typ, ArrayType):
        raise c.error(f"{type_name(base.typ)} cannot be indexed", node)
    idx = scalar(c, node.slice)
    et = base.typ.elem
    if idx.kind == "imm":
        if not 0 <= idx.imm < base.typ.n:
            raise c.error(f"index {idx.imm} is out of bounds for {type_name(base.typ)}", node.slice)
        if base.kind == "stack":
            return Val("mem", et, reg=10, off=base.off + idx.imm * et.size), None
        return Val("mem", et, reg=base.reg, off=base.off + idx.imm * et.size), None
    em = c.em
    ctx_array = base.kind == "mem" and base.reg == 6
    if ctx_array and store:
        raise c.error("the context is read-only", node)
    slot = None
    if not store:  # reads land in a slot zeroed before the check, so both paths agree
        slot = em.alloc(max(et.size, 8), 8, node)
        from .strings import store_zero  # (strings load with the first)

        store_zero(c, 10, slot, max(et.size, 8))
    i = em.to_temp(convert(c, idx, u64, node.slice))
    skip = em.new_label("oob")
    em.emit(B.JGE.imm(i.reg, base.typ.n, skip))
    if et.size > 1:
        if et.size & (et.size - 1) == 0:
            em.emit(B.LSh.imm(i.reg, et.size.bit_length() - 1))
        else:
            em.emit(B.Mul.imm(i.reg, et.size))
    addr = em.new_temp(u64)
    em.emit(B.Mov.reg(addr.reg, 10 if base.kind == "stack" else base.reg))
    if base.off:
        em.emit(B.Add.imm(addr.reg, base.off))
    em.emit(B.Add.reg(addr.reg, i.reg))
    em.release(i)
    if store:
        return Val("mem", et, reg=addr.reg, off=0, temp=True), skip
    assert slot is not None
    if ctx_array:
        from .calls import emit_call

        r = emit_call(c, "probe_read_kernel", [Val("stack", u64, off=slot), Val.const(et.size), addr],
                      s64)
        em.release(r)
    else:
        copy(c, Val("stack", et, off=slot), Val("mem", et, reg=addr.reg, off=0), et.size)
        em.release(addr)
    return Val("mem", et, reg=10, off=slot), skip


def string_compare(c: Compiler, a: Val, op: type, b: Val, label: str, jump_if: bool,
                   node: ast.AST) -> None:
    """``s == "lit"`` / ``s != "lit"``: compare the bytes of the literal and its NUL."""
    if op not in (ast.Eq, ast.NotEq):
        raise c.error("strings compare only with == and !=", node)
    if not (is_string(a) and is_string(b)):
        raise c.error("cannot compare a string with a number", node)
    if a.kind == "strlit" and b.kind == "strlit":
        same = a.data["bytes"] == b.data["bytes"]
        if (same == (op is ast.Eq)) == jump_if:
            c.em.jump(label)
        return
    if a.kind == "strlit":
        a, b = b, a
    if b.kind != "strlit":
        raise c.error("compare a string with a literal (\"bash\"): comparing two strings read "
                      "at run time is not supported", node)
    from .strings import compare_literal  # (strings load with the first)

    compare_literal(c, a, b.data["bytes"], label, jump_if == (op is ast.Eq))


def conditional(c: Compiler, node: ast.IfExp) -> Val:
    """``a if cond else b`` (bpftrace's ``cond ? a : b``) on numbers: each arm stores its
    value in one stack slot, the result."""
    els, done = c.em.new_label("ce"), c.em.new_label("cd")
    c.em.spill_all()
    slot = c.em.alloc(8, 8, node)
    branch(c, node.test, els, False)
    types = []
    for arm, last in ((node.body, False), (node.orelse, True)):
        v = scalar(c, arm)
        types.append(v.typ)
        c.em.store(10, slot, u64, convert(c, v, s64, arm) if v.typ.size < 8 else v)
        c.em.release(v)
        c.em.spill_all()
        if not last:
            c.em.jump(done)
            c.em.place(els)
    c.em.place(done)
    ints = [t for t in types if isinstance(t, IntType)]
    typ = arith_type(Val("reg", ints[0]), Val("reg", ints[-1])) if ints else s64
    return Val("slot", typ if typ.size == 8 else s64, off=slot, temp=True)


# -- conditions -------------------------------------------------------------------------------
def branch(c: Compiler, node: ast.expr, label: str, jump_if: bool) -> None:
    """Jump to ``label`` when ``node`` is ``jump_if``; fall through otherwise."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        branch(c, node.operand, label, not jump_if)
        return
    if isinstance(node, ast.BoolOp):
        is_and = isinstance(node.op, ast.And)
        guarded: list[Local] = []  # `p is None or p.x` / `p and p.x`: later operands see p checked
        try:
            if is_and != jump_if:  # and/false or or/true: any operand decides
                for operand in node.values:
                    branch(c, operand, label, jump_if)
                    _guard(c, operand, is_and, guarded)
                return
            skip = c.em.new_label("s")
            for operand in node.values[:-1]:
                branch(c, operand, skip, not jump_if)
                _guard(c, operand, is_and, guarded)
            branch(c, node.values[-1], label, jump_if)
            c.em.place(skip)
        finally:
            for loc in guarded:
                loc.checked = False
        return
    if isinstance(node, ast.Compare):
        if len(node.ops) > 1:  # a < b < c
            parts: list[ast.expr] = [ast.Compare(left=left, ops=[op], comparators=[right])
                     for left, op, right in zip([node.left, *node.comparators[:-1]], node.ops,
                                                node.comparators, strict=True)]
            for part in parts:
                ast.copy_location(part, node)
            branch(c, ast.copy_location(ast.BoolOp(op=ast.And(), values=parts), node), label, jump_if)
            return
        op = type(node.ops[0])
        if op in (ast.Is, ast.IsNot):
            if not (isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None):
                raise c.error("`is` only tests lookups against None", node)
            null_test(c, node.left, label, jump_if == (op is ast.Is))
            return
        if op in (ast.In, ast.NotIn):
            raise c.error("`in` is not supported: use map.get(key, 0) or compare explicitly", node)
        compare(c, node.left, op, node.comparators[0], label, jump_if, node)
        return
    if isinstance(node, ast.Name):
        obj = c.lookup_name(node.id)
        if isinstance(obj, Local) and obj.kind == "ptr":
            null_test(c, node, label, not jump_if)
            return
    v = scalar(c, node)
    if v.kind == "imm":
        if bool(v.imm) == jump_if:
            c.em.jump(label)
        return
    r = c.em.to_reg(v)
    c.em.emit((B.JNE if jump_if else B.JEq).imm(r, 0, label))
    c.em.release(v)


def _guard(c: Compiler, v: ast.expr, is_and: bool, guarded: list[Any]) -> None:
    loc = c.null_tested
    if loc is None or loc.checked:
        return
    positive = isinstance(v, ast.Name) or (isinstance(v, ast.Compare) and isinstance(v.ops[0], ast.IsNot))
    if positive == is_and:
        loc.checked = True
        guarded.append(loc)


def null_test(c: Compiler, node: ast.expr, label: str, jump_if_null: bool) -> None:
    obj = c.lookup_name(node.id) if isinstance(node, ast.Name) else None
    if not isinstance(obj, Local) or obj.kind != "ptr":
        raise c.error("only the result of map.lookup(key) can be tested against None", node)
    v = obj.read()
    r = c.em.to_reg(v)
    c.em.emit((B.JEq if jump_if_null else B.JNE).imm(r, 0, label))
    c.em.release(v)
    c.null_tested = obj  # the statement compiler marks it checked on the right path


def compare(c: Compiler, left: ast.expr, op: type, right: ast.expr, label: str, jump_if: bool,
            node: ast.AST) -> None:
    a = expr(c, left)
    b = expr(c, right)
    if is_string(a) or is_string(b):
        string_compare(c, a, op, b, label, jump_if, node)
        return
    a = _as_scalar(c, a, left)
    b = _as_scalar(c, b, right)
    if a.kind == "imm" and b.kind == "imm":
        results: dict[type, bool] = {ast.Eq: a.imm == b.imm, ast.NotEq: a.imm != b.imm, ast.Lt: a.imm < b.imm,
               ast.LtE: a.imm <= b.imm, ast.Gt: a.imm > b.imm, ast.GtE: a.imm >= b.imm}
        if results[op] == jump_if:
            c.em.jump(label)
        return
    if a.kind == "imm":
        a, b, op = b, a, _MIRROR[op]
    if not jump_if:
        op = _NEGATE[op]
    if a.kind == "mem" and isinstance(a.typ, IntType) and a.typ.big and b.kind == "imm" \
            and op in (ast.Eq, ast.NotEq) and 0 <= b.imm < (1 << a.typ.bits):
        # compare in network order: swap the constant, not the loaded field
        swapped = int.from_bytes(a.typ.encode(b.imm), "little")
        raw = IntType(a.typ.name, a.typ.size, False)
        a = Val("mem", raw, reg=a.reg, off=a.off, temp=a.temp)
        b = Val.const(swapped, raw)
    if b.kind == "imm" and b.imm < 0 and not a.typ.signed and a.typ.size >= 4:
        raise c.error(f"comparing an unsigned {type_name(a.typ)} with a negative number is "
                      "always false or always true", node)
    t = arith_type(a, b)
    a = convert(c, a, t, node)  # C: both sides in the common type (s32 -1 == u32 0xffffffff)
    b = convert(c, b, t, node)
    signed = t.signed
    jmp = getattr(B, _JMP[op][1 if signed else 0])
    ra = c.em.to_reg(a)
    if b.kind == "imm" and -(1 << 31) <= b.imm < (1 << 31):
        c.em.emit(jmp.imm(ra, b.imm, label))
    else:
        rb = c.em.to_reg(b)
        c.em.emit(jmp.reg(ra, rb, label))
        c.em.release(b)
    c.em.release(a)


def store_to(c: Compiler, lv: Val, value_node: ast.expr, node: ast.AST) -> None:
    """``lv = value`` for a memory lvalue (struct field, array element)."""
    t = lv.typ
    if isinstance(t, IntType):
        holder = None
        if lv.kind == "mem" and 0 <= lv.reg <= 5:
            # the address sits in a scratch register: let a call in the value spill it
            holder = next((x for x in c.em.live if x.kind == "reg" and x.reg == lv.reg), None)
            if holder is None:
                holder = Val("reg", u64, reg=lv.reg, temp=True)
                c.em.free.discard(lv.reg)
                c.em.live.append(holder)
        v = convert(c, scalar(c, value_node), t, node)
        base = 10 if lv.kind == "stack" else c.em.to_reg(holder) if holder is not None else lv.reg
        c.em.store(base, lv.off, t, v)
        c.em.release(v)
        return
    from .calls import fill_buffer

    if fill_buffer(c, lv, value_node):
        return
    src = expr(c, value_node)
    if src.typ != t and not (isinstance(t, ArrayType) and isinstance(src.typ, ArrayType)
                             and src.typ.elem.size == t.elem.size):
        what = "a map lookup" if src.typ == "ptr" else type_name(src.typ)
        raise c.error(f"cannot assign {what} to {type_name(t)} (a local keeps the type of its "
                      "first assignment: use another name)", node)
    copy(c, lv, src, min(t.size, src.typ.size))


def copy(c: Compiler, dst: Val, src: Val, size: int) -> None:
    """Copy ``size`` bytes between two memory values (stack, ctx or map value)."""
    sreg = 10 if src.kind == "stack" else c.em.to_reg(src) if src.kind != "mem" else src.reg
    dreg = 10 if dst.kind == "stack" else dst.reg
    tmp = c.em.new_temp(u64)
    pos = 0
    while pos < size:
        step = 8 if size - pos >= 8 else 4 if size - pos >= 4 else 2 if size - pos >= 2 else 1
        c.em.emit(getattr(B.Ldx, SIZE_OPS[step])(tmp.reg, sreg, src.off + pos))
        c.em.emit(getattr(B.Stx, SIZE_OPS[step])(dreg, dst.off + pos, tmp.reg))
        pos += step
    c.em.release(tmp)


__all__ = ["as_value", "branch", "convert", "copy", "expr", "lvalue", "scalar", "store_to",
           "RingBuf", "PerfBuf", "StackTrace", "Histogram",
           "u32", "s64"]
