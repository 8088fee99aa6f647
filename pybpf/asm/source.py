"""Where an assembler's instructions were written: ``ProgramSpec.lines`` made on first use.

The assemblers read most lines from a memory of lines read before, and such a line holds
one instruction from its first non-blank character on; they write down only the other
lines (their numbers, and the `SourceLine` of each instruction they hold), and
`lines_of` makes the whole table when something asks where an instruction came from
(an error, a verifier message, BTF line info; ``pybpf asm -o`` never does).

>>> rows = ["start:", "  r0 = 1", "exit"]
>>> lines_of("t.s", rows, [1], {})[0]
SourceLine(filename='t.s', line=2, column=3, text='  r0 = 1')
"""

from __future__ import annotations

from ..isa.program import SourceLine

_new = tuple.__new__


def lines_of(filename: str | None, rows: list[str], slow: list[int],
             slow_lines: dict[int, SourceLine]) -> dict[int, SourceLine]:
    """``ProgramSpec.lines`` of a text read as ``rows``: each line but the ``slow`` ones
    (numbers) holds one instruction, written from its first non-blank character on;
    ``slow_lines`` has the SourceLine of each instruction a slow line holds."""
    out: dict[int, SourceLine] = {}
    skip = set(slow)
    idx = 0
    for lineno, raw in enumerate(rows, 1):
        if lineno in skip:
            found = slow_lines.get(idx)
            if found is not None and found.line == lineno:
                out[idx] = found
                idx += 1
            continue
        out[idx] = _new(SourceLine, (filename, lineno, len(raw) - len(raw.lstrip()) + 1, raw))
        idx += 1
    return out
