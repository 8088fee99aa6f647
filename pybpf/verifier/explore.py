"""The search: depth-first exploration of every path, with checkpoints and pruning.

This is the kernel's ``do_check`` with ``push_stack``/``pop_stack`` and
``is_state_visited``. At an undecided branch the jump side is pushed and the fall-through
is followed first (the kernel's order, so the first error found is the kernel's). At the
kernel's prune points (conditional jumps and their targets, goto targets, the instruction
after a call) a state already proven safe that subsumes the current one ends the path
(`pybpf.verifier.prune.subsumes`); an identical state still being explored means an
infinite loop. Completion is tracked by counting the live branches below each `Checkpoint`,
as the kernel's ``branches`` does.

Each instruction runs through its class's handler (`pybpf.verifier.alu`, `jumps`,
`load_store`), which returns a `Flow`; what happens is told to the run's `Observer`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import MAY_GOTO, Class
from . import alu, jumps, load_store
from .flow import Flow
from .prune import states_identical, subsumes
from .report import Reject
from .state import State

if TYPE_CHECKING:
    from .session import Session

MAX_PROCESSED = 1_000_000
MAX_JMP_SEQ = 8192  # pending branches (BPF_COMPLEXITY_LIMIT_JMP_SEQ)
MAX_COMPARED = 16  # checkpoints compared at one instruction (newest first)
MAX_STATES_PER_INSN = 256  # checkpoints kept at one instruction
#: the kernel's add_new_state heuristic: a new checkpoint only after this much work
_MIN_JMPS, _MIN_INSNS = 2, 8

#: instruction class -> its handler
_HANDLERS = {Class.LD: load_store.step_ld, Class.LDX: load_store.step_ldx,
             Class.ST: load_store.step_store, Class.STX: load_store.step_store,
             Class.ALU: alu.step, Class.ALU64: alu.step, Class.JMP: jumps.step,
             Class.JMP32: jumps.step}
_HANDLER_BY_CLASS = tuple(_HANDLERS[Class(c)] for c in range(8))


def identity(st: State) -> int:
    """A hash of everything `states_identical` compares, so that a loop whose state changes
    every turn (``r0 += r1`` until the 1M-instruction limit) costs one hash a visit, not a
    full comparison with each live checkpoint."""
    return hash((len(st.refs), *((tuple(f.regs), bytes(f.slots), frozenset(f.spills.items()))
                                 for f in st.frames)))


class Checkpoint:
    """A state seen at a prune point, and how many live paths are below it."""

    __slots__ = ("state", "branches", "parent", "identity")

    def __init__(self, state: State, parent: Checkpoint | None, identity: int | None = None) -> None:
        self.state = state
        self.branches = 1
        self.parent = parent
        #: `identity` of the state: two states identical by `states_identical` have the same
        self.identity = identity


class Search:
    """One depth-first exploration of a program, driven by `pybpf.verifier.engine.Verifier.run`."""

    def __init__(self, v: Session) -> None:
        self.v = v
        self.stack: list[tuple[State, Checkpoint | None]] = []
        self.explored: dict[int, list[Checkpoint]] = {}
        #: the last checkpoint above the path being explored
        self.parent: Checkpoint | None = None
        self.prev_jmps = self.prev_insns = 0
        self.last_state: State | None = None

    def run(self, initial: State) -> None:
        """Explore every path from ``initial``."""
        self.stack.append((initial, None))
        while self.stack:
            st, self.parent = self.stack.pop()
            self._run_path(st)

    def push(self, st: State, i: int) -> None:
        """Leave ``st`` (another side of insn ``i``) to be explored later."""
        if len(self.stack) + 1 > MAX_JMP_SEQ:
            raise Reject(i, f"The sequence of {len(self.stack) + 1} jumps is too complex.",
                         "too_complex")
        st.parent_insn = i
        self.v.observer.branch_pushed(st, i)
        if self.parent is not None:
            self.parent.branches += 1
        self.stack.append((st, self.parent))

    def _finish(self) -> None:
        """The path is done: its checkpoints lose one live branch each, up to a live one."""
        entry = self.parent
        while entry is not None:
            entry.branches -= 1
            if entry.branches > 0:
                return
            entry = entry.parent

    def _run_path(self, st: State) -> None:
        v = self.v
        insns = v.insns
        slots = v.slots
        prune_points = v.prune_points
        obs = v.observer
        handlers = _HANDLER_BY_CLASS
        obs.path_start(st)
        first = True
        while True:
            i = st.insn
            self.last_state = st
            v.processed += 1  # counted before the prune check, as the kernel does
            if v.processed > MAX_PROCESSED:
                raise Reject(i, f"BPF program is too large. Processed {v.processed} insn",
                             "too_complex")
            if i in prune_points and self._visit(st, i):
                v.note_depth(st)
                obs.pruned(st, i, first)
                self._finish()
                return
            first = False
            obs.insn_start(st)
            insn = insns[i]
            flow = handlers[insn.cls](v, st, insn, i)
            if flow is Flow.EXIT:
                obs.path_exit(insn, i, slots[i])
                self._finish()
                return
            obs.insn_done(st, insn, i, slots[i], decided=flow is Flow.DECIDED)

    def _visit(self, st: State, i: int) -> bool:
        """The kernel's is_state_visited: True when ``st`` is pruned at insn ``i``; else the
        state may become a new checkpoint (then the path's parent)."""
        v = self.v
        entries = self.explored.setdefault(i, [])
        may_goto = v.insns[i].opcode == MAY_GOTO
        live = v.live[i]
        precise = v.precise[i]
        mine: int | None = None
        for e in reversed(entries[-MAX_COMPARED:]):  # newest first: the likeliest match
            if e.branches == 0 or may_goto:
                if subsumes(e.state, st, live, precise):
                    return True
                continue
            if mine is None:  # one hash for the comparisons with every live checkpoint
                mine = identity(st)
            if e.identity == mine and states_identical(e.state, st):
                raise Reject(i, f"infinite loop detected at insn {v.slots[i]}", "infinite_loop")
        # like the kernel, record a new checkpoint only after some work since the last one,
        # or where a loop must be cut (may_goto)
        if not may_goto and (v.jmps - self.prev_jmps < _MIN_JMPS
                             or v.processed - self.prev_insns < _MIN_INSNS):
            return False
        if len(entries) >= MAX_STATES_PER_INSN:  # like the kernel's eviction: stop recording
            return False  # (the path goes on, still counted under its last checkpoint)
        self.prev_jmps, self.prev_insns = v.jmps, v.processed
        entry = Checkpoint(st.copy(), self.parent, identity(st) if mine is None else mine)
        entries.append(entry)
        self.parent = entry
        return False


__all__ = ["MAX_JMP_SEQ", "MAX_PROCESSED", "Checkpoint", "Search"]
