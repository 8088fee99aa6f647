"""The syntax tree of a probe function, from its module's source.

The compiler reads a probe's source, never runs it. `function_tree` parses the file the
function was defined in (its lines through `pybpf.dsl.lines`, or `linecache` which serves doctests and
zip imports) and returns the function's ``def`` with the file's own lines and columns. It
needs neither `inspect` nor `tokenize` (whose pattern alone takes tens of milliseconds to
compile): a faster start for ``pybpf probe``.

>>> def twice(x):
...     return 2 * x
>>> fdef = function_tree(twice)[1]
>>> fdef.name, fdef.lineno - twice.__code__.co_firstlineno
('twice', 0)
"""

from __future__ import annotations

from . import lines as source_lines
from . import pyast as ast  # (not `import ast`: start-up)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["function_tree"]


def function_tree(fn: Any) -> tuple[str, ast.FunctionDef]:
    """(file name, ``def`` node) of the plain function ``fn`` (`OSError` when its source
    cannot be found)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise TypeError(f"{fn!r} is not a Python function")
    filename = code.co_filename
    lines = source_lines.getlines(filename, getattr(fn, "__globals__", None))
    if not lines:
        raise OSError(f"the source of {fn.__name__}() ({filename}) cannot be read")
    tree = ast.parse("".join(lines), filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == code.co_name:
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            if first == code.co_firstlineno:
                return filename, node
    raise OSError(f"{fn.__name__}() is not a plain function of {filename}")
