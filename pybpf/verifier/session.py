"""What an instruction handler sees of the run: the `Session` interface.

The search (`pybpf.verifier.explore`) and the handlers (`pybpf.verifier.alu`, `jumps`,
`load_store`, `calls`) read the program and its
facts and report back through this interface; `pybpf.verifier.engine.Verifier` implements
it. Depending on the interface rather than on the engine keeps the import graph one-way:
the engine imports the handlers, never the reverse.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..isa import Insn, ProgramSpec
    from .kernel_profile import KernelProfile
    from .observer import Observer
    from .state import MapRef, State


class Session(Protocol):
    """One verification run, as the instruction handlers use it."""

    program: ProgramSpec
    prog_type: str
    attach: str | None
    kernel: KernelProfile
    func_info: bool
    insns: list[Insn]
    #: slot number of each instruction, and slot -> instruction index
    slots: list[int]
    index: dict[int, int]
    #: instruction index of each map-referencing ``lddw`` -> the map
    maprefs: dict[int, MapRef]
    #: instructions processed and jumps taken so far
    processed: int
    jmps: int
    #: where states are compared (the kernel's prune points)
    prune_points: set[int]
    #: per instruction: registers live before it, and registers whose exact value matters
    live: list[int]
    precise: list[int]
    observer: Observer

    def push_branch(self, st: State, i: int) -> None:
        """Leave ``st``, another side of instruction ``i``, for the search to explore later."""

    def note_depth(self, st: State) -> None:
        """Remember how deep each frame of ``st`` has used its stack."""


__all__ = ["Session"]
