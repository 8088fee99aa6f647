"""The trace of the path a rejection happened on, recorded through the verifier's `Observer`.

`TraceObserver` keeps, for the path being explored, a persistent linked list of the
instructions it ran (each `Node` with the registers of the current frame *before* the
instruction); a branch left for later (`Observer.branch_pushed`) keeps a reference to the
list as it was, so a path popped later starts from its real history. When the verifier
rejects, `TraceObserver.failing_path` is the whole path from the entry to the failing
instruction, and `TraceObserver.before` the registers just before it.

The observer only reads the states it is shown; it is used for rejected programs only
(`pybpf.explain.explain_program` verifies once without it first), so it costs nothing to a
program the verifier accepts.

>>> from pybpf.asm import assemble
>>> from pybpf.verifier.engine import Verifier
>>> t = TraceObserver()
>>> r = Verifier(assemble("r1 = 0\\nr0 = *(u64 *)(r1 + 0)\\nexit"), "socket_filter", observer=t).run()
>>> [n.insn for n in t.failing_path()], t.failing_insn
([0], 1)
"""
from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, NamedTuple

from ..verifier.observer import Observer

if TYPE_CHECKING:
    from ..isa import Insn
    from ..verifier.report import Report
    from ..verifier.state import Reg, State

#: a path longer than this keeps only its last instructions (loops that hit the limits)
MAX_KEPT = 20_000


class Node(NamedTuple):
    """One instruction on a path: its index, the frame depth and the registers before it."""

    prev: Node | None
    insn: int
    depth: int
    regs: tuple[Reg, ...]
    length: int
    #: True when this node is the jump side of a conditional jump (the branch was taken)
    taken: bool = False
    #: the line record the kernel's log prints before this instruction (None: none printed)
    printed: int | None = None


class TraceObserver(Observer):
    """Records the path each state took (see the module docstring)."""

    def __init__(self, line_records: list[int] | None = None) -> None:
        #: the instruction indexes that have a line record (sorted), to follow the log's
        #: line info: the kernel prints an instruction's record (the nearest one at or before
        #: it) only when it differs from the last record it printed, on any path, and a path
        #: that ends well is erased from the log afterwards (log level 1)
        self.records = line_records or []
        self._prev_record: int | None = None
        self._printed: int | None = None
        self.failing_printed: int | None = None
        self.trace: Node | None = None
        self.pending: dict[int, Node | None] = {}
        self._before: tuple[tuple[Reg, ...], int] | None = None
        self._current: int = -1
        self.failing_insn: int | None = None
        self.before: tuple[Reg, ...] | None = None
        self.failing_depth = 1
        self.state: State | None = None

    def path_start(self, st: State) -> None:
        self.trace = self.pending.pop(id(st), None)

    def branch_pushed(self, st: State, i: int) -> None:
        if st.insn == i or self._before is None:  # the same instruction runs again on it
            self.pending[id(st)] = self.trace
            return
        regs, depth = self._before
        self.pending[id(st)] = self._node(i, depth, regs, taken=True)

    def insn_start(self, st: State) -> None:
        self._before = (tuple(st.regs), len(st.frames))
        self._current = st.insn
        self.state = st
        self._printed = None
        if self.records:
            at = bisect_right(self.records, st.insn) - 1
            rec = self.records[at] if at >= 0 else None
            if rec is not None and rec != self._prev_record:
                self._printed = self._prev_record = rec

    def insn_done(self, st: State | None, insn: Insn | None, i: int, slot: int | None, *,
                  decided: bool) -> None:
        assert self._before is not None
        regs, depth = self._before
        self.trace = self._node(i, depth, regs)

    def path_exit(self, insn: Insn, i: int, slot: int) -> None:
        self.trace = None

    def finished(self, report: Report, processed: int, limit: int) -> None:
        if report.accepted or self._before is None:
            return
        self.before, self.failing_depth = self._before
        self.failing_insn = self._current
        self.failing_printed = self._printed

    def log_line_record(self) -> int | None:
        """The line record the kernel's log shows last before the failing instruction: the
        one printed at it, else the last one printed along the failing path."""
        if self.failing_printed is not None:
            return self.failing_printed
        node = self.trace
        while node is not None:
            if node.printed is not None:
                return node.printed
            node = node.prev
        return None

    def _node(self, i: int, depth: int, regs: tuple[Reg, ...], *, taken: bool = False) -> Node:
        prev = self.trace
        length = prev.length + 1 if prev is not None else 1
        if length > MAX_KEPT:  # keep memory bounded on very long paths: restart the list
            prev, length = None, 1
        return Node(prev, i, depth, regs, length, taken, self._printed)

    def failing_path(self) -> list[Node]:
        """The nodes of the failing path, oldest first (without the failing instruction)."""
        out = []
        node = self.trace
        while node is not None:
            out.append(node)
            node = node.prev
        out.reverse()
        return out


__all__ = ["MAX_KEPT", "Node", "TraceObserver"]
