"""Recording which instructions and branches of eBPF programs ran, and mapping them to lines.

A `Coverage` is handed to the VM (``VM(coverage=cov)``, or by the pytest plugin to every
program of a session). For each program the VM adds to two sets: the slots it executed
and the ``(slot, next slot)`` arcs it followed. `Coverage.files` turns them into source
lines: every instruction belongs to the line its program's line map names (the DSL's
Python lines, the assembler's lines, a C object's BTF line info, where an instruction
without a record of its own belongs to the nearest record before it), a line is
*executable* when an instruction belongs to it and *executed* when one of them ran, and
each conditional jump (and ``may_goto``) is a branch with two outcomes, taken and not.

>>> from pybpf.asm import assemble
>>> from pybpf.vm import VM
>>> prog = assemble("r0 = 1\\nif r1 == 0 goto +1\\nr0 = 2\\nexit", filename="t.s")
>>> cov = Coverage()
>>> _ = VM(coverage=cov).run(prog)          # r1 = 0: the jump is taken
>>> f = cov.files()["t.s"]
>>> sorted(f.executed), sorted(f.missing), f.branches, f.branches_taken
([1, 2, 4], [3], 2, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..isa import LDDW, Class, JmpOp, ProgramSpec
from ..isa.opcodes import CLASS_MASK, CONDITIONAL_JUMPS, OP_MASK


@dataclass
class Branch:
    """A conditional jump: its line, the lines of its two targets, which outcomes ran."""

    line: int
    taken_line: int | None
    fallthrough_line: int | None
    taken: bool = False
    not_taken: bool = False


@dataclass
class FileCoverage:
    """One source file's lines: ``lines`` executable, ``executed`` those that ran, and
    its ``branch_list`` (merged over every program whose code came from this file)."""

    filename: str
    lines: set[int] = field(default_factory=set)
    executed: set[int] = field(default_factory=set)
    branch_list: list[Branch] = field(default_factory=list)
    texts: dict[int, str] = field(default_factory=dict)

    @property
    def missing(self) -> set[int]:
        return self.lines - self.executed

    @property
    def branches(self) -> int:
        """Branch outcomes (two per conditional jump)."""
        return 2 * len(self.branch_list)

    @property
    def branches_taken(self) -> int:
        return sum(b.taken + b.not_taken for b in self.branch_list)

    def partial_lines(self) -> set[int]:
        """Lines holding a branch with an outcome that never happened (only where the
        line itself ran, as coverage.py counts them)."""
        return {b.line for b in self.branch_list
                if b.line in self.executed and not (b.taken and b.not_taken)}

    def missing_arcs(self) -> list[tuple[int, int | None]]:
        """``(line, target line)`` of each outcome that never happened on an executed line."""
        out = []
        for b in self.branch_list:
            if b.line not in self.executed:
                continue
            if not b.taken:
                out.append((b.line, b.taken_line))
            if not b.not_taken:
                out.append((b.line, b.fallthrough_line))
        return sorted(set(out), key=lambda a: (a[0], a[1] or 0))

    @property
    def percent(self) -> float:
        """coverage.py's figure: (executed lines + outcomes seen) / (lines + outcomes)."""
        total = len(self.lines) + self.branches
        return 100.0 * (len(self.executed) + self.branches_taken) / total if total else 100.0


class Coverage:
    """Executed slots and arcs per program, for the VM to fill (see the module docstring)."""

    def __init__(self) -> None:
        self._programs: dict[int, tuple[ProgramSpec, set[int], set[tuple[int, int]]]] = {}

    def sets(self, program: ProgramSpec) -> tuple[set[int], set[tuple[int, int]]]:
        """The (executed slots, arcs) sets of ``program``, created on first use."""
        entry = self._programs.get(id(program))
        if entry is None or entry[0] is not program:
            entry = (program, set(), set())
            self._programs[id(program)] = entry
        return entry[1], entry[2]

    def programs(self) -> list[tuple[ProgramSpec, set[int], set[tuple[int, int]]]]:
        return list(self._programs.values())

    def clear(self) -> None:
        for _p, hits, arcs in self._programs.values():
            hits.clear()
            arcs.clear()

    def add_program(self, program: ProgramSpec) -> None:
        """Count ``program``'s lines even if no test runs it (0% then)."""
        self.sets(program)

    def files(self) -> dict[str, FileCoverage]:
        """Coverage by source file, merged over every program (see the module docstring)."""
        out: dict[str, FileCoverage] = {}
        for program, hits, arcs in self._programs.values():
            _program_files(program, hits, arcs, out)
        return out


def _line_of_slots(program: ProgramSpec) -> tuple[list[tuple[str, int] | None], list[int]]:
    """For each instruction index: (file, line) or None; and the slot of each index."""
    where: list[tuple[str, int] | None] = []
    current: tuple[str, int] | None = None
    fallback = f"<{program.name or 'program'}>"
    for i in range(len(program.insns)):
        ln = program.lines.get(i)
        if ln is not None:
            current = (ln.filename or fallback, ln.line)
        where.append(current)
    return where, program.slot_offsets()


def _program_files(program: ProgramSpec, hits: set[int], arcs: set[tuple[int, int]],
                   out: dict[str, FileCoverage]) -> None:
    where, slots = _line_of_slots(program)
    insns = program.resolve()
    slot_to_index = {s: i for i, s in enumerate(slots[:-1])}

    def line_at_slot(slot: int) -> int | None:
        i = slot_to_index.get(slot)
        w = where[i] if i is not None else None
        return w[1] if w is not None else None

    texts = {}
    for ln in program.lines.values():
        if ln.text:
            texts[(ln.filename or f"<{program.name or 'program'}>", ln.line)] = ln.text
    for i, insn in enumerate(insns):
        w = where[i]
        if w is None:
            continue
        fname, line = w
        fc = out.get(fname)
        if fc is None:
            fc = out[fname] = FileCoverage(fname)
        fc.lines.add(line)
        if (fname, line) in texts:
            fc.texts[line] = texts[(fname, line)].strip()
        slot = slots[i]
        if slot in hits:
            fc.executed.add(line)
        cls = insn.opcode & CLASS_MASK
        op = insn.opcode & OP_MASK
        conditional = cls in (Class.JMP, Class.JMP32) and insn.opcode != LDDW and (
            op in CONDITIONAL_JUMPS or (cls == Class.JMP and op == JmpOp.JCOND))
        if conditional:
            target = slot + 1 + insn.off
            b = Branch(line, line_at_slot(target), line_at_slot(slot + 1),
                       (slot, target) in arcs, (slot, slot + 1) in arcs)
            _merge_branch(fc, b, slot)


def _merge_branch(fc: FileCoverage, b: Branch, slot: int) -> None:
    # the same source compiled into several programs: one branch per (line, targets)
    for old in fc.branch_list:
        if (old.line, old.taken_line, old.fallthrough_line) == (b.line, b.taken_line,
                                                                  b.fallthrough_line):
            old.taken |= b.taken
            old.not_taken |= b.not_taken
            return
    fc.branch_list.append(b)


def merge(into: dict[str, FileCoverage], more: dict[str, Any]) -> None:
    """Add ``more``'s lines and branches to ``into`` (both from `Coverage.files`)."""
    for name, f in more.items():
        dst = into.setdefault(name, FileCoverage(name))
        dst.lines |= f.lines
        dst.executed |= f.executed
        dst.texts.update(f.texts)
        for b in f.branch_list:
            _merge_branch(dst, Branch(b.line, b.taken_line, b.fallthrough_line, b.taken,
                                      b.not_taken), 0)
