"""Explain a kernel verifier log: the same `Explanation` as ``pybpf verify`` gives, for a
program pybpf may not have verified itself.

With the program (an object, a DSL file or assembly) the kernel's failing instruction is
placed at its source line and, when pybpf's own verifier rejects the same instruction, its
provenance, kind and root cause are used; the kernel's message and instruction always win.
Without the program, the line comes from the log's own line info (``; text @ file:line``),
and the provenance is read from the instructions of the failing path in the log.

>>> log = "0: R1=ctx() R10=fp0\\n0: (79) r0 = *(u64 *)(r10 -8)\\ninvalid read from stack R10 off=-8 size=8\\nprocessed 1 insns\\n"
>>> e = explain_log(log)
>>> e.error_class, e.insn, e.kind
('stack_uninit_read', 0, 'program')
"""
from __future__ import annotations

import re
from typing import Any

from ..isa.program import SourceLine
from .explanation import Explanation, explain_program
from .hints import hints_for
from .kinds import kind_of
from .logparse import KernelLog, LogInsn, parse_log
from .provenance import MAX_STEPS, Step
from .source import line_of

_DST = re.compile(r"^([rw])(\d+) (=|[-+*/%&|^]=|<<=|>>=|s>>=|s/=|s%=) (.*)$")
_LOAD = re.compile(r"^\*\((u|s)(\d+) \*\)\(r(\d+) ([+-]\d+)\)$")
_STORE = re.compile(r"^\*\(u(\d+) \*\)\(r10 ([+-]\d+)\) = ([rw])(\d+)$")
#: classes where a pointer moved by a register is at fault: the register is what to follow
_INDEX_CLASSES = {"map_value_oob", "unbounded_access", "negative_index", "unbounded_pointer_math",
                  "mem_oob", "packet_oob"}


def _text_chain(k: KernelLog, reg: int, lines: dict[int, SourceLine | None]) -> list[Step]:
    """A provenance chain read from the log's instruction texts (no abstract values)."""
    out: list[Step] = []
    follow_operand = k.error_class in _INDEX_CLASSES
    path = k.path[:-1] if k.path and k.path[-1].slot == k.insn else k.path
    j = len(path)
    stack_off: int | None = None
    while j > 0 and len(out) < MAX_STEPS:
        j -= 1
        li: LogInsn = path[j]
        t = li.text
        if stack_off is not None:
            m = _STORE.match(t)
            if m and int(m.group(2)) == stack_off:
                out.append(_step(li, "spill", f"R{m.group(4)} is stored at fp{stack_off}", lines))
                reg, stack_off = int(m.group(4)), None
            continue
        if t.startswith("call "):
            if reg == 0:
                out.append(_step(li, "source", f"R0 is the value returned by {t[5:]}", lines))
                break
            if 1 <= reg <= 5:
                out.append(_step(li, "clobber", f"the call {t[5:]} left R{reg} unreadable", lines))
                break
            continue
        m = _DST.match(t)
        if not m or int(m.group(2)) != reg:
            continue
        op, rhs = m.group(3), m.group(4)
        if op == "=":
            lm = _LOAD.match(rhs)
            if lm:
                base = int(lm.group(3))
                if base == 10:
                    stack_off = int(lm.group(4))
                    out.append(_step(li, "fill", f"R{reg} is read back from the stack at "
                                     f"fp{stack_off}", lines))
                    continue
                out.append(_step(li, "source", f"R{reg} is loaded from memory R{base} points to",
                                 lines))
                break
            rm = re.fullmatch(r"[rw](\d+)", rhs)
            if rm:
                out.append(_step(li, "copy", f"R{reg} is a copy of R{rm.group(1)}", lines))
                reg = int(rm.group(1))
                continue
            out.append(_step(li, "source", f"R{reg} = {rhs}", lines))
            break
        rm = re.fullmatch(r"[rw](\d+)", rhs)
        if rm and follow_operand and op in ("+=", "-="):
            out.append(_step(li, "op", f"R{reg} moves by R{rm.group(1)}", lines))
            reg = int(rm.group(1))
            follow_operand = False
            continue
        out.append(_step(li, "op", f"arithmetic on R{reg}", lines))
    out.reverse()
    return out


def _step(li: LogInsn, role: str, note: str, lines: dict[int, SourceLine | None]) -> Step:
    return Step(li.slot, li.slot, li.text, role, note, None, lines.get(li.slot))


def _log_lines(k: KernelLog) -> dict[int, SourceLine | None]:
    """slot -> the log's own line info before that instruction's line."""
    out: dict[int, SourceLine | None] = {}
    cur: SourceLine | None = None
    src = re.compile(r"^; (.*?) @ (.+?):(\d+)$")
    ins = re.compile(r"^(\d+): \(")
    for ln in k.log.splitlines():
        m = src.match(ln)
        if m:
            cur = SourceLine(m.group(2), int(m.group(3)), 1, m.group(1))
            continue
        m = ins.match(ln)
        if m:
            out[int(m.group(1))] = cur
    return out


def explain_log(text: str, program: Any = None, prog_type: str | None = None, *,
                maps: Any = None, expected_attach_type: str | None = None,
                func_info: bool = False, name: str | None = None,
                verify: bool = True) -> Explanation:
    """Explain the rejection a kernel log reports (see the module docstring).

    ``program`` is the `ProgramSpec` that was loaded (optional); with ``verify=False`` it
    only gives the source lines (pybpf's own verifier is not run)."""
    k = parse_log(text)
    pname = name or k.program or (getattr(program, "name", None) or "")
    if k.accepted or k.insn is None and not k.error_lines:
        return Explanation(pname, True, log=k.log)
    ours: Explanation | None = None
    index = None
    if program is not None and verify:
        try:
            ours = explain_program(program, prog_type, maps=maps, name=pname,
                                   expected_attach_type=expected_attach_type, func_info=func_info)
        except Exception:  # noqa: BLE001 - pybpf's own verdict is optional here
            ours = None
    if program is not None:
        slots = program.slot_offsets()
        index_of = {s: i for i, s in enumerate(slots[:-1])}
        index = index_of.get(k.insn) if k.insn is not None else None
    cls = k.error_class or "unsupported"
    if ours is not None and not ours.accepted and ours.insn == k.insn and \
            ours.error_class == cls:
        ours.message, ours.message_key = k.message, k.message_key or ours.message_key
        return ours
    if ours is not None and not ours.accepted and ours.insn == k.insn and \
            cls == "unsupported":
        return ours
    log_lines = _log_lines(k)
    if program is not None:
        src = line_of(program, index)
        lines = {s: line_of(program, i) for i, s in enumerate(program.slot_offsets()[:-1])}
        from .source import language

        lang = language(program)
    else:
        src = SourceLine(k.source_line[0], k.source_line[1], 1, k.source_line[2]) \
            if k.source_line else None
        lines = log_lines
        name_ = (src.filename or "") if src else ""
        lang = "c" if name_.endswith((".c", ".h")) else "python" if name_.endswith(".py") else "asm"
    reg = None
    regs: dict[str, str] = {}
    m = re.match(r"R(\d+)\b", k.failing_line or "")
    if m:
        reg = int(m.group(1))
    if reg is None and k.insn_text:
        dm = re.search(r"\(r(\d+) [+-]\d+\)", k.insn_text)
        if dm:
            reg = int(dm.group(1))
    if reg is not None and f"R{reg}" in k.registers:
        regs[f"R{reg}"] = k.registers[f"R{reg}"]
    steps = _text_chain(k, reg, lines) if reg is not None else []
    kind = kind_of(cls, steps, language=lang)
    from ..verifier.report import EXPLAIN

    if cls == "core_relocation":
        expl = ("clang marked this call as a CO-RE relocation that found no match in the running "
                "kernel's BTF (a field or type this kernel does not have); the kernel rejects it "
                "because the instruction is reachable.")
    tm = re.search(r"'([^']+)'", k.failing_line or "")
    if cls != "core_relocation":
        expl = EXPLAIN.get(cls, EXPLAIN["unsupported"])[0].format(
            reg=reg if reg is not None else "?", type=tm.group(1) if tm else "?", insn=k.insn,
            detail="")
    hints = hints_for(cls if k.message_key != "jumps_too_complex" else "too_many_jumps",
                      kind=kind, reg=reg, insn=k.insn)
    fail = Step(index if index is not None else (k.insn or 0), k.insn or 0, k.insn_text or "",
                "fail", "the kernel rejects this instruction", None, src)
    root = next((s for s in reversed(steps) if s.role in ("clobber", "lost")), None) or \
        next((s for s in reversed(steps) if s.role == "source"), None) or fail
    return Explanation(pname, False, 0, k.insn, index, k.insn_text, k.message, k.message_key, cls,
                       kind, expl, lang, hints, src, regs, steps, root, log=k.log)


__all__ = ["explain_log"]
