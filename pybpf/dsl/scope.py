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

from .._record import field, record
from .codegen import Val

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MISSING", "Frame", "Local", "Missing"]


@record(eq=False)
class Local:
    """A named local: a scalar (register or slot), an aggregate on the stack, a pointer
    (``kind="ptr"``, ``checked`` once a NULL test guards it) or the context (``"ctx"``)."""

    name: str
    typ: Any
    val: Val
    kind: str = "scalar"  # scalar | agg | ptr | ctx
    checked: bool = True

    def read(self) -> Val:
        """A fresh `Val` naming the local's storage (not a temporary: never released)."""
        v = self.val
        return Val(v.kind, self.typ, reg=v.reg, off=v.off, ptr_to=v.ptr_to)


@record()
class Frame:
    """One function being compiled: the probe itself or an inlined helper function."""

    locals: dict[str, Local] = field(default_factory=dict)
    ret_label: str | None = None  # inlined: where ``return`` jumps
    ret_local: Local | None = None
    globals: dict[str, Any] = field(default_factory=dict)
    loops: list[tuple[str, str]] = field(default_factory=list)  # (continue, break) labels
    consts: dict[str, int] = field(default_factory=dict)  # unrolled loop variables


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
