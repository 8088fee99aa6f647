"""A probe in one line: ``on(ATTACH, action, ..., when=FILTER)``, bpftrace's
``ATTACH /FILTER/ { action; ... }`` as a Python call.

>>> from pybpf.dsl import at, comm, on
>>> p = on("tracepoint:raw_syscalls:sys_enter", at[comm].count())
>>> import ast; print(ast.unparse(p.tree))
def sys_enter(args):
    at[comm] = count()

Each action is a DSL expression; `on` reads the call's own source (as `probe` reads a
function's) and turns it into the body of a probe function, compiled by the same compiler:

=====================================  ==========================================
``on(...)`` action                     statement of the probe
=====================================  ==========================================
``at.m[k].count()``, ``.sum(v)``,      ``at.m[k] = count()``, ``sum(v)``, ``min``,
``.min(v)`` ... ``.hist(v)``,          ``max``, ``avg``, ``stats``, ``hist``,
``.lhist(v, lo, hi, step)``            ``lhist`` (bpftrace's ``@m[k] = count()``)
``at.m[k].set(v)``                     ``at.m[k] = v``
``delete(at.m[k], at.n[k])``           ``del at.m[k], at.n[k]``
``printf(...)``, ``exit()``,           the call
``clear(at.m)``, ``print(at.m)``
``when=FILTER``                        ``if FILTER:`` around the actions
a last action that is no call          ``return`` it (``XDP_DROP``: the verdict)
=====================================  ==========================================

The probe's context is ``args`` (bpftrace's ``args``: ``args.filename``), ``retval`` is
``args.retval``; bpftrace's builtins need no parentheses (``comm``, ``pid``, ``tid``,
``nsecs``...); ``(name := expr)`` names a value for the rest of the action (bpftrace's
``$name``). Python evaluates the line first: every DSL name gives an inert `Pending`
there, so nothing runs until the probe is loaded (``pybpf probe FILE.py`` or a `Session`).
Import ``print`` from `pybpf.dsl` in such a file: Python's own would print at import.
"""

from __future__ import annotations

import ast
import copy
import re
import sys

from ..errors import DslError
from . import lines as source_lines
from .automap import AGGREGATIONS, AutoMap, Maps
from .probe import Probe
from .stubs import Builtin

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PROBES_NAME", "on"]

#: where `on` keeps a module's probes (in its globals), for `pybpf.dsl.module_probes`
PROBES_NAME = "__pybpf_probes__"
CTX = "args"
_TREES: dict[str, tuple[list[str], ast.Module]] = {}


def on(point: str, *actions: Any, when: Any = None, name: str | None = None,
       iface: str | None = None, **options: Any) -> Probe:
    """A probe at ``point`` (bpftrace's spelling or a libbpf section, as `probe` takes) whose
    body is ``actions``, run when ``when`` holds; kept in the calling module (``pybpf probe``
    finds it). ``name`` names the program; ``iface`` and ``options`` are `probe`'s."""
    frame = sys._getframe(1)
    filename = frame.f_code.co_filename
    call = _call_node(frame)
    if call is None:
        raise DslError("on() reads its own source line and cannot find it (an on() probe lives "
                       "in a file, as a statement or an assignment)", filename=filename,
                       line=frame.f_lineno)
    namespace = frame.f_globals
    kept = namespace.setdefault(PROBES_NAME, [])
    fdef = _function(call, namespace, filename, name or _name(point, kept))
    p = Probe(None, point, target=iface, options=options, tree=fdef, namespace=namespace,
              filename=filename, name=fdef.name)
    kept.append(p)
    return p


def _name(point: str, kept: list[Probe]) -> str:
    last = re.split(r"[:/]", point.split(",")[0].strip())[-1] or "probe"
    text = re.sub(r"\W", "_", last)
    if not (text[0].isalpha() or text[0] == "_"):
        text = "p_" + text
    taken = {p.name for p in kept}
    out, n = text[:15], 1  # the kernel keeps 15 characters of a program's name
    while out in taken:
        out, n = f"{text[:12]}_{n}", n + 1
    return out


# -- finding the call in its source ---------------------------------------------------------------
def _module_tree(filename: str, namespace: dict[str, Any]) -> ast.Module | None:
    lines = source_lines.getlines(filename, namespace)
    if not lines:
        return None
    cached = _TREES.get(filename)
    if cached is not None and cached[0] == lines:
        return cached[1]
    try:
        tree = ast.parse("".join(lines), filename)
    except SyntaxError:
        return None
    _TREES[filename] = (list(lines), tree)
    return tree


def _call_node(frame: Any) -> ast.Call | None:
    """The ``on(...)`` call the frame is executing: by the call instruction's source position
    (Python 3.11+), else the one call of ``on`` whose lines hold the frame's line."""
    tree = _module_tree(frame.f_code.co_filename, frame.f_globals)
    if tree is None:
        return None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args]
    positions = getattr(frame.f_code, "co_positions", None)
    if positions is not None and frame.f_lasti >= 0:
        try:
            line, end_line, col, end_col = list(positions())[frame.f_lasti // 2]
        except IndexError:  # pragma: no cover - a frame always has its instruction
            line = end_line = col = end_col = None
        for n in calls:
            if (n.lineno, n.end_lineno, n.col_offset, n.end_col_offset) == (line, end_line, col,
                                                                              end_col):
                return n
    line = frame.f_lineno
    near = [n for n in calls if _callee(n) == "on" and n.lineno <= line <= (n.end_lineno or line)]
    return near[0] if len(near) == 1 else None


def _callee(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


# -- the probe function ------------------------------------------------------------------------------
def _function(call: ast.Call, namespace: dict[str, Any], filename: str, name: str) -> ast.FunctionDef:
    def error(message: str, node: ast.AST) -> DslError:
        line = getattr(node, "lineno", call.lineno)
        return DslError(message, filename=filename, line=line,
                        column=getattr(node, "col_offset", 0) + 1,
                        source=source_lines.getline(filename, line).rstrip("\n") or None)

    body: list[ast.stmt] = []
    actions = call.args[1:]
    for i, node in enumerate(actions):
        if isinstance(node, ast.Starred):
            raise error("on() takes its actions one by one (no *list)", node)
        if i == len(actions) - 1 and not isinstance(node, ast.Call):  # XDP_DROP: the verdict
            body.append(_located(ast.Return(copy.deepcopy(node)), node))
            continue
        body += _statements(copy.deepcopy(node), namespace, error)
    when = next((k.value for k in call.keywords if k.arg == "when"), None)
    if when is not None:
        when = copy.deepcopy(when)
        hoisted = _hoist(when)
        body = [*hoisted, _located(ast.If(when, body or [_located(ast.Pass(), when)], []), when)]
    if not body:
        body = [_located(ast.Pass(), call)]
    fdef = ast.FunctionDef(name, ast.arguments([], [ast.arg(CTX)], None, [], [], None, []), body,
                           [], None, None)
    fdef = _located(fdef, call)
    _Retval().visit(fdef)
    ast.fix_missing_locations(fdef)
    return fdef


def _located(node: Any, where: ast.AST) -> Any:
    return ast.copy_location(node, where)


def _statements(node: ast.expr, namespace: dict[str, Any], error: Any) -> list[ast.stmt]:
    """The statements of one action: its ``(x := e)`` first, then the action itself."""
    hoisted = _hoist(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            _is_map(node.func.value, namespace):
        meth, slot = node.func.attr, _store(node.func.value, ast.Store())
        if meth == "set":
            if len(node.args) != 1 or node.keywords:
                raise error("set(value) takes one value", node)
            return [*hoisted, _located(ast.Assign([slot], node.args[0]), node)]
        if meth in AGGREGATIONS:
            agg = _located(ast.Call(_located(ast.Name(meth, ast.Load()), node.func), node.args,
                                    node.keywords), node)
            return [*hoisted, _located(ast.Assign([slot], agg), node)]
        raise error(f"{meth}() is no map action: count, sum, min, max, avg, stats, hist, lhist "
                    "or set", node.func)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "delete" and isinstance(namespace.get("delete"), Builtin):
        if not node.args or node.keywords:
            raise error("delete() takes the map entries to delete: delete(at.m[k], ...)", node)
        for a in node.args:
            if not _is_map(a, namespace):
                raise error("delete() deletes map entries (at.m[k])", a)
        return [*hoisted, _located(ast.Delete([_store(a, ast.Del()) for a in node.args]), node)]
    return [*hoisted, _located(ast.Expr(node), node)]


def _is_map(node: ast.expr, namespace: dict[str, Any]) -> bool:
    """``at.m[k]``, ``at[k]``, ``at.m`` or a module-level `AutoMap` (``m[k]``, ``m``)."""
    base = node.value if isinstance(node, ast.Subscript) else node
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        return isinstance(namespace.get(base.value.id), Maps)
    return isinstance(base, ast.Name) and isinstance(namespace.get(base.id), (Maps, AutoMap))


def _store(node: ast.expr, ctx: ast.expr_context) -> ast.expr:
    out = copy.copy(node)
    out.ctx = ctx  # type: ignore[attr-defined]  # Subscript, Attribute and Name all have one
    return out


def _hoist(node: ast.expr) -> list[ast.stmt]:
    """``(x := e)`` inside ``node`` becomes ``x = e`` before it (``node`` keeps ``x``)."""
    out: list[ast.stmt] = []

    class Hoist(ast.NodeTransformer):
        def visit_NamedExpr(self, n: ast.NamedExpr) -> ast.AST:
            self.generic_visit(n)
            out.append(_located(ast.Assign([_located(ast.Name(n.target.id, ast.Store()), n)],
                                           n.value), n))
            return _located(ast.Name(n.target.id, ast.Load()), n)

    Hoist().visit(node)
    return out


class _Retval(ast.NodeTransformer):
    """bpftrace's ``retval``: the context's return value (``args.retval``)."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id != "retval" or not isinstance(node.ctx, ast.Load):
            return node
        return _located(ast.Attribute(_located(ast.Name(CTX, ast.Load()), node), "retval",
                                      ast.Load()), node)
