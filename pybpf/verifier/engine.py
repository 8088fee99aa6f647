"""The verifier: one run over a program, like the kernel's ``bpf_check``.

`verify(program, prog_type)` returns a `Report`. A `Verifier` sets the run up (the static
checks of `pybpf.verifier.cfg`, map references, the entry state), lets
`pybpf.verifier.explore.Search` explore every path, checks the combined stack depth of the
call chains at the end, and turns a `Reject` into the `Report`. The kernel verifier's
sections each have their module: `explore` (exploration and pruning), `alu`, `jumps`,
`load_store` and `mem` (memory), `calls`; the log is an `Observer` (`log.LogObserver`).

>>> from pybpf.asm import assemble
>>> verify(assemble("r0 = 0\\nexit"), "socket_filter").accepted
True
>>> r = verify(assemble("r0 = *(u64 *)(r1 + 1000)\\nexit"), "socket_filter")
>>> r.message, r.error_class
('invalid bpf_context access off=1000 size=8', 'ctx_access')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UsageError
from ..isa import CALL, LDDW, CallSrc, Class, JmpOp, ProgramSpec, RefKind, helper_id
from . import kernel_profile
from .cfg import check_cfg, liveness, precision_needed
from .explore import MAX_PROCESSED, Search
from .jumps import return_range
from .kernel_profile import KernelProfile
from .log import LogObserver
from .observer import Observer
from .report import EXPLAIN, Reject, Report
from .state import RT, MapRef, Reg, State

#: tracing programs run on a private stack per frame: no combined-size limit (measured)
_TAIL_CALL = helper_id("tail_call")
_PRIVATE_STACK_TYPES = {"tracepoint", "raw_tracepoint", "perf_event", "kprobe", "tracing",
                        "raw_tracepoint_writable"}
MAX_COMBINED_STACK = 512
#: error classes decided before any instruction runs (the program's size, its maps)
CHECKED_BEFORE_RUN = frozenset({"prog_too_large", "bad_map"})
#: instruction slots BPF_PROG_LOAD accepts from a loader with CAP_BPF (BPF_COMPLEXITY_LIMIT_INSNS;
#: 4096, BPF_MAXINSNS, without it)
MAX_INSNS = 1_000_000


def _mapref(name: str, src: Any, maps: Mapping[str, Any], decls: Mapping[str, Any]) -> MapRef:
    """A `MapRef` from a `MapSpec` or a kernel `Map` (with its inner map, for map-in-map)."""
    info = src.info() if hasattr(src, "info") and not hasattr(src, "key_size") else src
    inner = None
    inner_src = getattr(src, "inner", None)  # a MapSpec's template: a MapSpec or a map's name
    if isinstance(inner_src, str):
        inner_src = maps.get(inner_src) or decls.get(inner_src)
    if inner_src is not None:
        inner = _mapref(getattr(inner_src, "name", "inner"), inner_src, maps, decls)
    return MapRef(name, str(info.type), int(info.key_size), int(info.value_size),
                  int(info.max_entries), int(getattr(info, "flags", 0) or 0), inner)


class Verifier:
    """One verification run; use `verify`."""

    def __init__(self, program: ProgramSpec, prog_type: str, *, maps: Mapping[str, Any] | None = None,
                 expected_attach_type: str | None = None, log: bool = False,
                 func_info: bool = False, kernel: KernelProfile | None = None,
                 observer: Observer | None = None) -> None:
        self.program = program
        self.kernel = kernel if kernel is not None else kernel_profile.default()
        self.func_info = func_info
        self.observer: Observer = observer if observer is not None else \
            LogObserver() if log else Observer()
        self.prog_type = prog_type
        self.attach = expected_attach_type
        self.insns = program.resolve()
        self.maprefs = self._map_refs(maps)
        self.processed = 0
        self.jmps = 0
        self.max_depth: dict[int, int] = {}  # subprogram start -> deepest stack use seen
        self.search = Search(self)
        self.slots: list[int] = []
        self.index: dict[int, int] = {}

    # -- setup ------------------------------------------------------------------------
    def _map_refs(self, maps: Mapping[str, Any] | None) -> dict[int, MapRef]:
        out: dict[int, MapRef] = {}
        for idx, ref in self.program.refs.items():
            if ref.kind is not RefKind.MAP:
                continue
            given = (maps or {}).get(ref.name)
            decl = self.program.maps.get(ref.name)
            src = given if given is not None else decl
            if src is None:
                raise Reject(idx, f"fd {ref.name} is not pointing to valid bpf_map",
                             "helper_arg_type")
            out[idx] = _mapref(ref.name, src, maps or {}, self.program.maps)
        return out

    def initial_state(self) -> State:
        st = State()
        regs = st.regs
        regs[1] = Reg.ptr(RT.PTR_TO_CTX)
        regs[10] = Reg.ptr(RT.PTR_TO_STACK, frameno=0)
        return st

    # -- what the handlers call ---------------------------------------------------------
    def push_branch(self, st: State, i: int) -> None:
        """Leave ``st``, another side of instruction ``i``, for the search to explore later."""
        self.search.push(st, i)

    def note_depth(self, st: State) -> None:
        """Remember how deep each frame of ``st`` has used its stack (for the total check)."""
        md = self.max_depth
        for f in st.frames:
            d = f.stack_depth()
            if d > md.get(f.subprog, 0):
                md[f.subprog] = d

    # -- driver -------------------------------------------------------------------------
    def run(self) -> Report:
        try:
            self.slots, self.index, self.subprogs = check_cfg(self.insns, self.kernel)
            self.observer.setup(self.slots)
            self.live = liveness(self.insns, self.slots, self.index)
            checked = return_range(self.prog_type, self.attach) is not None
            self.precise = precision_needed(self.insns, self.slots, self.index, checked)
            self.prune_points = self._prune_points()
            self.search.run(self.initial_state())
            self._check_stack_depth()
        except Reject as rej:
            report = self._report(rej)
        else:
            report = Report(True, self.processed, program=self.program.name)
        self.observer.finished(report, self.processed, MAX_PROCESSED)
        return report

    def _prune_points(self) -> set[int]:
        """Where the kernel compares states (visit_insn): conditional jumps and their
        targets, goto targets, the instruction after a call, bpf-to-bpf calls."""
        points: set[int] = set()
        for i, insn in enumerate(self.insns):
            cls, op = insn.cls, insn.op
            if cls not in (Class.JMP, Class.JMP32) or op == JmpOp.EXIT:
                continue
            if op == JmpOp.CALL and cls == Class.JMP:
                points.add(i + 1)
                if insn.src == CallSrc.LOCAL:
                    points.add(i)
                continue
            rel = insn.imm if (cls == Class.JMP32 and op == JmpOp.JA) else insn.off
            target = self.index.get(self.slots[i] + 1 + rel)
            if target is not None:
                points.add(target)
            if op != JmpOp.JA:
                points.add(i)
        return points

    def _check_stack_depth(self) -> None:
        """The kernel's check_max_stack_depth: along every call chain, the frames' stack
        depths (each rounded up to 16 bytes, as with the JIT) add up to at most 512."""
        depth = self.max_depth
        callees: dict[int, set[int]] = {}
        starts = sorted(self.subprogs)
        for i, insn in enumerate(self.insns):
            if insn.opcode == CALL and insn.src == CallSrc.LOCAL:
                caller = max(s for s in starts if s <= i)
                callees.setdefault(caller, set()).add(self.index[self.slots[i] + 1 + insn.imm])

        tail_calls = any(i.opcode == CALL and i.src == CallSrc.HELPER and i.imm == _TAIL_CALL
                         for i in self.insns)
        if self.prog_type in _PRIVATE_STACK_TYPES and not tail_calls:
            return  # each frame has its own 512 bytes (not with tail calls: measured)

        def walk(sub: int, total: int, frames: int, seen: tuple[int, ...]) -> None:
            total += (depth.get(sub, 0) + 15) // 16 * 16  # the JIT rounds each frame to 16
            if total > MAX_COMBINED_STACK:
                raise Reject(None, f"combined stack size of {frames} calls is {total}. Too large",
                             "call_depth")
            for callee in callees.get(sub, ()):
                if callee not in seen:
                    walk(callee, total, frames + 1, seen + (callee,))

        walk(0, 0, 1, (0,))

    def _report(self, rej: Reject) -> Report:
        expl, hint = rej.fill()
        text = None
        if rej.insn is not None and 0 <= rej.insn < len(self.insns):
            from ..asm import readable  # helper calls by name

            try:
                text = readable(self.insns[rej.insn], self.program.refs.get(rej.insn))
            except Exception:  # noqa: BLE001 - text is a convenience
                text = None
        regs = {}
        origin = None
        last = self.search.last_state
        if last is not None and rej.reg is not None and 0 <= rej.reg <= 10:
            regs[f"R{rej.reg}"] = last.regs[rej.reg].fmt()
            at = last.frame.origins[rej.reg]
            if at >= 0 and at != rej.insn:
                origin = self._origin_text(rej.reg, at)
        insn_slot = self.slots[rej.insn] if (rej.insn is not None and self.slots) else rej.insn
        return Report(False, self.processed, insn=insn_slot, insn_text=text,
                      message="\n".join(rej.lines), error_class=rej.cls, explanation=expl,
                      hint=hint, registers=regs, program=self.program.name, origin=origin,
                      source=self.program.lines.get(rej.insn) if rej.insn is not None else None)

    def _origin_text(self, reg: int, at: int) -> str:
        """'R0 was set at insn 5 (call bpf_map_lookup_elem#1), line 12: ...'."""
        from ..asm import format_insn

        try:
            text = format_insn(self.insns[at], syntax="kernel")
        except Exception:  # noqa: BLE001 - text is a convenience
            text = ""
        out = f"R{reg} was set at insn {self.slots[at]}" + (f": {text}" if text else "")
        line = self.program.lines.get(at)
        if line is not None:
            where = f"{line.filename}:{line.line}" if line.filename else f"line {line.line}"
            out += f", {where}: {line.text.strip()}"
        return out

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
    from ..isa.mapspec import MapSpec
    from ..uapi.map_rules import map_problem

    decls = {n: d for n, d in (maps or {}).items() if isinstance(d, MapSpec)}
    decls.update(program.maps)
    for name, decl in decls.items():
        problem = map_problem(decl, decls)
        if problem is not None:
            explanation, hint = EXPLAIN["bad_map"]
            return Report(False, 0, message=f"map {name!r}: {problem}", error_class="bad_map",
                          explanation=explanation, hint=hint, program=program.name)
    return None


def verify(program: ProgramSpec, prog_type: str | None = None, *, maps: Mapping[str, Any] | None = None,
           expected_attach_type: str | None = None, log: bool = False,
           func_info: bool = False, kernel: KernelProfile | None = None,
           observer: Observer | None = None) -> Report:
    """Verify ``program`` as a ``prog_type`` program (default: ``program.prog_type``).

    ``maps`` gives map definitions by name (kernel `Map` objects or `MapSpec`s) for
    references the program does not declare itself. With ``log=True`` the report's
    ``log`` holds a state log in the layout of the kernel's log_level 2.
    ``func_info`` says the program will be loaded with BTF function info (objects
    compiled with ``-g``), which callbacks such as bpf_loop's require. ``kernel`` is the
    `KernelProfile` whose helper availability applies (default: the running kernel's when it
    was measured here, see `pybpf.verifier.kernel_profile.default`). ``observer`` (an
    `Observer`) is told every step of the search (``log=True`` uses a `LogObserver`).
    """
    ptype = prog_type or program.prog_type
    if ptype is None:
        raise UsageError("verify: give prog_type (e.g. 'socket_filter', 'xdp')")
    if not program.insns:
        return Report(False, 0, message="empty program", error_class="missing_exit",
                      explanation="the program has no instructions", hint="add `r0 = 0; exit`")
    too_large = size_report(sum(2 if i.opcode == LDDW else 1 for i in program.insns), program.name)
    if too_large is not None:
        return too_large
    bad_map = map_report(program, maps)
    if bad_map is not None:
        return bad_map
    try:
        v = Verifier(program, ptype, maps=maps, expected_attach_type=expected_attach_type,
                     log=log, func_info=func_info, kernel=kernel, observer=observer)
    except Reject as rej:
        expl, hint = rej.fill()
        report = Report(False, 0, insn=rej.insn, message="\n".join(rej.lines), error_class=rej.cls,
                        explanation=expl, hint=hint, program=program.name)
        return _in_kernel_wording(report, kernel or kernel_profile.default())
    with kernel_profile.using(v.kernel):
        report = v.run()
    return _in_kernel_wording(report, v.kernel)


def _in_kernel_wording(report: Report, kernel: KernelProfile) -> Report:
    """The report's message as ``kernel`` words it (its profile's rewordings)."""
    if kernel.rewordings and report.message:
        worded = kernel.reword(report.message, report.insn_text)
        if worded != report.message:
            if report.log:
                report.log = report.log.replace(report.message, worded)
            report.message = worded
    return report
