"""The kind of problem behind a rejection, because the fix differs for each.

``program``      a bug in the program's logic: fix the logic;
``compiler``     correct source that the compiler lowered into code the verifier cannot
                 follow (a check on one copy of a register and the use of another, a bound
                 lost through a 32-bit sub-register or a narrower spill): a compiler barrier
                 or a rewrite of the same logic;
``verifier_limit``  the verifier's own limits (complexity, call depth, a known
                 imprecision): restructure;
``environment``  the program type, the kernel build or version, the privileges, missing
                 BTF: change the attach point, the loader or the kernel.

>>> kind_of("null_deref"), kind_of("too_complex"), kind_of("helper_not_allowed")
('program', 'verifier_limit', 'environment')
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

KINDS = ("program", "compiler", "verifier_limit", "environment")

_ENVIRONMENT = {"unknown_helper", "helper_not_allowed", "ld_abs_not_allowed", "packet_write",
                "missing_func_info", "pointer_leak", "unsupported_prog_type", "privileges",
                "core_relocation"}
_LIMIT = {"too_complex", "call_depth", "too_many_jumps"}


def kind_of(cls: str | None, steps: Sequence[Any] = (), *, language: str = "asm",
            message: str = "") -> str:
    """The kind of a rejection of class ``cls`` whose provenance is ``steps``."""
    if cls in _ENVIRONMENT:
        return "environment"
    if cls in _LIMIT:
        return "verifier_limit"
    if language != "asm" and compiler_step(steps) is not None:
        return "compiler"
    if language == "c" and cls == "ctx_modified":
        return "compiler"  # C reads fields by name: clang moved the context pointer
    return "program"


def compiler_step(steps: Sequence[Any]) -> Any:
    """The provenance step that shows a compiler artifact: a check on a copy of the register,
    or a bound lost through a narrower spill or a 32-bit copy; None when there is none."""
    for s in steps:
        if s.role == "check":
            return s
    for s in steps:
        if s.role == "lost" and ("stored at" in s.note or "raw bytes" in s.note):
            return s
    return None


__all__ = ["KINDS", "compiler_step", "kind_of"]
