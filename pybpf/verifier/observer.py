"""The search's observer: what the explorer reports as it goes, for whoever listens.

The explorer (`pybpf.verifier.explore`) calls these hooks at fixed points of the search and
never asks whether anyone listens: `Observer` itself ignores everything (the default), and
`pybpf.verifier.log.LogObserver` writes the kernel's log_level 2 text from the same calls.
An explanation or provenance layer subclasses `Observer` the same way.

>>> Observer().insn_done(None, None, 0, None, decided=False) is None
True
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..isa import Insn
    from .report import Report
    from .state import State


class Observer:
    """No-op hooks of the search; subclass and override the ones you need."""

    #: whether the search should describe its precision tracking (`note`), as the kernel's
    #: log_level 2 does; off by default (formatting the lines costs time)
    detailed = False

    def note(self, text: str) -> None:
        """A line of detail (precision backtracking, propagation) when `detailed`."""

    def setup(self, slots: list[int]) -> None:
        """The static checks passed: ``slots[i]`` is the slot number of instruction ``i``."""

    def path_start(self, st: State) -> None:
        """A path starts: the entry state, or a branch popped from the stack."""

    def branch_pushed(self, st: State, i: int) -> None:
        """``st``, the other side of instruction ``i``, is left to be explored later (it comes
        back through `path_start`); an observer that follows paths copies its record here."""

    def resumed(self, st: State, prev: int) -> None:
        """The search goes on at ``st.insn`` after a jump in its order: the entry (``prev``
        -1), a popped branch or a return to the caller (coming from instruction ``prev``). The
        kernel's log prints the state here."""

    def pruned(self, st: State, i: int, from_prev: int | None) -> None:
        """The path was pruned at insn ``i``; ``from_prev`` is the instruction it came from
        when no instruction of it had run since it was popped, else None."""

    def insn_start(self, st: State) -> None:
        """Instruction ``st.insn`` is about to run on ``st``."""

    def insn_done(self, st: State | None, insn: Insn | None, i: int, slot: int | None, *,
                  decided: bool) -> None:
        """Instruction ``i`` (at ``slot``) ran; ``decided``: a jump with a known outcome."""

    def path_exit(self, insn: Insn, i: int, slot: int) -> None:
        """The path ended at the main program's ``exit``."""

    def finished(self, report: Report, processed: int, limit: int) -> None:
        """The run is over: ``report`` is the verdict."""


__all__ = ["Observer"]
