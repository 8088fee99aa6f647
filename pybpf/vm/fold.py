"""Fold a fused block's straight runs of register assignments into fewer Python statements.

A fused block (`pybpf.vm.blocks`) writes one statement per instruction, ``r3 = r0``
then ``r3 = r3 * 7``: every intermediate value is stored into and loaded back from a
local. On CPython that bookkeeping is a good share of a tight loop's time besides the
arithmetic itself. `fold` rewrites each maximal run of *pure* assignments (``rX = <an
expression over registers, numbers and the pure names of pybpf.vm.alu>``: no memory, no
call that can fault) as a dataflow graph of values:

- a value read once, later in the same run, is written into its reader's expression
  instead of a local (``r3 = r0 * 7``), unless a register it reads is assigned in
  between;
- a value read more than once is kept in a temporary ``x<n>``, each register's last
  value in the run in the register itself, so the run ends with every register as the
  original statements left it; a value nobody reads is not computed;
- in a counted loop's body that cannot fault (``defer``), the last run's final value of
  a register the next round does not read (it writes it before reading it) need not be
  kept in every round: when it can be computed from what the round leaves behind, it is
  computed once after the loop (``exit`` lines) instead.

Nothing is evaluated in a different order that could matter: the expressions are pure,
and each is evaluated at most once per round, where its last reader was.

>>> lines, ex = fold(["r3 = r0", "r3 = r3 * 7", "r0 = r0 + r2", "r0 = r0 ^ r3",
...                   "r3 = r3 >> 3", "r0 = (r0 + r3) & M32"], defer=True)
>>> lines
['x0 = r0 * 7', 'r0 = (((r0 + r2) ^ x0) + (x0 >> 3)) & M32']
>>> ex
['r3 = x0 >> 3']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import alu

#: registers: r0..r10, and from r16 on the memory cells of a promoted loop
#: (`pybpf.vm.cells`), which fold like registers
_ASSIGN = re.compile(r"r([0-9]+) = (.+)\Z")
_NAME = re.compile(r"\b[A-Za-z_]\w*")
_REG = re.compile(r"\br([0-9]+)\b")
#: names a pure expression may use besides registers
_PURE = frozenset(alu.NAMESPACE) | {"if", "else", "and", "or", "not"}


def pure(line: str) -> tuple[int, str] | None:
    """(register, expression) of a top-level assignment whose expression is pure, else None.

    >>> pure("r1 = (r1 + 5) & M64"), pure("r1 = U4(d3, o3)[0]")
    ((1, '(r1 + 5) & M64'), None)
    """
    m = _ASSIGN.match(line)
    if m is None or ";" in line:
        return None
    expr = m.group(2)
    for name in _NAME.findall(expr):
        if name not in _PURE and _REG.fullmatch(name) is None:
            return None
    return int(m.group(1)), expr


@dataclass
class _Value:
    """One assignment of a run: its register, its expression's parts (text between
    register reads, and each read as the value it refers to)."""

    reg: int
    parts: list[str | int]  # str: literal text; int >= 0: a value; int < 0: -1 - input reg
    uses: int = 0
    final: bool = False
    inline: bool = False
    name: str = ""
    text: str = ""
    leaves: set[int] = field(default_factory=set)  # input registers its text reads


def _run(lines: list[tuple[int, str]], temps: list[int], defer: frozenset[int],
         ) -> tuple[list[str], list[str]]:
    """One run's statements, and its exit lines for the registers in ``defer``."""
    vals: list[_Value] = []
    cur: dict[int, int] = {}  # register -> its current value's index
    for reg, expr in lines:
        parts: list[str | int] = []
        at = 0
        for m in _REG.finditer(expr):
            parts.append(expr[at:m.start()])
            r = int(m.group(1))
            ref = cur.get(r, -1 - r)
            if ref >= 0:
                vals[ref].uses += 1
            parts.append(ref)
            at = m.end()
        parts.append(expr[at:])
        cur[reg] = len(vals)
        vals.append(_Value(reg, parts))
    for j in cur.values():
        vals[j].final = True
    # where each register is assigned for the last time (its local holds the final value
    # from there on)
    last = {vals[i].reg: i for i in cur.values()}
    written = set(cur)
    out: list[str] = []
    exits: list[str] = []

    def render(i: int) -> tuple[str, set[int]]:
        """Value ``i``'s expression over the run's inputs, temporaries and inlined values,
        and the input registers that text reads."""
        text, leaves = [], set()
        for part in vals[i].parts:
            if isinstance(part, str):
                text.append(part)
            elif part < 0:
                text.append(f"r{-1 - part}")
                leaves.add(-1 - part)
            else:
                v = vals[part]
                if v.inline:
                    text.append(v.text if v.text.isalnum() else f"({v.text})")
                    leaves |= v.leaves
                else:
                    text.append(v.name)
        return "".join(text), leaves

    # decide, in order: a value read once is inlined at its reader unless an input
    # register its text reads gets its final assignment in between (its local changes)
    readers: dict[int, int] = {}
    for i, reader in enumerate(vals):
        for part in reader.parts:
            if isinstance(part, int) and part >= 0:
                readers[part] = i
    for i, v in enumerate(vals):
        v.text, v.leaves = render(i)
        deferred = v.final and v.reg in defer
        if v.uses == 0 and not v.final:
            continue  # dead: overwritten before anything reads it
        if v.uses == 1 and (not v.final or deferred):
            k = readers[i]
            if not any(i < last[r] < k for r in v.leaves if r in last):
                v.inline = True
        if deferred and (v.inline or v.uses == 0) and not (v.leaves & written):
            # computable after the loop from what the last round leaves in the locals
            exits.append(f"r{v.reg} = {v.text}")
            continue
        if v.inline:
            if deferred:  # read inline, but its register still needs the value
                v.inline = False
            else:
                continue
        if v.final:
            v.name = f"r{v.reg}"
        else:
            v.name = f"x{len(temps)}"
            temps.append(i)
        out.append(f"{v.name} = {v.text}")
    return out, exits


def _reads_first(lines: list[str]) -> set[int]:
    """Registers some line reads before any top-level assignment in ``lines`` wrote them
    (conservatively: an indented line or a non-assignment reads every register it names)."""
    seen: set[int] = set()
    first: set[int] = set()
    for ln in lines:
        m = _ASSIGN.match(ln)
        rhs = m.group(2) if m is not None and ";" not in ln else ln
        first |= {int(r) for r in _REG.findall(rhs)} - seen
        if m is not None and ";" not in ln:
            seen.add(int(m.group(1)))
    return first


def fold(lines: list[str], *, defer: bool = False) -> tuple[list[str], list[str]]:
    """``lines`` with their runs of pure assignments folded (see the module docstring),
    and the lines to run once after the loop when ``defer`` (``lines`` is the whole body
    of a counted loop, none of which can fault)."""
    reads = _reads_first(lines) if defer else set()
    out: list[str] = []
    exits: list[str] = []
    temps: list[int] = []
    run: list[tuple[int, str]] = []

    def flush(at_end: bool) -> None:
        if run:
            dset = frozenset(r for r, _expr in run if defer and at_end and r not in reads)
            body, ex = _run(run, temps, dset)
            out.extend(body)
            exits.extend(ex)
            run.clear()

    for ln in lines:
        p = pure(ln)
        if p is not None:
            run.append(p)
            continue
        flush(False)
        out.append(ln)
    flush(True)
    return out, exits
