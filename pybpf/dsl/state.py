"""What the probes of one program share besides their maps: the record channel, stack
maps, the start time ``elapsed`` counts from, and scratch space for ``join()``.

One `ProgramState` per program (a probe file's module, or a bpftrace script), made on
first use by the compiler and kept in the module's globals under ``__pybpf_state__``.

>>> s = ProgramState()
>>> s.stacks(127) is s.stacks(127), s.stacks(127).depth
(True, 127)
"""

from __future__ import annotations

from .events import JOIN_ARG_SIZE, JOIN_ARGS, EventChannel
from .maps import Global, PerCpuArrayMap, StackTrace
from .types import u8, u64

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["STATE_NAME", "ProgramState", "state_of"]

STATE_NAME = "__pybpf_state__"


class ProgramState:
    """Shared objects of one program, created on first use."""

    def __init__(self) -> None:
        self.events = EventChannel()
        self.events.name = "_events"
        self._stacks: dict[int, StackTrace] = {}
        self._start: Global | None = None
        self._join: PerCpuArrayMap | None = None

    def stacks(self, depth: int) -> StackTrace:
        """The stack map of stacks ``depth`` frames deep."""
        if depth not in self._stacks:
            m = StackTrace(depth=depth, max_entries=4096)
            m.name = f"_stacks{depth}"
            self._stacks[depth] = m
        return self._stacks[depth]

    @property
    def start(self) -> Global:
        """The boot-clock time the run started (``elapsed`` subtracts it), set by the runtime."""
        if self._start is None:
            self._start = Global(u64)
            self._start.name = "_start"
        return self._start

    @property
    def join_scratch(self) -> PerCpuArrayMap:
        """A per-CPU record big enough for ``join()`` (8-byte id + 16 arguments)."""
        if self._join is None:
            self._join = PerCpuArrayMap(u8[8 + JOIN_ARGS * JOIN_ARG_SIZE], 1)
            self._join.name = "_join"
        return self._join

    def maps(self) -> list[Any]:
        out: list[Any] = [self.events, *self._stacks.values()]
        out += [m for m in (self._start, self._join) if m is not None]
        return out


def state_of(namespace: dict[str, Any]) -> ProgramState:
    """The `ProgramState` of a module (its globals dict), made on first use."""
    st = namespace.get(STATE_NAME)
    if st is None:
        st = namespace[STATE_NAME] = ProgramState()
    return st
