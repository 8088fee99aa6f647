"""bpftrace's builtins without parentheses: ``at[comm] = count()`` is ``at[comm()] = count()``.

A name bound (in the probe's module) to a value builtin of the DSL (``comm``, ``pid``,
``tid``, ``nsecs``, ``elapsed``, ``cpu``, ``uid``, ``kstack``...: `pybpf.dsl.stubs.Builtin`
with ``value=True``) and not called is rewritten into the call, before compiling, unless the
probe assigns a local of that name.

>>> import ast
>>> from pybpf.dsl import comm, count, nsecs
>>> tree = ast.parse("def p(ctx):\\n    at[comm] = count()\\n    t = nsecs - nsecs()").body[0]
>>> print(ast.unparse(call_bare_builtins(tree, {"comm": comm, "count": count, "nsecs": nsecs})))
def p(ctx):
    at[comm()] = count()
    t = nsecs() - nsecs()
"""

from __future__ import annotations

from . import pyast as ast  # (not `import ast`: start-up)
from .stubs import Builtin

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["call_bare_builtins"]


def call_bare_builtins(tree: ast.FunctionDef, namespace: dict[str, Any]) -> ast.FunctionDef:
    """``tree`` with every bare value builtin called (a copy when one is; ``tree`` is not changed)."""
    local = {a.arg for a in tree.args.args}
    called: set[int] = set()
    bare: list[ast.Name] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                local.add(node.id)
            else:
                bare.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(id(node.func))
    targets = [n for n in bare if id(n) not in called and n.id not in local
               and _is_value_builtin(namespace.get(n.id))]
    if not targets:
        return tree
    memo: dict[int, Any] = {}
    import copy  # lazy: only a probe naming a value builtin bare rewrites its tree

    tree = copy.deepcopy(tree, memo)  # the caller's tree stays as written
    _rewrite({id(memo[id(n)]) for n in targets}).visit(tree)
    return tree


def _is_value_builtin(obj: Any) -> bool:
    return isinstance(obj, Builtin) and obj.value


def _rewrite(targets: set[int]) -> Any:
    """A transformer calling the names of ``targets`` (made at the first rewrite: the
    `ast` module it subclasses is no import of a probe without bare builtins)."""
    import ast as std

    class _Rewrite(std.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if id(node) not in targets:
                return node
            return ast.copy_location(ast.Call(node, [], []), node)

    return _Rewrite()
