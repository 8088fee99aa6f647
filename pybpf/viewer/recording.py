"""What a page of the viewer shows, recorded: a verifier run (every abstract state, every
path) or a VM run (every concrete step).

`record_verifier` runs pybpf's verifier with a `VerifierRecorder`, an
`pybpf.verifier.observer.Observer` that keeps, for each processed instruction, the path it
ran on and the registers and stack slots after it; `record_vm` runs the VM with a trace
callback and keeps every `pybpf.vm.TraceStep`. Both return plain data (`VerifierRun`,
`VMTrace`) that `pybpf.viewer.page` turns into one HTML page and `pybpf.viewer.fragments`
into notebook cells.

>>> from pybpf.asm import assemble
>>> run = record_verifier(assemble("r0 = *(u64 *)(r1 + 0)\\nexit"), "xdp")
>>> run.report.accepted, run.failing_path, [s.insn for s in run.steps]
(False, 0, [0])
>>> record_vm(assemble("r0 = 7\\nexit")).result.r0
7
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import VMFault
from ..verifier.log import slot_text
from ..verifier.observer import Observer

if TYPE_CHECKING:
    from ..isa import Insn, ProgramSpec
    from ..verifier.report import Report
    from ..verifier.state import State
    from ..vm import RunResult, TraceStep

#: a run that processes more instructions keeps its first and last ones only
MAX_STEPS = 6000


@dataclass
class Listing:
    """A program as the viewer lists it: per instruction its slot, text and source line."""

    name: str
    prog_type: str | None
    texts: list[str]
    slots: list[int]
    labels: dict[int, list[str]]
    sources: dict[int, tuple[str, int, str]]  # index -> (file, line, text)

    @classmethod
    def of(cls, program: ProgramSpec) -> Listing:
        """The listing of ``program`` (LLVM syntax; helper calls named)."""
        from ..asm import format_insn

        texts = [_insn_text(format_insn, insn, program.refs.get(i))
                 for i, insn in enumerate(program.insns)]
        sources = {i: (s.filename or "", s.line, s.text.rstrip())
                   for i, s in program.lines.items() if s is not None}
        return cls(program.name or "", program.prog_type, texts, program.slot_offsets(),
                   program.labels_by_index(), sources)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.prog_type, "texts": self.texts,
                "slots": self.slots, "labels": {str(k): v for k, v in self.labels.items()},
                "sources": {str(k): list(v) for k, v in self.sources.items()}}


def _insn_text(format_insn: Any, insn: Insn, ref: Any) -> str:
    from ..isa import CallSrc
    from ..isa.helpers import helper_name

    text = str(format_insn(insn, "llvm", ref))
    if insn.opcode == 0x85 and insn.src == CallSrc.HELPER:
        name = helper_name(insn.imm)
        if name:
            text += f"  ; {name}"
    return text


@dataclass
class VerifierStep:
    """One processed instruction: where, on which path, and the abstract state after it."""

    path: int
    insn: int  # index in the program
    regs: list[str | None]  # R0..R10 of the current frame, kernel-log text (None: not init)
    stack: list[tuple[int, str]]  # (offset from fp, text) of the slots in use
    frame: int
    note: str = ""  # "branch taken", "pruned", "rejected: ...", "exit"


@dataclass
class VerifierPath:
    """One path of the search: where it started (a branch left for later) and how it ended."""

    id: int
    parent: int | None
    start: int  # instruction index it starts at
    branch_from: int | None  # the conditional jump it is the other side of
    first_step: int  # index into VerifierRun.steps (-1: pruned before running, or not kept)
    branch_step: int = -1  # the parent's last step when this side was left for later
    end: str = "running"  # "exit", "pruned at N", "rejected at N"
    steps: int = 0


@dataclass
class VerifierRun:
    """A whole verification: the listing, the verdict and every recorded step and path."""

    listing: Listing
    report: Report
    steps: list[VerifierStep] = field(default_factory=list)
    paths: list[VerifierPath] = field(default_factory=list)
    failing_path: int | None = None
    processed: int = 0
    dropped: int = 0  # steps not kept (MAX_STEPS)
    explanation: str = ""  # pybpf's whole explanation (``pybpf verify``'s text), when known
    program: ProgramSpec | None = None  # what was verified

    def _repr_html_(self) -> str:
        from .fragments import verifier_run_html

        return verifier_run_html(self)

    def failing_chain(self) -> list[int]:
        """The failing path and the paths it branched from, outermost first."""
        chain: list[int] = []
        p = self.failing_path
        while p is not None:
            chain.append(p)
            p = self.paths[p].parent
        return chain[::-1]

    def to_json(self) -> dict[str, Any]:
        r = self.report
        return {
            "kind": "verifier", "listing": self.listing.to_json(),
            "verdict": {"accepted": r.accepted, "summary": r.summary, "insn": r.insn,
                        "message": r.message, "class": r.error_class,
                        "explanation": self.explanation or r.explanation,
                        "hint": "" if self.explanation else r.hint},
            "steps": [[s.path, s.insn, s.regs, s.stack, s.frame, s.note] for s in self.steps],
            "paths": [{"id": p.id, "parent": p.parent, "start": p.start, "from": p.branch_from,
                       "first": p.first_step, "branch_step": p.branch_step, "end": p.end, "steps": p.steps} for p in self.paths],
            "failing": self.failing_path, "chain": self.failing_chain(),
            "processed": self.processed, "dropped": self.dropped,
        }


class VerifierRecorder(Observer):
    """Keeps every step and path of a verifier run (see the module docstring)."""

    def __init__(self, max_steps: int = MAX_STEPS) -> None:
        self.max_steps = max_steps
        self.steps: list[VerifierStep] = []
        self.paths: list[VerifierPath] = []
        self.index: list[int] = []  # slot numbers by instruction index
        #: id(state) -> (parent path, branch insn, the parent's last step then)
        self._pending: dict[int, tuple[int, int, int]] = {}
        self._tail: list[VerifierStep] = []
        self.dropped = 0
        self.failing: int | None = None
        self._current: State | None = None

    # -- the Observer hooks ----------------------------------------------------------
    def setup(self, slots: list[int]) -> None:
        self.index = slots

    def path_start(self, st: State) -> None:
        parent, branch, at = self._pending.pop(id(st), (None, None, -1))
        self.paths.append(VerifierPath(len(self.paths), parent, st.insn, branch,
                                       self._next_index(), at))

    def branch_pushed(self, st: State, i: int) -> None:
        if self.paths:
            # the jump itself is the parent's next step (insn_done follows the push)
            self._pending[id(st)] = (self.paths[-1].id, i, self._next_index())

    def pruned(self, st: State, i: int, from_prev: int | None) -> None:
        if self.paths:
            path = self.paths[-1]
            path.end = f"pruned at {i} (a state seen before covers it)"
            if from_prev is not None:  # pruned before any instruction of the path ran
                path.first_step = -1

    def insn_start(self, st: State) -> None:
        self._current = st

    def insn_done(self, st: State | None, insn: Insn | None, i: int, slot: int | None, *,
                  decided: bool) -> None:
        state = st if st is not None else self._current
        note = "jump decided by known values" if decided else ""
        self._keep(self._step(state, i, note))

    def path_exit(self, insn: Insn, i: int, slot: int) -> None:
        if self.paths:
            self.paths[-1].end = f"exit at {i}"
            if self._current is not None:
                self._keep(self._step(self._current, i, "exit"))

    def finished(self, report: Report, processed: int, limit: int) -> None:
        self.steps.extend(self._tail)
        self._tail = []
        if report.accepted or not self.paths:
            return
        path = self.paths[-1]
        at = self._index_of(report.insn)
        path.end = f"rejected at {at if at is not None else '?'}"
        self.failing = path.id
        if at is not None and self._current is not None:
            last = self.steps[-1] if self.steps else None
            if last is None or last.insn != at or last.path != path.id or last.note:
                self.steps.append(self._step(self._current, at, "rejected"))
            else:
                last.note = "rejected"

    # -- helpers -----------------------------------------------------------------------
    def _index_of(self, slot: int | None) -> int | None:
        if slot is None:
            return None
        try:
            return self.index.index(slot) if self.index else slot
        except ValueError:
            return None

    def _next_index(self) -> int:
        return len(self.steps) + len(self._tail) + self.dropped

    def _keep(self, step: VerifierStep) -> None:
        if self.paths:
            self.paths[-1].steps += 1
        if len(self.steps) < self.max_steps // 2:
            self.steps.append(step)
            return
        self._tail.append(step)
        if len(self._tail) > self.max_steps // 2:
            del self._tail[0]
            self.dropped += 1

    def _step(self, st: State | None, i: int, note: str) -> VerifierStep:
        if st is None:
            return VerifierStep(self.paths[-1].id if self.paths else 0, i, [None] * 11, [], 0, note)
        frame = st.frame
        regs = [r.fmt() if r.is_init else None for r in frame.regs]
        stack = []
        for spi in range(frame.allocated // 8):  # fp-8 first, as the kernel's log
            text = slot_text(frame, spi)
            if text is not None:
                stack.append((-(spi + 1) * 8, text))
        return VerifierStep(self.paths[-1].id if self.paths else 0, i, regs, stack,
                            len(st.frames) - 1, note)


def record_verifier(program: ProgramSpec, prog_type: str | None = None, *,
                    maps: Mapping[str, Any] | None = None, expected_attach_type: str | None = None,
                    func_info: bool = False, kernel: Any = None,
                    max_steps: int = MAX_STEPS) -> VerifierRun:
    """Verify ``program`` as `pybpf.verify` does, keeping every state for the viewer."""
    from ..verifier.engine import Verifier

    ptype = prog_type or program.prog_type or "socket_filter"
    rec = VerifierRecorder(max_steps)
    v = Verifier(program, ptype, maps=maps, expected_attach_type=expected_attach_type,
                 func_info=func_info, kernel=kernel, observer=rec)
    report = v.run()
    half = rec.max_steps // 2
    for p in rec.paths:  # step numbers of the whole run -> indexes of the kept steps
        p.first_step = _kept(p.first_step, half, rec.dropped)
        p.branch_step = _kept(p.branch_step, half, rec.dropped)
    listing = Listing.of(program)
    listing.prog_type = ptype
    return VerifierRun(listing, report, rec.steps, rec.paths, rec.failing, v.processed,
                       rec.dropped, program=program)


def _kept(step: int, half: int, dropped: int) -> int:
    if step >= half + dropped:
        return step - dropped
    return -1 if step >= half else step


@dataclass
class VMTrace:
    """A VM run: the listing, every step (`pybpf.vm.TraceStep`), the result or the fault,
    and the input memory (so a page can show memory as it was at each step)."""

    listing: Listing
    steps: list[TraceStep]
    result: RunResult | None = None
    fault: VMFault | None = None
    mem: bytes | None = None
    packet: bytes | None = None

    def to_json(self) -> dict[str, Any]:
        res = self.result
        steps: list[list[Any]] = [
            [s.pc, s.depth, [str(v) for v in s.regs],
             [p or "" for p in s.pointers] if s.pointers else [""] * len(s.regs),
             [[c.region, c.offset, c.old.hex(), c.new.hex()] for c in s.changes]]
            for s in self.steps]
        if self.fault is not None and self.fault.pc is not None:
            # the faulting instruction did not finish (no TraceStep): a last step shows it,
            # with the registers as they were before it
            before = steps[-1] if steps else [0, 0, ["0"] * 11, [""] * 11, []]
            steps.append([self.fault.pc, before[1], before[2], before[3], []])
        return {
            "kind": "vm", "listing": self.listing.to_json(),
            "steps": steps,
            "result": None if res is None else {"r0": str(res.r0), "insns": res.insns,
                                                "output": list(res.output)},
            "fault": None if self.fault is None else {"message": str(self.fault),
                                                      "pc": self.fault.pc},
            "initial": {k: v.hex() for k, v in (("mem", self.mem), ("packet", self.packet))
                        if v is not None},
        }

    def _repr_html_(self) -> str:
        from .fragments import trace_html

        return trace_html(self)


def record_vm(program: ProgramSpec, *, max_steps: int = 100_000, **run_kw: Any) -> VMTrace:
    """Run ``program`` in `pybpf.vm.VM` (keywords as `VM.run`), keeping every step.

    A fault is kept, not raised: the trace ends at the faulting instruction.
    """
    from ..vm import VM

    steps: list[TraceStep] = []
    mem = run_kw.get("mem")
    packet = run_kw.get("packet")
    trace = VMTrace(Listing.of(program), steps, mem=None if mem is None else bytes(mem),
                    packet=None if packet is None else bytes(packet))
    try:
        trace.result = VM(max_insns=max_steps).run(program, trace=steps.append, **run_kw)
    except VMFault as exc:
        trace.fault = exc
    return trace


__all__ = ["Listing", "VMTrace", "VerifierPath", "VerifierRecorder", "VerifierRun", "VerifierStep",
           "record_verifier", "record_vm"]
