"""Short plain programs read without a regex: what `pybpf.asm.llvm.parser.parse` makes of
them, or None.

Importing `re` and compiling the parser's patterns cost more than the rest of a small
program's start-up (the tracepoint counter of benchmarks/startup.py: about a third of its
instructions). A text of fewer than 200 lines (longer ones take the parser's fast path)
whose every line is one of these is read here, word by word:

- an instruction of the word shapes of `pybpf.asm.llvm.fast` (ALU, moves, jumps to a
  label or an offset, ``call N``, ``exit``...);
- ``call NAME`` (a helper, or a function of the text), ``rD = NAME ll`` (a map),
  ``*(uN *)(rD + OFF) = rS`` and ``lock *(uN *)(rD + OFF) OP= rS`` spelled as
  ``llvm-objdump`` prints them (decimal offsets);
- a label alone on its line (``out:``), ``.map NAME TYPE key=N value=N max_entries=N``
  (decimal numbers), or a blank line.

Anything else (a comment, another spelling, any error) returns None and the parser reads
the whole text, so the answer, errors included, is always the parser's: tests check that
both give the same `ProgramSpec` for every text this module accepts.

>>> parse_plain("r0 = 0\\nexit").insns[1]
Insn(opcode=0x95, dst=0, src=0, off=0, imm=0)
>>> parse_plain("r0 = 0 # a comment\\nexit") is None
True
"""

from __future__ import annotations

from ...errors import AsmError
from ...isa.insn import Insn
from ...isa.mapspec import MapSpec
from ...isa.opcodes import LDDW, Class, JmpOp, Mode, PseudoSrc, Size
from ...isa.program import ProgramSpec, SourceLine
from .words import LOCK_OPS, REG_WORD, SIZES, by_words, is_name

__all__ = ["parse_plain"]

#: texts of this many lines or more are left to the parser (its fast path pays there)
MAX_LINES = 200

_SIZE = {"*(u" + bits: size for bits, size in SIZES.items()}  # the word "*(u32"...
_ATOMIC = {op + "=": atomic for op, atomic in LOCK_OPS.items()}  # the word "+="...
_MAP_FIELDS = {"key": "key_size", "key_size": "key_size", "value": "value_size",
               "value_size": "value_size", "max_entries": "max_entries", "flags": "flags"}
_CALL = Insn(Class.JMP | JmpOp.CALL)


def _decimal(word: str) -> int | None:
    """A plain decimal number (no sign, no leading zero but "0"), else None."""
    if word.isascii() and word.isdigit() and (word[0] != "0" or word == "0"):
        return int(word)
    return None


def _mem(words: list[str]) -> tuple[int, int] | None:
    """(base register, offset) of ``*)(rB``, ``+``/``-``, ``OFF)``, else None."""
    base = REG_WORD.get(words[0][3:]) if words[0].startswith("*)(") else None
    if base is None or base[0] != "r" or words[1] not in ("+", "-") or words[2][-1:] != ")":
        return None
    off = _decimal(words[2][:-1])
    if off is None:
        return None
    off = -off if words[1] == "-" else off
    return (base[1], off) if -0x8000 <= off <= 0x7FFF else None


def _statement(w: list[str]) -> tuple[Insn, str | None, int] | None:
    """(instruction, "kind:name" of its symbol, the symbol's position in the statement)
    of the shapes the word tables of `pybpf.asm.llvm.fast` do not read, else None."""
    n = len(w)
    if n == 2 and w[0] == "call":  # call NAME: a helper or a function of the text
        if is_name(w[1]) and not (w[1].startswith("pc") and w[1][2:3] in ("+", "-")):
            return _CALL, "call:" + w[1], 5
        return None
    if n == 4 and w[1] == "=" and w[3] == "ll":  # rD = NAME ll
        d = REG_WORD.get(w[0])
        if d is None or d[0] != "r" or not is_name(w[2]):
            return None
        return Insn(LDDW, d[1], PseudoSrc.MAP_FD), "lddw:" + w[2], len(w[0]) + 3
    if n == 6 and w[4] == "=" and w[0] in _SIZE:  # *(uN *)(rD +/- OFF) = rS
        mem = _mem(w[1:4])
        s = REG_WORD.get(w[5])
        size = _SIZE[w[0]]
        if mem is None or s is None or (size == Size.DW and s[0] == "w"):
            return None
        return Insn(Class.STX | Mode.MEM | size, mem[0], s[1], mem[1]), None, 0
    if n == 7 and w[0] == "lock" and w[1] in ("*(u32", "*(u64") and w[5] in _ATOMIC:
        mem = _mem(w[2:5])  # lock *(uN *)(rD +/- OFF) OP= rS
        s = REG_WORD.get(w[6])
        size = _SIZE[w[1]]
        if mem is None or s is None or (size == Size.DW and s[0] == "w"):
            return None
        return (Insn(Class.STX | Mode.ATOMIC | size, mem[0], s[1], mem[1], _ATOMIC[w[5]]),
                None, 0)
    return None


def _map_decl(words: list[str], maps: dict[str, MapSpec]) -> MapSpec | None:
    """The `MapSpec` of ``.map NAME TYPE key=N ...`` (its words after ``.map``), else None."""
    if len(words) < 2 or not is_name(words[0]) or words[0] in maps:
        return None
    decl = MapSpec(words[0], words[1].lower())
    for part in words[2:]:
        key, eq, val = part.partition("=")
        if not eq or not val or not key.replace("_", "a").isalnum():
            return None
        if key == "inner":
            decl.inner = val
            continue
        field = _MAP_FIELDS.get(key)
        v = _decimal(val)
        if field is None or v is None or v > 0xFFFFFFFF:
            return None
        setattr(decl, field, v)
    from ...uapi.map_rules import field_problem  # what BPF_MAP_CREATE would refuse

    return decl if field_problem(decl, maps) is None else None


def parse_plain(text: str, filename: str | None = None, *, check_targets: bool = True
                ) -> ProgramSpec | None:
    """The `ProgramSpec` `pybpf.asm.llvm.parser.parse` makes of ``text`` when every line
    is plain (see the module), else None."""
    if text.count("\n") >= MAX_LINES:  # (counted, not split: 100k lines split in 7 ms)
        return None
    rows = text.split("\n")
    prog = ProgramSpec()
    insns, labels, lines, maps = prog.insns, prog.labels, prog.lines, prog.maps
    pending: list[tuple[int, str, str, int, int, int]] = []
    numeric: list[tuple[int, int, int]] = []
    for lineno, raw in enumerate(rows, 1):
        if "#" in raw or "/" in raw or ";" in raw:
            return None  # a comment (or a division): the parser's
        w = raw.split()
        if not w:
            continue
        first = w[0]
        if ":" in raw:  # a label alone on its line
            name = first[:-1]
            if len(w) != 1 or first[-1] != ":" or not is_name(name) or name in labels:
                return None
            labels[name] = len(insns)
            continue
        if first[0] == ".":
            decl = _map_decl(w[1:], maps) if first == ".map" else None
            if decl is None:
                return None
            maps[decl.name] = decl
            continue
        if first[0].isdigit() or first[0] == "(":
            return None  # a kernel log line
        found = by_words(raw, w)
        if found is None:
            return None
        if found is not False:
            insn, col, num, target, ncol = found
            if num:
                numeric.append((len(insns), lineno, col))
            elif target is not None:
                pending.append((len(insns), target, "jump", lineno, ncol, 0))
        else:
            shape = _statement(w)
            if shape is None or " ".join(w) != raw.strip():
                return None  # (another spacing: the parser's columns)
            insn, symbol, npos = shape
            col = len(raw) - len(raw.lstrip()) + 1
            if symbol is not None:
                kind, _, ident = symbol.partition(":")
                pending.append((len(insns), ident, kind, lineno, col + npos, 0))
        lines[len(insns)] = SourceLine(filename, lineno, col, raw)
        insns.append(insn)
    if pending or (check_targets and numeric):
        from .symbols import check_numeric, resolve_names, slot_offsets

        try:
            offsets = slot_offsets(insns)
            if pending:
                resolve_names(prog, pending, filename, offsets)
            if check_targets and numeric:
                check_numeric(prog, numeric, filename, offsets)
        except AsmError:
            return None  # the parser says it
    return prog
