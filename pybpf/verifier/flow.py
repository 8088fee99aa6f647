"""What one step of the search tells the explorer: the outcome of an instruction.

Every instruction handler (`pybpf.verifier.alu`, `jumps`, `load_store`, `calls`) updates
the state in place, pushes any other branch itself (`Verifier.push_branch`) and returns a
`Flow`, so the explorer never has to tell a state from a sentinel.

>>> Flow.NEXT.ends_path, Flow.EXIT.ends_path
(False, True)
"""
from __future__ import annotations

import enum


class Flow(enum.Enum):
    """The outcome of one instruction on one path."""

    #: the path goes on at ``state.insn``
    NEXT = "next"
    #: a conditional jump whose outcome was known: the path goes on at ``state.insn`` (the
    #: kernel's log prints the state on a line of its own)
    DECIDED = "decided"
    #: a subprogram returned: the path goes on in the caller at ``state.insn``
    RETURNED = "returned"
    #: the path ended at the main program's ``exit``
    EXIT = "exit"

    @property
    def ends_path(self) -> bool:
        return self is Flow.EXIT


__all__ = ["Flow"]
