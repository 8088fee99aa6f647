"""Which line of the user's own source an instruction came from, and in which language.

C objects carry sparse ``.BTF.ext`` line records: the kernel log and ``pybpf disasm`` give
an instruction the line of the nearest record at or before it, and so does `line_of`.
DSL probes and assembly text have a record on every instruction.

>>> from pybpf.isa.program import ProgramSpec, SourceLine
>>> from pybpf.asm import assemble
>>> p = assemble("r0 = 0\\nr0 += 1\\nexit")
>>> p.lines = {0: SourceLine("t.bpf.c", 4, 9, "  int x = 0;")}
>>> line_of(p, 2).line, language(p)
(4, 'c')
"""
from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..isa.program import ProgramSpec, SourceLine

#: the languages hints are written in
LANGUAGES = ("c", "python", "asm")

_C_SUFFIXES = (".c", ".h", ".cc", ".cpp")


def language(program: ProgramSpec) -> str:
    """``"c"`` for an object built from C, ``"python"`` for a DSL probe, else ``"asm"``."""
    for src in program.lines.values():
        name = (src.filename or "").lower()
        if name.endswith(_C_SUFFIXES):
            return "c"
        if name.endswith(".py") or name.startswith("<"):  # <stdin>, <string>: a DSL probe
            return "python" if name.endswith(".py") else "asm"
    return "asm"


def line_of(program: ProgramSpec, index: int | None) -> SourceLine | None:
    """The source line of instruction ``index`` (an instruction index, not a slot): its own
    record, else the nearest record before it, as the kernel log prints line info."""
    if index is None or not program.lines:
        return None
    own = program.lines.get(index)
    if own is not None:
        return own
    keys = sorted(program.lines)
    at = bisect_right(keys, index) - 1
    return program.lines[keys[at]] if at >= 0 else None


def where(src: SourceLine | None) -> str:
    """``file:line`` (or ``line N``) of a source line, ``""`` without one."""
    if src is None:
        return ""
    return f"{src.filename}:{src.line}" if src.filename else f"line {src.line}"


__all__ = ["LANGUAGES", "language", "line_of", "where"]
