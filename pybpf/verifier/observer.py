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

    def setup(self, slots: list[int]) -> None:
        """The static checks passed: ``slots[i]`` is the slot number of instruction ``i``."""

    def path_start(self, st: State) -> None:
        """A path starts: the entry state, or a branch popped from the stack."""

    def branch_pushed(self, st: State, i: int) -> None:
        """``st``, the other side of instruction ``i``, is left to be explored later (it comes
        back through `path_start`); an observer that follows paths copies its record here."""

    def pruned(self, st: State, i: int, first: bool) -> None:
        """The path was pruned at insn ``i`` (``first``: before any instruction of it ran)."""

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
