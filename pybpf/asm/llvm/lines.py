"""The lines of an LLVM-syntax text read into instructions, in the order written.

Two readers with one result (`Read`); `pybpf.asm.llvm.parser.parse` picks one by length:

- `read_short` (a probe's few lines): line by line, each through the statement parser
  (`_Parser.line`) unless the same text was read before (a memory shared by all short
  programs);
- `read_long` (from a few hundred lines on): each *distinct* line once through the fast
  path (`pybpf.asm.llvm.fast`), then every line's instruction looked up at once; only the
  lines the fast path left (labels, directives, comments, symbolic operands, errors) go
  through the statement parser, in order, so errors and label places are those of a
  line-by-line reading.

Both leave ``ProgramSpec.lines`` to be built on first use (`pybpf.asm.source.lines_of`):
a line the fast path (or the memory) read holds one instruction from its first non-blank
character on, so only the other lines are written down.

>>> from pybpf.asm.llvm.parser import parse
>>> p = parse("start: r0 = 1\\n  exit")
>>> p.lines[1]
SourceLine(filename=None, line=2, column=3, text='  exit')
"""

from __future__ import annotations

from itertools import compress
from operator import itemgetter

from ...isa.insn import Insn
from ...isa.program import SourceLine
from ..source import lines_of

__all__ = ["Read", "lines_of", "read_long", "read_short"]  # (lines_of: the parser's import)

TYPE_CHECKING = False  # (not typing's: the assembler is on `pybpf asm`'s start-up path)
if TYPE_CHECKING:
    from .parser import _Parser

#: (Insn, column, has a numeric target, label target or None, the label's column)
Hit = tuple[Insn, int, bool, "str | None", int]
#: at most this many lines are remembered (`read_short`'s shared memory)
MEMORY_MAX = 1 << 16


class Read:
    """What reading the lines found besides instructions, labels and ``pending`` (those go
    on the parser's program): ``jumps``, the label jumps of the fast path as two lists
    (instruction indexes, label names: see `pybpf.asm.llvm.symbols.resolve_names`);
    ``numeric``, (index, line, column) of each numeric jump (line 0: its place is the one
    ``ProgramSpec.lines`` gives); the numbers of the lines not read by the fast path
    (``slow``) and the SourceLine of each instruction they hold (``slow_lines``)."""

    __slots__ = ("jumps", "numeric", "slow", "slow_lines")

    def __init__(self, jumps: tuple[list[int], list[str]], numeric: list[tuple[int, int, int]],
                 slow: list[int], slow_lines: dict[int, SourceLine]) -> None:
        self.jumps, self.numeric, self.slow, self.slow_lines = jumps, numeric, slow, slow_lines


def read_short(ps: _Parser, rows: list[str], memory: dict[str, Hit]) -> Read:
    """Line by line: the statement parser, or ``memory`` for a line read before."""
    insns = ps.prog.insns
    append = insns.append
    pending = ps.pending
    numeric: list[tuple[int, int, int]] = []
    slow: list[int] = []
    slow_lines: dict[int, SourceLine] = {}
    filename = ps.filename
    get = memory.get
    for lineno, raw in enumerate(rows, 1):
        hit = get(raw)
        if hit is not None:
            insn, col, num, name, ncol = hit
            if num:
                numeric.append((len(insns), lineno, col))
            elif name is not None:
                pending.append((len(insns), name, "jump", lineno, ncol, 0))
            append(insn)
            continue
        slow.append(lineno)
        idx = len(insns)
        got = ps.line(raw, lineno, idx)
        if got is None:
            continue
        insn, col, num, cacheable = got
        append(insn)
        slow_lines[idx] = SourceLine(filename, lineno, col, raw)
        if num:
            numeric.append((idx, lineno, col))
        if cacheable:
            if len(memory) >= MEMORY_MAX:
                memory.clear()
            memory[raw] = (insn, col, num, None, 0)
    return Read(([], []), numeric, slow, slow_lines)


def read_long(ps: _Parser, rows: list[str], memory: dict[str, Hit]) -> Read:
    """Each distinct line once through the fast path, then the rest in order (see the
    module). ``memory`` (the short programs') is not used: this text's lines would flood it."""
    from .fast import fast_insn

    # every distinct line's fast reading (None: the statement parser's), once
    distinct = dict.fromkeys(rows)
    found: dict[str, Hit | None] = dict(zip(distinct, map(fast_insn, distinct), strict=True))
    del distinct
    res: list[Hit | tuple[Insn, int, bool, None, int] | None] = list(itemgetter(*rows)(found)) \
        if len(rows) > 1 else [found[raw] for raw in rows]
    del found
    # the other lines in order; the index of a line's instruction is the count of lines
    # before it, less those without an instruction
    numeric: list[tuple[int, int, int]] = []
    slow: list[int] = []
    slow_lines: dict[int, SourceLine] = {}
    filename = ps.filename
    same: dict[str, tuple[Insn, int, bool]] = {}  # a line the statement parser read alone
    empty = 0  # lines so far without an instruction
    i = -1
    index = res.index
    while True:
        try:
            i = index(None, i + 1)
        except ValueError:
            break
        raw = rows[i]
        lineno = i + 1
        idx = i - empty
        slow.append(lineno)
        known = same.get(raw)
        if known is not None:
            insn, col, num = known
        else:
            got = ps.line(raw, lineno, idx)
            if got is None:
                empty += 1
                continue
            insn, col, num, cacheable = got
            if cacheable:
                same[raw] = (insn, col, num)
        res[i] = (insn, col, False, None, 0)  # (its jump target, if any, is in pending)
        slow_lines[idx] = SourceLine(filename, lineno, col, raw)
        if num:
            numeric.append((idx, lineno, col))
    # one per instruction, in order, as five columns
    taken = list(filter(None, res))
    del res
    insns = ps.prog.insns
    if not taken:
        return Read(([], []), numeric, slow, slow_lines)
    column, _, nums, names, _ = zip(*taken, strict=True)
    del taken
    insns[:] = column
    n = len(insns)
    jumps = (list(compress(range(n), names)), list(filter(None, names)))
    if any(nums):
        numeric += [(k, 0, 0) for k in compress(range(n), nums)]
        numeric.sort(key=itemgetter(0))
    return Read(jumps, numeric, slow, slow_lines)
