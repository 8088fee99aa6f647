"""Python's syntax tree as the DSL compiler reads it, without importing `ast` (which brings
`enum`, `contextlib` and `functools`: a few milliseconds of every probe's start-up).

The node classes are `_ast`'s, the very classes `ast` exports (``pyast.Name is ast.Name``),
so trees pass freely between the two. `parse`, `walk`, `iter_child_nodes` and
`copy_location` are here; `unparse`, `fix_missing_locations` and `NodeTransformer` are
`ast`'s, imported when first used (error messages, rewritten loops, on() lines).

>>> tree = parse("x = f(1)")
>>> [type(n).__name__ for n in walk(tree)][:4]
['Module', 'Assign', 'Name', 'Call']
>>> from pybpf.dsl.pyast import unparse  # (ast's, imported at this first use)
>>> unparse(tree.body[0].value)
'f(1)'
"""

from __future__ import annotations

from _ast import *  # noqa: F403 - the node classes, the same objects as ast's
from _ast import AST, PyCF_ONLY_AST

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def parse(source: str, filename: str = "<unknown>", mode: str = "exec") -> Any:
    """The tree of ``source`` (as `ast.parse`)."""
    return compile(source, filename, mode, PyCF_ONLY_AST)


def iter_child_nodes(node: AST) -> Iterator[AST]:
    """The direct children of ``node``, in field order (as `ast.iter_child_nodes`)."""
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, AST):
            yield value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, AST):
                    yield item


def walk(node: AST) -> Iterator[AST]:
    """``node`` and every node under it, breadth first (the order of `ast.walk`)."""
    todo = [node]
    i = 0
    while i < len(todo):
        n = todo[i]
        i += 1
        todo.extend(iter_child_nodes(n))
        yield n


def copy_location(new_node: Any, old_node: AST) -> Any:
    """Give ``new_node`` the source position of ``old_node`` (as `ast.copy_location`)."""
    have = new_node._attributes
    for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if attr in old_node._attributes and attr in have:
            if hasattr(old_node, attr):
                value = getattr(old_node, attr)
                if value is not None or attr.startswith("end_"):
                    setattr(new_node, attr, value)
    return new_node


def __getattr__(name: str) -> Any:
    if name in ("unparse", "fix_missing_locations", "NodeTransformer", "NodeVisitor", "dump",
                "literal_eval", "iter_fields", "get_source_segment"):
        import ast  # lazy: see the module's docstring

        return getattr(ast, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
