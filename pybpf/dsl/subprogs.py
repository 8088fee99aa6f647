"""BPF-to-BPF calls: module functions compiled as subprograms, and ``loop(n, fn, state)``
(the ``bpf_loop`` helper, which calls a subprogram ``n`` times).

A plain module function is inlined where it is called. One decorated with `subprog` is
compiled once, after the probe's own code, as a function of its own (its own stack frame,
arguments in r1-r5, the result in r0), and called with ``call``::

    @subprog
    def clamp(v: u64, hi: u64) -> u64:      # scalars: annotated int types (u64 by default)
        if v > hi:
            return hi
        return v

    @subprog
    def add_index(i: u64, s: Sums) -> u64:  # a Struct parameter: a pointer to the caller's
        s.total += i                         # struct on the stack
        return 0                             # (for loop(): 1 stops the loop)

    ... in a probe:
        x = clamp(ctx.ret, 4096)
        s = Sums()
        loop(100, add_index, s)              # bpf_loop(100, add_index, &s, 0)

Subprograms cannot read the probe's context (it is not passed to them) and do not see the
probe's locals: they take what they need as arguments.
"""

from __future__ import annotations

from ..asm import builder as B
from . import pyast as ast  # (not `import ast`: start-up)
from .codegen import Val
from .scope import Frame, Local
from .types import IntType, is_struct, s64, type_name, u64

FunctionType = type(lambda: None)  # (types.FunctionType, without importing types)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

    from .compiler import Compiler

__all__ = ["call_subprog", "finish_subprograms", "is_subprog", "loop", "subprog"]

LOOP_MAX = 1 << 23  # the kernel's BPF_MAX_LOOPS


def subprog(fn: Any) -> Any:
    """Decorator: compile ``fn`` as a BPF subprogram (called, not inlined)."""
    fn.__pybpf_subprog__ = True
    return fn


def is_subprog(obj: Any) -> bool:
    return isinstance(obj, FunctionType) and getattr(obj, "__pybpf_subprog__", False)


def _label(c: Compiler, fn: Any) -> str:
    """The label of ``fn``'s subprogram (compiled at the end of the program)."""
    label = f"fn:{fn.__name__}"
    if label not in c.subprograms:
        c.subprograms[label] = fn
        c.subprogram_order.append(label)
    return label


def _params(c: Compiler, fn: Any, node: ast.AST) -> tuple[ast.FunctionDef, list[Any]]:
    from .barenames import call_bare_builtins
    from .source import function_tree

    try:
        fdef = call_bare_builtins(function_tree(fn)[1], fn.__globals__)
    except (OSError, TypeError, SyntaxError):
        raise c.error(f"cannot read the source of {fn.__name__}() (a plain function of a "
                      "module?)", node) from None
    if len(fdef.args.args) > 5:
        raise c.error(f"{fn.__name__}() takes {len(fdef.args.args)} arguments: a BPF function "
                      "takes at most 5", node)
    from .stmts import annotation

    types = []
    for p in fdef.args.args:
        t = annotation(c, p.annotation) if p.annotation is not None else u64
        if not (isinstance(t, IntType) or is_struct(t)):
            raise c.error(f"parameter {p.arg} of {fn.__name__}(): a number type or a Struct "
                          f"(passed by pointer), not {type_name(t)}", p)
        types.append(t)
    return fdef, types


def call_subprog(c: Compiler, fn: Any, node: ast.Call) -> Val:
    """``fn(args...)`` for a `subprog`: arguments in r1-r5, ``call``, the result in r0."""
    from .calls import emit_local_call
    from .exprs import convert, lvalue, scalar

    _, types = _params(c, fn, node)
    if len(node.args) != len(types):
        raise c.error(f"{fn.__name__}() takes {len(types)} argument(s), got {len(node.args)}", node)
    args = []
    for a, t in zip(node.args, types, strict=True):
        if is_struct(t):
            v = lvalue(c, a)
            if v.kind != "stack" or v.typ is not t:
                raise c.error(f"{fn.__name__}() takes a {type_name(t)} (a local of that type), "
                              f"got {type_name(v.typ)}", a)
            args.append(v)
        else:
            args.append(convert(c, scalar(c, a), t, a))
    ret = _return_type(c, fn)
    return emit_local_call(c, _label(c, fn), args, ret)


def _return_type(c: Compiler, fn: Any) -> IntType:
    ann = fn.__annotations__.get("return") if hasattr(fn, "__annotations__") else None
    if isinstance(ann, str):
        ann = fn.__globals__.get(ann)
    return ann if isinstance(ann, IntType) else u64


def loop(c: Compiler, node: ast.Call) -> Val:
    """``loop(n, fn, state)``: ``bpf_loop(n, fn, &state, 0)``; ``fn(i, state)`` is compiled as
    a subprogram (1 from it stops the loop). The result is the number of calls made."""
    from .calls import emit_call
    from .exprs import convert, lvalue, scalar

    if not 2 <= len(node.args) <= 3:
        raise c.error("loop(n, fn, state) takes a count, a function and a Struct local", node)
    n = convert(c, scalar(c, node.args[0]), u64, node.args[0])
    if n.kind == "imm" and not 0 <= n.imm <= LOOP_MAX:
        raise c.error(f"loop() runs 0 to {LOOP_MAX} times (the kernel's limit)", node.args[0])
    f = node.args[1]
    fn = c.lookup_name(f.id) if isinstance(f, ast.Name) else None
    if not isinstance(fn, FunctionType):
        raise c.error("loop()'s second argument is a module-level function fn(i, state)", f)
    fdef, types = _params(c, fn, f)
    if len(types) not in (1, 2) or not isinstance(types[0], IntType):
        raise c.error(f"{fn.__name__}(i, state) is called with the index and the state", f)
    state: Val = Val.const(0)
    if len(node.args) == 3:
        state = lvalue(c, node.args[2])
        if state.kind != "stack" or (len(types) == 2 and state.typ is not types[1]):
            raise c.error(f"loop()'s state is a local {type_name(types[1]) if len(types) == 2 else 'Struct'}"
                          f", got {type_name(state.typ)}", node.args[2])
    label = _label(c, fn)
    c.loop_callbacks.add(label)
    fptr = Val("func", "func", data={"label": label})
    return emit_call(c, "loop", [n, fptr, state, Val.const(0)], s64)


def finish_subprograms(c: Compiler) -> None:
    """Compile every subprogram the program calls (and those they call), after its code."""
    from . import stmts

    done: set[str] = set()
    while len(done) < len(c.subprogram_order):
        label = next(lb for lb in c.subprogram_order if lb not in done)
        done.add(label)
        fn = c.subprograms[label]
        fdef, types = _params(c, fn, c.tree)
        saved = (c.frames, c.next_local_reg, c.em.frame, c.em.free_slots, c.in_subprog,
                 c.em.where)
        c.frames = [Frame(globals=fn.__globals__)]
        c.next_local_reg = 0
        c.em.frame, c.em.free_slots, c.in_subprog = 0, [], True
        try:
            c.at(fdef)
            c.em.place(label)
            c.em.free = set(range(6))
            c.em.live = []
            for i, (p, t) in enumerate(zip(fdef.args.args, types, strict=True)):
                if is_struct(t):
                    loc = c.new_local(p.arg, t, p, pointer=True)
                    loc.kind, loc.checked, loc.typ = "ptr", True, t
                    loc.val.ptr_to = t
                else:
                    loc = c.new_local(p.arg, t, p)
                _from_register(c, loc, i + 1)
            stmts.block(c, fdef.body)
            if not stmts.terminates(fdef.body):
                c.at(fdef.body[-1])
                c.em.emit(B.Mov.imm(0, 0))
                c.em.emit(B.Exit())
        finally:
            (c.frames, c.next_local_reg, c.em.frame, c.em.free_slots, c.in_subprog,
             c.em.where) = saved


def _from_register(c: Compiler, loc: Local, reg: int) -> None:
    if loc.val.kind == "reg":
        c.em.emit(B.Mov.reg(loc.val.reg, reg))
    else:
        c.em.emit(B.Stx.dw(10, loc.val.off, reg))
