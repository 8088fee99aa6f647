"""What BPF_PROG_LOAD refuses before the verifier looks at an instruction: the program's size
and its maps.

`size_report` is the E2BIG of a program of more than `MAX_INSNS` slots; `map_report` the
first declared map that BPF_MAP_CREATE would refuse (`pybpf.uapi.map_rules`). Both give a
`Report` (or None) that `pybpf.verifier.engine.verify` returns at once; the error classes
they give are `CHECKED_BEFORE_RUN`.

>>> from pybpf.asm import assemble
>>> map_report(assemble("r0 = 0\\nexit")) is None
True
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..isa import ProgramSpec
from ..isa.mapspec import MapSpec
from ..uapi.map_rules import map_problem
from .report import EXPLAIN, Report

#: error classes decided before any instruction runs (the program's size, its maps)
CHECKED_BEFORE_RUN = frozenset({"prog_too_large", "bad_map"})
#: instruction slots BPF_PROG_LOAD accepts from a loader with CAP_BPF (BPF_COMPLEXITY_LIMIT_INSNS;
#: 4096, BPF_MAXINSNS, without it)
MAX_INSNS = 1_000_000


def size_report(slots: int, name: str = "") -> Report | None:
    """The rejection of a program of ``slots`` instruction slots when BPF_PROG_LOAD refuses it
    for its size alone (E2BIG, before the verifier runs), else None: checked first, so a
    program of a million and more instructions is refused at once.

    >>> size_report(1_000_002).summary
    'rejected at program: E2BIG: the program has 1000002 instructions, more than the 1000000 BPF_PROG_LOAD accepts'
    """
    if slots <= MAX_INSNS:
        return None
    explanation, hint = EXPLAIN["prog_too_large"]
    return Report(False, 0, message=f"E2BIG: the program has {slots} instructions, more than the "
                  f"{MAX_INSNS} BPF_PROG_LOAD accepts", error_class="prog_too_large",
                  explanation=explanation, hint=hint, program=name)


def map_report(program: ProgramSpec, maps: Mapping[str, Any] | None = None) -> Report | None:
    """The rejection of a program whose declared maps BPF_MAP_CREATE would refuse (checked
    before the instructions; `pybpf.uapi.map_rules`), else None."""
    if maps:
        decls = {n: d for n, d in maps.items() if isinstance(d, MapSpec)}
        decls.update(program.maps)
    elif program.maps:
        decls = program.maps
    else:
        return None
    for name, decl in decls.items():
        problem = map_problem(decl, decls)
        if problem is not None:
            explanation, hint = EXPLAIN["bad_map"]
            return Report(False, 0, message=f"map {name!r}: {problem}", error_class="bad_map",
                          explanation=explanation, hint=hint, program=program.name)
    return None


__all__ = ["CHECKED_BEFORE_RUN", "MAX_INSNS", "map_report", "size_report"]
