"""The long-text reader of the LLVM syntax (`pybpf.asm.llvm.lines.read_long`: distinct lines
once through the fast path, the rest in order) gives what line-by-line reading gives:
instructions, labels, refs (in the text's order), source lines, and the same first error."""

from __future__ import annotations

import pytest

from pybpf.asm.llvm import parser as llvm_parse
from pybpf.errors import AsmError

_FILL = ["r0 = 1", "\tr1 += r2", "  w3 = 7", "exit", "if r1 > r2 goto +0", "goto +0"] * 50

CASES = {
    "labels and jumps": ["L1:", "\tif r1 > r2 goto L2", "goto L1", "L2: r0 = 0", "exit"],
    "unknown label": ["  if r1 > r2 goto nowhere", "exit"],
    "unknown label after a good one": ["L1:", "goto L1", "\tgoto   nowhere  ", "exit"],
    "numeric jump out": ["\t if r1 > 3 goto +500", "exit"],
    "numeric jump back out": ["goto -1000", "exit"],
    "label past the end": ["goto end", "exit", "end:"],
    "gotol to a label": ["gotol far", "far: exit"],
    "into an lddw": ["goto +1", "r1 = 0x1122334455667788 ll", "exit"],
    "names of every kind": ["call f", "goto out", ".map m array key=4 value=8 max_entries=1",
                            "r1 = m ll", "if r1 == 0 goto out", "out: exit", "f: r0 = 0",
                            "exit"],
    "first error by line": ["goto nowhere1", "call nowhere_helper_x", "goto nowhere2", "exit"],
    "first error by line (slow first)": ["r1 = nomap ll", "goto nowhere1", "exit"],
    "repeated slow lines": ["callx r3"] * 5 + ["r0 = 1 # c"] * 3 + ["exit"],
    "numeric jumps mixed": ["if r1 > r2 goto +1", "l: if r1 > r2 goto +900", "exit"],
    "parse error": ["r0 = 1", "r0 =", "exit"],
    "label twice": ["a:", "a:", "exit"],
}


def _read(text: str) -> object:
    try:
        p = llvm_parse.parse(text, "t.s")
    except AsmError as e:
        return ("error", str(e), e.line, e.column)
    return (p.insns, p.labels, list(p.refs.items()), p.maps, p.lines)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("where", ["after", "before", "twice"])
def test_long_reader_reads_as_line_by_line(monkeypatch: pytest.MonkeyPatch, name: str,
                                           where: str) -> None:
    case = CASES[name]
    rows = {"after": _FILL + case, "before": case + _FILL,
            "twice": _FILL + case + _FILL + [r.replace(":", "x:") for r in case]}[where]
    text = "\n".join(rows)
    assert text.count("\n") >= llvm_parse._FAST_FROM_LINES  # the long reader
    long = _read(text)
    monkeypatch.setattr(llvm_parse, "_FAST_FROM_LINES", 1 << 30)  # line by line
    monkeypatch.setattr(llvm_parse, "_CACHE", {})
    assert long == _read(text)


def test_far_label_jump_needs_gotol() -> None:
    text = "\n".join(["goto far"] + ["r0 = 1"] * 40000 + ["far: exit"])
    with pytest.raises(AsmError, match=r"t.s:1:6: jump to 'far' is 40000 slots away"):
        llvm_parse.parse(text, "t.s")
