"""`Explanation`: a rejection told at the user's own line, with where the bad value came
from, the kind of problem, its root cause and a fix in the user's language.

`explain_program` verifies a `ProgramSpec` with pybpf's verifier; on a rejection it runs
again with a `pybpf.explain.trace.TraceObserver` and builds the provenance chain
(`pybpf.explain.provenance.chain`) of the register or stack slot at fault.

>>> from pybpf.asm import assemble
>>> e = explain_program(assemble("r0 = *(u64 *)(r1 + 1000)\\nexit", filename="t.s"), "socket_filter")
>>> e.line, e.message, e.kind
(1, 'invalid bpf_context access off=1000 size=8', 'program')
>>> print(e.text().splitlines()[1])
  at t.s:1:1: r0 = *(u64 *)(r1 + 1000)
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..isa import CALL, CallSrc, helper_name
from ..verifier import messages
from ..verifier.observer import Observer
from ..verifier.report import Reject
from .hints import hints_for
from .kinds import compiler_step, kind_of
from .provenance import Step, chain, insn_text
from .source import language, line_of, where

if TYPE_CHECKING:
    from ..isa import ProgramSpec
    from ..isa.program import SourceLine
    from ..verifier.report import Report

#: plain words for each kind
KIND_WORDS = {"program": "a bug in the program", "compiler": "the compiler's lowering of "
              "correct source", "verifier_limit": "a limit of the verifier",
              "environment": "the environment (program type, kernel, privileges, BTF)"}
_LANG_WORDS = {"c": "C", "python": "Python", "asm": "assembly"}
_REG = re.compile(r"\bR(\d+)\b")


@dataclass
class Explanation:
    """Everything pybpf says about one verdict (see `to_json` for the structured form)."""

    program: str
    accepted: bool
    processed_insns: int = 0
    insn: int | None = None  # the kernel's instruction number (slot)
    index: int | None = None  # the instruction's index in the ProgramSpec
    insn_text: str | None = None
    message: str | None = None
    message_key: str | None = None
    error_class: str | None = None
    kind: str | None = None
    explanation: str = ""
    language: str = "asm"
    hints: dict[str, str] = field(default_factory=dict)
    source: SourceLine | None = None
    registers: dict[str, str] = field(default_factory=dict)
    provenance: list[Step] = field(default_factory=list)
    root_cause: Step | None = None
    counterexample: Any = None
    #: why there is no counterexample (`pybpf.explain.counterexample.NO_COUNTEREXAMPLE`),
    #: when one was asked for and the rejection's case has none
    no_counterexample: str | None = None
    log: str = ""
    report: Report | None = None

    # -- views ------------------------------------------------------------------------
    @property
    def hint(self) -> str:
        """The fix hint in the program's own language."""
        return self.hints.get(self.language, "")

    @property
    def file(self) -> str | None:
        return self.source.filename if self.source else None

    @property
    def line(self) -> int | None:
        return self.source.line if self.source else None

    @property
    def column(self) -> int | None:
        return self.source.column if self.source else None

    @property
    def summary(self) -> str:
        if self.accepted:
            return f"accepted ({self.processed_insns} instructions processed)"
        at = f"insn {self.insn}" if self.insn is not None else "program"
        if self.insn_text:
            at += f" ({self.insn_text})"
        first = (self.message or "").splitlines()[0] if self.message else ""
        return f"rejected at {at}: {first}"

    def text(self) -> str:
        """The multi-line account a person reads."""
        if self.accepted:
            return self.summary
        out = [self.summary]
        if self.source is not None:
            out.append(f"  at {where(self.source)}:{self.source.column}: {self.source.text.strip()}")
        if self.message and "\n" in self.message:
            out += ["  kernel: " + ln for ln in self.message.splitlines()[1:]]
        out.append(f"  kind: {KIND_WORDS.get(self.kind or '', self.kind)}")
        out.append(f"  why: {self.explanation}")
        for reg, val in self.registers.items():
            out.append(f"  {reg} = {val}")
        if self.provenance:
            out.append("  how it got there:")
            for s in self.provenance:
                place = f"  {where(s.line)}: {s.line.text.strip()}" if s.line else ""
                out.append(f"    insn {s.slot:<4} {s.text:<32} {s.note}{place and ' |' + place}")
        if self.root_cause is not None:
            rc = self.root_cause
            place = f", {where(rc.line)}: {rc.line.text.strip()}" if rc.line else ""
            out.append(f"  root cause: insn {rc.slot} ({rc.text}){place}")
        if self.counterexample is not None:
            out += ["  " + ln for ln in self.counterexample.text().splitlines()]
        elif self.no_counterexample:
            out.append(f"  counterexample: none ({self.no_counterexample})")
        out.append(f"  fix ({_LANG_WORDS.get(self.language, self.language)}): {self.hint}")
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        """The structured form (documented, with its JSON schema, in docs/cli.md)."""
        src = self.source
        rc = self.root_cause
        return {
            "program": self.program, "accepted": self.accepted,
            "processed_insns": self.processed_insns,
            "file": src.filename if src else None, "line": src.line if src else None,
            "column": src.column if src else None,
            "source": src.text.strip() if src else None,
            "insn": self.insn, "insn_text": self.insn_text, "message": self.message,
            "message_key": self.message_key, "class": self.error_class, "kind": self.kind,
            "explanation": self.explanation or None, "language": self.language,
            "hint": self.hint or None, "hints": self.hints or None,
            "registers": self.registers,
            "provenance": [s.to_json() for s in self.provenance],
            "root_cause": None if rc is None else dict(rc.to_json(),
                                                        before_failing=rc.insn != self.index),
            "counterexample": None if self.counterexample is None else self.counterexample.to_json(),
            "no_counterexample": self.no_counterexample,
        }

    def __str__(self) -> str:
        return self.summary


class Tee(Observer):
    """Tells every hook to several observers."""

    def __init__(self, *observers: Observer) -> None:
        self.observers = observers

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("_") or name == "observers":
            return object.__getattribute__(self, name)
        obs = object.__getattribute__(self, "observers")

        def call(*a: Any, **kw: Any) -> None:
            for o in obs:
                getattr(o, name)(*a, **kw)
        return call


def _message_key(message: str | None) -> str | None:
    if not message:
        return None
    for line in message.splitlines():
        hits = messages.find(line)
        if hits:
            return hits[0].key
    return None


def _target(cls: str | None, message: str, registers: Mapping[str, str], before: Any,
            frameno: int) -> tuple[Any, ...] | None:
    m = messages.match("stack_read_uninit", message.splitlines()[0]) \
        if message and cls == "stack_uninit_read" else None
    if m is not None:
        return ("stack", frameno, int(m[1]), int(m[2]))
    if registers:
        return ("reg", int(next(iter(registers))[1:]))
    hit = _REG.search(message or "")
    if hit is not None and int(hit.group(1)) <= 10:
        return ("reg", int(hit.group(1)))
    return None


#: classes whose value at fault may have a bound that is too loose (`bound_origin`)
_BOUNDED = frozenset({"map_value_oob", "stack_oob", "mem_oob", "packet_oob"})


def _size_target(target: tuple[Any, ...] | None, cls: str | None, v: Any,
                 index: int | None) -> tuple[Any, ...] | None:
    """For a helper's memory argument that is too small for its size, the size register
    (the kernel names the pointer, the size is what was wrong)."""
    if target is None or target[0] != "reg" or cls not in _BOUNDED or index is None:
        return target
    ins = v.insns[index]
    if ins.opcode != CALL or ins.src != CallSrc.HELPER:
        return target
    from ..verifier.helper_protos import proto

    try:
        args = proto(ins.imm).args
    except (KeyError, ValueError):
        return target
    n = int(target[1])
    if 1 <= n < len(args) and args[n].is_size:
        return ("reg", n + 1)
    return target


def _root(cls: str | None, steps: list[Step], fail: Step | None, v: Any,
          report: Report) -> Step | None:
    comp = compiler_step(steps)
    if comp is not None:
        return comp
    if cls == "reference_leak":
        m = re.search(r"alloc_insn=(\d+)", report.message or "")
        slot = int(m.group(1)) if m else None
        idx = v.index.get(slot) if slot is not None else None
        if idx is not None and slot is not None:
            return Step(idx, slot, insn_text(v.insns[idx]), "source",
                        "the reference was acquired here and is not released on every path",
                        None, line_of(v.program, idx))
    if cls == "ctx_modified":
        moved = [s for s in steps if s.role == "op"]
        if moved:
            return moved[0]
    for role in ("clobber", "lost", "bound"):
        for s in reversed(steps):
            if s.role == role:
                return s
    if cls in ("null_deref", "pointer_arith_prohibited") and steps:
        src = [s for s in steps if s.role == "source"]
        if src:
            return src[-1]
    if cls in ("map_value_oob", "unbounded_access", "negative_index", "unbounded_pointer_math",
               "helper_arg_size", "mem_oob") and steps:
        src = [s for s in steps if s.role in ("source", "fill")]
        if src:
            return src[-1]
    return fail


def explain_report(report: Report, name: str = "", lang: str = "asm") -> Explanation:
    """The explanation of a verdict reached before any instruction ran (the program's size,
    its maps: `pybpf.verifier.engine.CHECKED_BEFORE_RUN`), from its `Report` alone."""
    return Explanation(name, report.accepted, report.processed_insns, message=report.message,
                       error_class=report.error_class, explanation=report.explanation,
                       language=lang, hints=hints_for(report.error_class), log=report.log,
                       report=report, kind=None if report.accepted else "program")


def explain_program(program: ProgramSpec, prog_type: str | None = None, *,
                    maps: Mapping[str, Any] | None = None, expected_attach_type: str | None = None,
                    func_info: bool = False, kernel: Any = None, log: bool = False,
                    counterexample: bool = False, privileged: bool = True,
                    name: str | None = None) -> Explanation:
    """Verify ``program`` and explain the verdict (see the module docstring).

    ``privileged=False`` applies the rules the kernel applies to a loader without
    CAP_PERFMON/CAP_SYS_ADMIN; ``counterexample=True`` looks for concrete values that make
    the failing instruction fault, replayed in `pybpf.vm`.
    """
    from ..verifier.engine import CHECKED_BEFORE_RUN, Verifier, verify
    from ..verifier.log import LogObserver
    from .trace import TraceObserver

    ptype = prog_type or program.prog_type
    kw: dict[str, Any] = {"maps": maps, "expected_attach_type": expected_attach_type,
                          "func_info": func_info, "kernel": kernel}
    rules = None
    if not privileged:
        from .unpriv import rules_for

        rules = rules_for(program, ptype)
    first = verify(program, ptype, log=log and rules is None, observer=rules, **kw)
    lang = language(program)
    pname = name or program.name or ""
    if first.error_class in CHECKED_BEFORE_RUN:  # no instruction ran: nothing to trace
        return explain_report(first, pname, lang)
    if first.accepted or first.insn is None and first.error_class in (None, "missing_exit") \
            and not program.insns:
        return Explanation(pname, first.accepted, first.processed_insns, message=first.message,
                           error_class=first.error_class, explanation=first.explanation,
                           language=lang, hints=hints_for(first.error_class), log=first.log,
                           report=first, kind=None if first.accepted else "program")
    trace = TraceObserver(sorted(program.lines))
    logger = LogObserver() if log else None
    parts = [o for o in (rules, trace, logger) if o is not None]
    obs: Observer = Tee(*parts) if len(parts) > 1 else trace
    try:
        v = Verifier(program, ptype, observer=obs, **kw)  # type: ignore[arg-type]  # kw: verify()'s keywords, passed on
    except Reject as rej:  # refused while setting up (a map reference nothing declares)
        out = explain_report(first, pname, lang)
        if rej.insn is not None and 0 <= rej.insn < len(program.insns):
            out.insn, out.index = first.insn, rej.insn
            out.insn_text = insn_text(program.insns[rej.insn])
            out.source = line_of(program, rej.insn)
        return out
    report = v.run()
    if report.accepted:  # cannot happen (the verifier is deterministic); keep the first verdict
        report = first
    index = v.index.get(report.insn) if report.insn is not None and v.slots else None
    if index is None and report.insn is not None and not v.slots:
        index = report.insn
    fail_step = None
    if index is not None and 0 <= index < len(v.insns):
        fail_step = Step(index, report.insn or 0, insn_text(v.insns[index]), "fail",
                         "the kernel rejects this instruction", None, line_of(program, index))
    steps: list[Step] = []
    target: tuple[Any, ...] | None = None
    if trace.failing_insn is not None and trace.before is not None:
        frameno = len(trace.state.frames) - 1 if trace.state is not None else 0
        target = _target(report.error_class, report.message or "", report.registers,
                         trace.before, frameno)
        target = _size_target(target, report.error_class, v, index)
        if target is not None and report.error_class not in ("too_complex", "infinite_loop"):
            try:
                steps = chain(v, trace, target, bound=report.error_class in _BOUNDED)
            except Exception:  # noqa: BLE001 - provenance is an aid, the verdict stands
                steps = []
    helper = None
    if index is not None and index < len(v.insns):
        ins = v.insns[index]
        if ins.opcode == CALL and ins.src == CallSrc.HELPER:
            helper = helper_name(ins.imm)
    kind = kind_of(report.error_class, steps, language=lang, message=report.message or "")
    reg = int(next(iter(report.registers))[1:]) if report.registers else None
    moved = [s.reg for s in steps if s.role == "op" and s.note.startswith(f"R{reg} moves by")]
    if moved and moved[-1] is not None:
        reg = moved[-1]  # a pointer moved by a scalar: the scalar is what to bound
    hint_cls = report.error_class
    if hint_cls == "stack_oob" and helper is not None:
        hint_cls = "stack_oob/helper"
    elif hint_cls == "stack_oob" and (report.message or "").startswith("invalid variable-offset"):
        hint_cls = "stack_oob/variable"
    size_reg = target[1] if target is not None and target[0] == "reg" else None
    hints = hints_for(hint_cls, helper=helper, kind=kind, reg=reg, insn=report.insn,
                      size_reg=size_reg)
    key = _message_key(report.message)
    cls = report.error_class
    if key == "gpl_only":  # the kernel's words say it: a license, not the program type
        cls = "license"
        hints = hints_for(cls, helper=helper, kind=kind)
    if key == "jumps_too_complex":
        hints = hints_for("too_many_jumps")
    if (report.message or "").startswith("write into map forbidden"):
        hints = hints_for("map_readonly")
    expl = _explanation(report, key, steps, helper)
    root = _root(report.error_class, steps, fail_step, v, report)
    text = insn_text(v.insns[index]) if index is not None and index < len(v.insns) else None
    src = _path_line(program, index, trace)
    if src is None and index is None and key == "combined_stack":
        src = _first_call_line(program, v)
    e = Explanation(pname, False, report.processed_insns, report.insn, index, text,
                    report.message, key, cls, kind, expl, lang, hints,
                    src, dict(report.registers), steps, root,
                    log=(report.log or first.log), report=report)
    if counterexample:
        from .counterexample import find_counterexample, no_counterexample

        e.no_counterexample = no_counterexample(e)
        e.counterexample = find_counterexample(program, ptype, e, v, trace, maps=maps)
    return e


def _first_call_line(program: ProgramSpec, v: Any) -> SourceLine | None:
    """The line of the first BPF-to-BPF call: where the frames the kernel adds up start (a
    combined stack size names no instruction)."""
    for i, ins in enumerate(v.insns):
        if ins.opcode == CALL and ins.src == CallSrc.LOCAL:
            return line_of(program, i)
    return None


def _path_line(program: ProgramSpec, index: int | None, trace: Any) -> SourceLine | None:
    """The line the kernel log shows for the failing instruction: the last line record its log
    prints on the failing path (`pybpf.explain.trace.TraceObserver.log_line_record`: a record
    already printed on a path the log erased is not printed again), else the nearest record
    at or before it."""
    if index is None:
        return None
    if trace is not None and trace.failing_insn is not None and program.lines:
        rec = trace.log_line_record()
        if rec is not None and rec in program.lines:
            return program.lines[rec]
    return line_of(program, index)


def _explanation(report: Report, key: str | None, steps: list[Step], helper: str | None) -> str:
    text = report.explanation
    if key == "jumps_too_complex":
        return ("the verifier keeps every undecided branch on a stack and allows at most 8,192 "
                "of them pending at once; this program leaves more (a long chain of branches, "
                "typically a loop whose exit condition the verifier cannot decide).")
    if key == "too_large":
        return ("the verifier walked 1,000,000 instructions without finishing: a loop whose "
                "bound it cannot prove small, or too many paths.")
    if report.error_class in ("helper_arg_size", "helper_arg_type") and helper == \
            "bpf_ringbuf_reserve":
        return ("bpf_ringbuf_reserve's size (R2) must be a known constant: the record's size is "
                "fixed when it is reserved, and a bounded but variable size is not accepted.")
    if helper and report.error_class in ("helper_arg_size", "helper_mem_access",
                                         "helper_arg_type", "stack_uninit_read"):
        text = f"{text} (an argument of {helper})"
    return text


__all__ = ["KIND_WORDS", "Explanation", "Tee", "explain_program"]
