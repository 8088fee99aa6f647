"""Statements of the DSL: assignments (locals, fields, maps), ``if``/``elif``/``else``,
``for i in range(N)``, bounded ``while``, ``return``, ``break``/``continue``, ``del m[k]``."""

from __future__ import annotations

from ..asm import builder as B
from . import pyast as ast  # (not `import ast`: start-up)
from .calls import emit_call, fill_buffer, key_addr, map_arg, map_increment
from .codegen import SCRATCH, Val, is_kptr, is_string
from .exprs import ALU_OPS, binop, branch, convert, element, expr, lvalue, scalar, store_to
from .maps import ArrayMap, DslMap, Global
from .scope import Local, is_automap, map_ref
from .types import ArrayType, IntType, char, is_struct, type_name, u64

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

    from .compiler import Compiler

UNROLL_MAX = 16


def terminates(body: list[ast.stmt]) -> bool:
    """True when every path through ``body`` ends in ``return``."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return):
        return True
    if isinstance(last, ast.If):
        return terminates(last.body) and terminates(last.orelse)
    return False


def block(c: Compiler, body: list[ast.stmt]) -> None:
    i = 0
    while i < len(body):
        if i + 1 < len(body) and _fused_header(c, body[i], body[i + 1]):
            i += 2
            continue
        stmt(c, body[i])
        i += 1


def _fused_header(c: Compiler, assign_: ast.stmt, test: ast.stmt) -> bool:
    """``h = header(ctx, Hdr, off)`` then ``if h is None [or ...]: return K``: the bounds
    check jumps straight to the return, and ``h`` lives in its own register (as clang does)."""
    if not (isinstance(assign_, ast.Assign) and len(assign_.targets) == 1
            and isinstance(assign_.targets[0], ast.Name) and isinstance(assign_.value, ast.Call)
            and isinstance(assign_.value.func, ast.Name) and assign_.value.func.id == "header"
            and isinstance(test, ast.If) and not test.orelse and c.frame.ret_label is None
            and not c.in_subprog):
        return False
    name = assign_.targets[0].id
    first = test.test.values[0] if isinstance(test.test, ast.BoolOp) and \
        isinstance(test.test.op, ast.Or) else test.test
    if not (isinstance(first, ast.Compare) and isinstance(first.left, ast.Name)
            and first.left.id == name and isinstance(first.ops[0], ast.Is)
            and isinstance(first.comparators[0], ast.Constant) and first.comparators[0].value is None):
        return False
    value = _return_const(c, test)
    if value is None or name in c.frame.locals:
        return False
    from .calls import packet_header

    c.at(assign_)
    c.em.free = set(SCRATCH)
    c.em.live = []
    label = _return_label(c, value, test.body[0])
    local = c.new_local(name, "ptr", assign_, pointer=True)
    if local.val.kind != "reg":
        c.frame.locals.pop(name)
        return False
    local.kind, local.checked = "ptr", True
    v = packet_header(c, assign_.value, fail=label, dest=local.val.reg)
    local.val.ptr_to = v.ptr_to
    local.typ = v.ptr_to
    rest = test.test.values[1:] if isinstance(test.test, ast.BoolOp) else []
    if rest:
        c.at(test)
        c.em.free = set(SCRATCH)
        c.em.live = []
        cond = rest[0] if len(rest) == 1 else ast.copy_location(ast.BoolOp(op=ast.Or(), values=rest),
                                                                 test.test)
        branch(c, cond, label, True)
    return True


def _return_const(c: Compiler, s: ast.If) -> int | None:
    if len(s.body) != 1 or not isinstance(s.body[0], ast.Return):
        return None
    value: Any = 0 if s.body[0].value is None else s.body[0].value
    if isinstance(value, ast.Name):
        named = c.lookup_name(value.id)
        value = named if type(named) is int else value
    if isinstance(value, ast.Constant) and type(value.value) is int:
        value = value.value
    if type(value) is not int or not -(1 << 31) <= value < (1 << 31):
        return None
    return value


def _return_label(c: Compiler, value: int, where: ast.AST) -> str:
    label = c.shared_returns.get(value)
    if label is None:
        label = c.em.new_label(f"ret{value}_")
        c.shared_returns[value] = label
        c.shared_where[value] = where
    return label


def annotation(c: Compiler, node: ast.expr) -> Any:
    try:
        code = compile(ast.Expression(node), c.filename, "eval")
        return eval(code, dict(c.frame.globals))  # noqa: S307 - the user's own annotation
    except Exception as e:  # noqa: BLE001
        raise c.error(f"cannot evaluate the type annotation: {e}", node) from None


def stmt(c: Compiler, s: ast.stmt) -> None:
    frame, nlocals, top = c.frame, len(c.frame.locals), c.em.frame
    _stmt(c, s)
    if c.frame is frame and len(frame.locals) == nlocals and c.em.frame > top:
        # nothing the statement put on the stack outlives it: the next one reuses the space
        c.em.frame = top
        c.em.free_slots = [off for off in c.em.free_slots if off >= -top]


def _stmt(c: Compiler, s: ast.stmt) -> None:
    c.at(s)
    c.em.free = set(SCRATCH)
    c.em.live = []
    if isinstance(s, ast.Expr):
        if isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
            return  # a docstring
        v = expr(c, s.value)
        c.em.release(v)
    elif isinstance(s, ast.AnnAssign):
        if not isinstance(s.target, ast.Name):
            raise c.error("annotate only plain names (x: u32 = ...)", s)
        t = annotation(c, s.annotation)
        if not isinstance(t, (IntType, ArrayType)) and not is_struct(t):
            raise c.error(f"{ast.unparse(s.annotation)} is not a DSL type (u8..u64, s8..s64, "
                          "char[N], a Struct)", s.annotation)
        if s.target.id in c.frame.locals:
            raise c.error(f"{s.target.id} is already declared", s)
        local = c.new_local(s.target.id, t, s)
        if s.value is None:
            if local.kind == "agg":
                c.em.zero(local.val.off, t.size)
            else:
                assign_local(c, local, Val.const(0, t), s)
        else:
            assign(c, s.target, s.value, s)
    elif isinstance(s, ast.Assign):
        if len(s.targets) != 1 or isinstance(s.targets[0], (ast.Tuple, ast.List)):
            raise c.error("assign one target at a time (no a = b = ..., no unpacking)", s)
        assign(c, s.targets[0], s.value, s)
    elif isinstance(s, ast.AugAssign):
        aug_assign(c, s)
    elif isinstance(s, ast.If):
        if_stmt(c, s)
    elif isinstance(s, ast.Return):
        ret(c, s)
    elif isinstance(s, ast.For):
        for_stmt(c, s)
    elif isinstance(s, ast.While):
        while_stmt(c, s)
    elif isinstance(s, (ast.Break, ast.Continue)):
        if not c.frame.loops:
            raise c.error(f"{'break' if isinstance(s, ast.Break) else 'continue'} outside a loop", s)
        cont, brk = c.frame.loops[-1]
        c.em.jump(brk if isinstance(s, ast.Break) else cont)
    elif isinstance(s, ast.Pass):
        pass
    elif isinstance(s, ast.Delete):
        for t in s.targets:
            delete(c, t)
    else:
        what = {ast.Try: "try/except", ast.With: "with", ast.FunctionDef: "nested functions",
                ast.ClassDef: "classes", ast.Import: "import", ast.ImportFrom: "import",
                ast.Global: "global", ast.Nonlocal: "nonlocal", ast.Raise: "raise",
                ast.Assert: "assert"}.get(type(s), type(s).__name__)
        raise c.error(f"{what} is not supported in a probe", s)


def assign_local(c: Compiler, local: Local, v: Val, node: ast.AST) -> None:
    t = local.typ
    if is_kptr(t) and v.typ == t:
        if local.val.kind == "reg":
            c.em.load_into(v, local.val.reg)
        else:
            c.em.emit(B.Stx.dw(10, local.val.off, c.em.to_reg(v)))
        c.em.release(v)
        return
    if not isinstance(t, IntType):
        raise c.error(f"cannot assign a number to {local.name} ({type_name(t)})", node)
    if v.typ == "ptr" or not isinstance(v.typ, IntType):
        raise c.error(f"{local.name} is {type_name(t)}, the value is {type_name(v.typ)}", node)
    v = convert(c, v, t, node)
    dst = local.val
    if dst.kind == "reg":
        c.em.load_into(v, dst.reg)
        if v.kind == "mem" and t.size < 8 and v.typ != t:
            pass
    else:
        r = c.em.to_reg(v)
        c.em.emit(B.Stx.dw(10, dst.off, r))
    c.em.release(v)


def assign(c: Compiler, target: ast.expr, value: ast.expr, node: ast.AST) -> None:
    if isinstance(target, ast.Name):
        local = c.frame.locals.get(target.id)
        if local is None:
            obj = c.lookup_name(target.id)
            if isinstance(obj, DslMap):
                raise c.error(f"{target.id} is a map: assign to {target.id}[key]", target)
            v = expr(c, value)
            if v.typ == "ptr":
                loc = c.new_local(target.id, v.ptr_to, node, pointer=True)
                loc.kind, loc.checked = "ptr", False
                loc.val.ptr_to = v.ptr_to
                if loc.val.kind == "reg":
                    c.em.load_into(v, loc.val.reg)
                else:
                    c.em.emit(B.Stx.dw(10, loc.val.off, c.em.to_reg(v)))
                return
            if v.kind == "stack":  # a new struct or buffer: the local is that stack area
                c.frame.locals[target.id] = Local(target.id, v.typ, v, kind="agg")
                return
            if is_string(v):  # a literal or a string in memory: a char array local holds it
                from .strings import STRLEN, store_string, string_size

                size = STRLEN if v.kind == "strlit" else string_size(v)
                local = c.new_local(target.id, char[size], node)
                store_string(c, 10, local.val.off, size, v)
                return
            if v.typ == "ctx":
                raise c.error("the context cannot be copied into a variable", node)
            t = v.typ if isinstance(v.typ, IntType) or is_kptr(v.typ) else u64
            if v.kind == "imm":
                t = u64 if v.imm >= 0 else t
            local = c.new_local(target.id, t, node)
            assign_local(c, local, v, node)
            return
        if local.kind == "agg":
            store_to(c, local.read(), value, node)
            return
        if local.kind in ("ptr", "ctx"):
            raise c.error(f"{target.id} cannot be reassigned", node)
        assign_local(c, local, expr(c, value), node)
        return
    if isinstance(target, (ast.Subscript, ast.Attribute)):
        m = map_ref(c, target.value if isinstance(target, ast.Subscript) else target)
        if is_automap(m):  # (bpftrace's maps: their module loads with the first)
            from . import aggregate

            aggregate.assign(c, m, target.slice if isinstance(target, ast.Subscript) else None,
                             value, node)
            return
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
        obj = c.lookup_name(target.value.id)
        if isinstance(obj, DslMap):
            k = key_addr(c, obj, target.slice)
            from .calls import value_addr

            v = value_addr(c, obj, value)
            r = emit_call(c, "map_update_elem", [map_arg(c, obj), k, v, Val.const(0)])
            c.em.release(r)
            return
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
            and isinstance(c.lookup_name(target.value.id), Global):
        g = c.lookup_name(target.value.id)
        v = convert(c, scalar(c, value), g.value, node)  # the value first (it may call)
        lv = lvalue(c, target)
        c.em.store(lv.reg, lv.off, g.value, v)
        return
    if isinstance(target, ast.Subscript):
        lv, skip = element(c, target, store=True)
        if lv.kind == "mem" and lv.reg == 6:
            raise c.error("the context is read-only", target)
        store_to(c, lv, value, node)
        if skip is not None:  # a variable index out of range: no store
            c.em.place(skip)
        return
    if isinstance(target, ast.Attribute):
        lv = lvalue(c, target)
        if lv.kind == "mem" and lv.reg == 6:
            raise c.error("the context is read-only", target)
        store_to(c, lv, value, node)
        return
    raise c.error(f"cannot assign to {ast.unparse(target)}", target)


def aug_assign(c: Compiler, s: ast.AugAssign) -> None:
    t = s.target
    if isinstance(t, (ast.Subscript, ast.Attribute)):
        m = map_ref(c, t.value if isinstance(t, ast.Subscript) else t)
        if is_automap(m):
            from . import aggregate

            if not isinstance(s.op, (ast.Add, ast.Sub)):
                raise c.error("maps support only += and -= in place (at.n[k] += 1)", s)
            delta = s.value
            if isinstance(s.op, ast.Sub):
                delta = ast.copy_location(ast.UnaryOp(op=ast.USub(), operand=s.value), s.value)
            aggregate.increment(c, m, t.slice if isinstance(t, ast.Subscript) else None, delta, s)
            return
    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
        obj = c.lookup_name(t.value.id)
        if isinstance(obj, DslMap):
            if not isinstance(s.op, (ast.Add, ast.Sub)):
                raise c.error(f"maps support only += and -= in place ({t.value.id}[k] += n)", s)
            delta = s.value
            if isinstance(s.op, ast.Sub):
                delta = ast.copy_location(ast.UnaryOp(op=ast.USub(), operand=s.value), s.value)
            map_increment(c, obj, t.slice, delta, s)
            return
    if type(s.op) not in ALU_OPS and not isinstance(s.op, (ast.Div, ast.Pow)):
        raise c.error(f"operator {type(s.op).__name__}= is not supported", s)
    load = ast.copy_location(_as_load(t), t)
    value = ast.copy_location(ast.BinOp(left=load, op=s.op, right=s.value), s)
    if isinstance(t, ast.Name):
        local = c.frame.locals.get(t.id)
        if local is None:
            raise c.error(f"{t.id} is not defined yet", t)
        assign_local(c, local, binop(c, value), s)
        return
    g = c.lookup_name(t.value.id) if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) \
        else None
    if isinstance(g, Global) and isinstance(s.op, (ast.Add, ast.Sub)) and g.value.size in (4, 8):
        # a global shared by every CPU: one atomic add
        d = c.em.to_temp(convert(c, scalar(c, s.value), g.value, s))
        if isinstance(s.op, ast.Sub):
            c.em.emit(B.Neg.reg(d.reg))
        lv = lvalue(c, t)
        c.em.emit(B.Atomic.add(lv.reg, lv.off, d.reg, size="dw" if g.value.size == 8 else "w"))
        return
    res = binop(c, value)  # first: a call in the value must not clobber the target's address
    skip = None
    if isinstance(t, ast.Subscript):
        lv, skip = element(c, t, store=True)
    else:
        lv = lvalue(c, t)
    if not isinstance(lv.typ, IntType):
        raise c.error(f"{ast.unparse(t)} is {type_name(lv.typ)}, not a number", t)
    res = convert(c, res, lv.typ, s)
    base = 10 if lv.kind == "stack" else lv.reg
    c.em.store(base, lv.off, lv.typ, res)
    if skip is not None:
        c.em.place(skip)


def _as_load(node: ast.expr) -> ast.expr:
    import copy

    n = copy.deepcopy(node)
    for sub in ast.walk(n):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return n


def delete(c: Compiler, t: ast.expr) -> None:
    if isinstance(t, (ast.Subscript, ast.Attribute)):
        m = map_ref(c, t.value if isinstance(t, ast.Subscript) else t)
        if is_automap(m):
            from . import aggregate

            aggregate.delete(c, m, t.slice if isinstance(t, ast.Subscript) else None, t)
            return
    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
        obj = c.lookup_name(t.value.id)
        if isinstance(obj, DslMap):
            if isinstance(obj, ArrayMap):
                raise c.error(f"{t.value.id} is an array map: its entries cannot be deleted", t)
            k = key_addr(c, obj, t.slice)
            r = emit_call(c, "map_delete_elem", [map_arg(c, obj), k])
            c.em.release(r)
            return
    raise c.error("del works only on map entries (del counts[key])", t)


def if_stmt(c: Compiler, s: ast.If) -> None:

    if _shared_return(c, s):
        return
    els = c.em.new_label("else")
    c.null_tested = None
    branch(c, s.test, els, False)
    tested: Local | None = c.null_tested
    c.null_tested = None
    positive = tested is not None and _is_positive_null_test(s.test)
    if tested is not None and positive:
        tested.checked = True
    block(c, s.body)
    if tested is not None and positive:
        tested.checked = False
    if s.orelse:
        end = c.em.new_label("endif")
        if not terminates(s.body):
            c.at(s)
            c.em.jump(end)
        c.em.place(els)
        if tested is not None and not positive:
            tested.checked = True
        block(c, s.orelse)
        c.em.place(end)
    else:
        c.em.place(els)
    if tested is not None and not positive and terminates(s.body):
        tested.checked = True  # `if p is None: return` guards the rest


def _shared_return(c: Compiler, s: ast.If) -> bool:
    """``if cond: return K`` in the probe itself: one conditional jump to a shared
    ``r0 = K; exit`` block at the end of the program (as clang merges returns)."""
    if s.orelse or len(s.body) != 1 or c.frame.ret_label is not None or c.in_subprog:
        return False
    r = s.body[0]
    if not isinstance(r, ast.Return):
        return False
    value: Any = 0 if r.value is None else r.value
    if isinstance(value, ast.Name):
        named = c.lookup_name(value.id)
        value = named if type(named) is int else value
    if not isinstance(value, int):
        if not (isinstance(value, ast.Constant) and type(value.value) is int):
            return False
        value = value.value
    if not -(1 << 31) <= value < (1 << 31):
        return False
    label = c.shared_returns.get(value)
    if label is None:
        label = c.em.new_label(f"ret{value}_")
        c.shared_returns[value] = label
        c.shared_where[value] = r
    c.null_tested = None
    branch(c, s.test, label, True)
    tested = c.null_tested
    c.null_tested = None
    if tested is not None and not _is_positive_null_test(s.test):
        tested.checked = True  # `if p is None: return 0` guards the rest
    return True


def _is_positive_null_test(test: ast.expr) -> bool:
    """``if p:`` / ``if p is not None:`` (the body sees a valid pointer)."""
    if isinstance(test, ast.Name):
        return True
    if isinstance(test, ast.Compare):
        return isinstance(test.ops[0], ast.IsNot)
    return False


def ret(c: Compiler, s: ast.Return) -> None:
    f = c.frame
    if f.ret_label is not None:  # inlined function
        if s.value is not None and f.ret_local is not None:
            assign_local(c, f.ret_local, expr(c, s.value), s)
        c.em.jump(f.ret_label)
        return
    if s.value is None:
        c.em.emit(B.Mov.imm(0, 0))
    else:
        v = scalar(c, s.value)
        c.em.load_into(convert(c, v, u64, s) if v.kind != "imm" else v, 0)
    c.em.emit(B.Exit())


def for_stmt(c: Compiler, s: ast.For) -> None:
    it = s.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
            and 1 <= len(it.args) <= 2 and not s.orelse):
        raise c.error("loops are `for i in range(N)` with a constant N (the verifier needs a "
                      "visible bound)", s)
    if not isinstance(s.target, ast.Name):
        raise c.error("the loop variable must be a plain name", s.target)
    bounds = [scalar(c, a) for a in it.args]
    if any(b.kind != "imm" for b in bounds):
        raise c.error("range() bounds must be constants: a variable bound is an unbounded loop "
                      "for the verifier", it)
    lo, hi = (0, bounds[0].imm) if len(bounds) == 1 else (bounds[0].imm, bounds[1].imm)
    if hi - lo > 1 << 16:
        raise c.error(f"range({hi - lo}) is too many iterations for a BPF program", it)
    has_jumps = any(isinstance(n, (ast.Break, ast.Continue)) for n in ast.walk(s))
    if hi - lo <= UNROLL_MAX and not has_jumps and s.target.id not in c.frame.locals:
        # unrolled: the loop variable is a constant in each copy (constant indexes work)
        for i in range(lo, hi):
            c.frame.consts[s.target.id] = i
            block(c, s.body)
        c.frame.consts.pop(s.target.id, None)
        return
    var = c.frame.locals.get(s.target.id) or c.new_local(s.target.id, u64, s)
    top, step, end = c.em.new_label("for"), c.em.new_label("next"), c.em.new_label("endfor")
    assign_local(c, var, Val.const(lo, var.typ), s)
    c.em.place(top)
    cond = ast.copy_location(ast.Compare(left=ast.Name(s.target.id, ast.Load()), ops=[ast.Lt()],
                                         comparators=[ast.Constant(hi)]), s)
    ast.fix_missing_locations(cond)
    branch(c, cond, end, False)
    c.frame.loops.append((step, end))
    block(c, s.body)
    c.frame.loops.pop()
    c.at(s)
    c.em.place(step)
    inc = ast.copy_location(ast.BinOp(left=ast.Name(s.target.id, ast.Load()), op=ast.Add(),
                                      right=ast.Constant(1)), s)
    ast.fix_missing_locations(inc)
    assign_local(c, var, binop(c, inc), s)
    c.em.jump(top)
    c.em.place(end)


def while_stmt(c: Compiler, s: ast.While) -> None:
    if s.orelse:
        raise c.error("while/else is not supported", s)
    bound = _visible_bound(s)
    if bound is None:
        raise c.error("unbounded loop: the condition must compare a counter with a constant "
                      "(while i < 16: ... i += 1) so the verifier sees it end; or use "
                      "for i in range(N)", s)
    top, end = c.em.new_label("while"), c.em.new_label("endwhile")
    c.em.place(top)
    branch(c, s.test, end, False)
    c.frame.loops.append((top, end))
    block(c, s.body)
    c.frame.loops.pop()
    c.at(s)
    c.em.jump(top)
    c.em.place(end)


def _visible_bound(s: ast.While) -> str | None:
    """The counter of ``while i < N`` (N constant) when the body changes ``i``."""
    tests = s.test.values if isinstance(s.test, ast.BoolOp) and isinstance(s.test.op, ast.And) \
        else [s.test]
    changed = {n.target.id for n in ast.walk(s) if isinstance(n, ast.AugAssign)
               and isinstance(n.target, ast.Name)}
    for t in tests:
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.left, ast.Name) \
                and isinstance(t.comparators[0], (ast.Constant, ast.Name)) \
                and t.left.id in changed and not isinstance(t.ops[0], (ast.Eq, ast.NotEq)):
            return t.left.id
    return None


__all__ = ["assign", "assign_local", "block", "fill_buffer", "lvalue", "stmt", "terminates"]
