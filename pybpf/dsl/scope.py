"""The DSL compiler's scope types: what a name means while a probe is compiled.

A `Frame` is one function being compiled (the probe, or a module function inlined into
it); it maps names to `Local`s (a register, a stack slot, a stack aggregate, a checked
pointer or the context), holds the constants of unrolled loops and the labels of the
enclosing loops. A name that is neither local nor global resolves to `MISSING`.

>>> from pybpf.dsl.codegen import Val
>>> from pybpf.dsl.types import u32
>>> f = Frame()
>>> f.locals["n"] = Local("n", u32, Val("reg", u32, reg=7))
>>> f.locals["n"].read().reg, f.locals["n"].kind
(7, 'scalar')
>>> MISSING is Missing()
True
"""

from __future__ import annotations

import sys

from . import pyast as ast  # (not `import ast`: start-up)
from .codegen import Val
from .maps import DslMap

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any, TypeGuard

    from .automap import AutoMap, Maps
    from .compiler import Compiler

__all__ = ["MISSING", "Frame", "Local", "Missing", "is_automap", "map_ref"]


class Local:
    """A named local: a scalar (register or slot), an aggregate on the stack, a pointer
    (``kind="ptr"``, ``checked`` once a NULL test guards it) or the context (``"ctx"``).
    (A record compared by identity, written out: a compile makes the class.)"""

    __match_args__ = ("name", "typ", "val", "kind", "checked")

    def __init__(self, name: str, typ: Any, val: Val, kind: str = "scalar",  # scalar | agg | ptr | ctx
                 checked: bool = True) -> None:
        self.name = name
        self.typ = typ
        self.val = val
        self.kind = kind
        self.checked = checked

    def __repr__(self) -> str:
        return (f"Local(name={self.name!r}, typ={self.typ!r}, val={self.val!r}, "
                f"kind={self.kind!r}, checked={self.checked!r})")

    def read(self) -> Val:
        """A fresh `Val` naming the local's storage (not a temporary: never released)."""
        v = self.val
        return Val(v.kind, self.typ, reg=v.reg, off=v.off, ptr_to=v.ptr_to)


class Frame:
    """One function being compiled: the probe itself or an inlined helper function.
    (A record, written out: a compile makes the class.)"""

    __match_args__ = ("locals", "ret_label", "ret_local", "globals", "loops", "consts")
    __hash__ = None  # type: ignore[assignment]  # (mutable, compared by value)

    def __init__(self, locals: dict[str, Local] | None = None,  # noqa: A002 - the field's name
                 ret_label: str | None = None,  # inlined: where ``return`` jumps
                 ret_local: Local | None = None, globals: dict[str, Any] | None = None,  # noqa: A002
                 loops: list[tuple[str, str]] | None = None,  # (continue, break) labels
                 consts: dict[str, int] | None = None) -> None:  # unrolled loop variables
        self.locals: dict[str, Local] = {} if locals is None else locals
        self.ret_label = ret_label
        self.ret_local = ret_local
        self.globals: dict[str, Any] = {} if globals is None else globals
        self.loops: list[tuple[str, str]] = [] if loops is None else loops
        self.consts: dict[str, int] = {} if consts is None else consts

    def _values(self) -> tuple[Any, ...]:
        return (self.locals, self.ret_label, self.ret_local, self.globals, self.loops,
                self.consts)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # (same class)

    def __repr__(self) -> str:
        return "Frame(" + ", ".join(f"{n}={v!r}" for n, v in
                                    zip(self.__match_args__, self._values(), strict=True)) + ")"


class Missing:
    """The type of `MISSING`: a name bound nowhere (one instance)."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


# -- maps by name ------------------------------------------------------------------------------
# `AutoMap` and `Maps` (pybpf.dsl.automap) are asked for by module: none exists before that
# module is imported, and a probe of plain maps compiles without it (start-up)
def is_automap(m: object) -> TypeGuard[AutoMap]:
    """Whether ``m`` is an `AutoMap` (bpftrace's ``@`` maps: typed at their first use)."""
    auto = sys.modules.get("pybpf.dsl.automap")
    return auto is not None and isinstance(m, auto.AutoMap)


def _is_maps(obj: object) -> TypeGuard[Maps]:
    auto = sys.modules.get("pybpf.dsl.automap")
    return auto is not None and isinstance(obj, auto.Maps)


def map_ref(c: Compiler, node: ast.expr) -> DslMap | None:
    """The map ``node`` names: a module-level map, ``at`` (the anonymous map of a `Maps`), or
    ``at.name``; None for anything else."""
    if isinstance(node, ast.Name):
        obj = c.lookup_name(node.id)
        if isinstance(obj, DslMap):
            return obj
        if _is_maps(obj):
            return _owned(c, obj, node.id, "")
        return None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        obj = c.lookup_name(node.value.id)
        if _is_maps(obj):
            return _owned(c, obj, node.value.id, node.attr)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple) and not node.slice.elts:
        return map_ref(c, node.value)  # at[()]: the map itself (no key)
    return None


def _owned(c: Compiler, maps: Maps, var: str, attr: str) -> AutoMap:
    m = maps.get(attr)
    if m.name is None:
        m.name = f"{var}.{attr or '_'}"
    c.maps.setdefault(m.name, m)
    return m
