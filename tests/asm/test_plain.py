"""pybpf.asm.llvm.plain (short plain texts read without a regex) gives what the parser gives,
or nothing: for every text it reads, the same `ProgramSpec`; for every text the parser
refuses, None."""
from __future__ import annotations

import random

import pytest

from pybpf.asm import assemble
from pybpf.asm.llvm.parser import parse
from pybpf.asm.llvm.plain import parse_plain
from pybpf.errors import AsmError

COUNTER = """
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = counts ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = 0
exit
.map counts array key=4 value=8 max_entries=1
"""

REGS = ("r0", "r1", "r9", "r10", "r11", "w0", "w3", "w10", "w11", "R1")
LINES = [
    *(f"{d} = {s}" for d in REGS for s in ("0", "-4", "r10", "w2", "0x10", "07", "1_0")),
    *(f"{d} {op}= {s}" for d in ("r2", "w2") for op in ("+", "-", "*", "|", "&", "<<", ">>", "s>>",
                                                      "^", "%") for s in ("-4", "r3", "w3", "4")),
    *(f"*(u{b} *)(r{r} {sg} {o}) = {s}" for b in (8, 16, 32, 64) for r in (10, 1, 11)
      for sg in ("-", "+") for o in ("4", "0", "32767", "32768", "04", "0x8")
      for s in ("r1", "w1", "r11", "5")),
    "*(u32 *)(r10 -4) = r1", "*(u32 *)(r10 - 4)= r1", "*(u32 *) (r10 - 4) = r1",
    "*(u32 *)(w10 - 4) = r1", "*(s32 *)(r10 - 4) = r1", "*(u32 *)(r10 * 4) = r1",
    *(f"lock *(u{b} *)(r{r} {sg} {o}) {op}= {s}" for b in (8, 16, 32, 64) for r in (0, 10)
      for sg in ("+", "-") for o in ("0", "8", "40000") for op in ("+", "-", "|", "&", "^")
      for s in ("r1", "w1", "r12")),
    "lock *(u64 *)(r0 + 0) +=r1", "lock  *(u64 *)(r0 + 0) += r1",
    *(f"{d} = {n} ll" for d in ("r1", "w1", "r10", "r11") for n in
      ("counts", "other", "12", "_x", "x.y", "$z", "map_value(counts)", "counts + 4", "9x",
       "btf_id(x)", "émile")),
    *(f"call {t}" for t in ("bpf_map_lookup_elem", "map_lookup_elem", "1", "-1", "bpf_nope",
                            "fn", "out", "pc+1", "pc-2", "kfunc(bpf_x)", "kfunc(5)",
                            "bpf_map_lookup_elem#1", "x y")),
    "call  bpf_map_lookup_elem", "callx r1", "goto out", "goto +1", "goto -1", "gotol out",
    "may_goto out", "if r0 == 0 goto out", "if r0 > r1 goto +0", "if w0 s< 5 goto out",
    "if r0 == 0 goto nowhere", "exit", " exit", "\texit", "exit\r", "r0 = 0\r",
    "out:", "fn:", ".Lx:", "out :", "1:", "out: r0 = 0", "x:y:", "9a:",
    ".map counts array key=4 value=8 max_entries=1",
    ".map other hash key=8 value=16 max_entries=64 flags=1",
    ".map counts array key=4 value=8 max_entries=1 inner=other",
    ".map counts array key=04 value=8 max_entries=1", ".map counts array key=0x4 value=8 max_entries=1",
    ".map counts array key=0 value=8 max_entries=1", ".map counts ARRAY key=4 value=8 max_entries=1",
    ".map counts array key=4 value=8 max_entries=1 bogus=3", ".map counts array key= value=8",
    ".map counts", ".map 9counts array key=4 value=8 max_entries=1", ".section xdp",
    ".license \"GPL\"", ".text", "r0 = 0 # note", "r0 = 0 // note", "r0 = 0 ; note", "r1 /= 2",
    "0: (b7) r0 = 0", "(b7) r0 = 0", "", "   ", "fn: r0 = 1", "r0 = 1",
]


def _same(text: str) -> None:
    try:
        want = parse(text)
    except (AsmError, KeyError):  # (KeyError: the parser's lock -=, a bug of its own)
        want = None
    got = parse_plain(text)
    if got is not None:
        assert want is not None, f"plain reader accepts what the parser refuses: {text!r}"
        assert got == want, text
    for check_targets in (False,):
        try:
            want2 = parse(text, check_targets=check_targets)
        except (AsmError, KeyError):
            want2 = None
        got2 = parse_plain(text, check_targets=check_targets)
        assert got2 is None or got2 == want2, text


def test_the_counter_is_read_plainly() -> None:
    prog = parse_plain(COUNTER)
    assert prog is not None and prog == parse(COUNTER) == assemble(COUNTER)


@pytest.mark.parametrize("line", LINES)
def test_each_line(line: str) -> None:
    for text in (line, line + "\nexit", "out:\n" + line + "\nexit\nfn:\nexit",
                 ".map counts array key=4 value=8 max_entries=1\n" + line + "\nout:\nexit",
                 "\t" + line + "\nout:\nr0 = 0\nexit"):
        _same(text)


def test_random_programs() -> None:
    rng = random.Random(20)
    plain = [line for line in LINES if parse_plain(line + "\nout:\nfn:\nexit") is not None]
    accepted = 0
    for _ in range(3000):
        rows = [rng.choice(plain if rng.random() < 0.9 else LINES)
                for _ in range(rng.randint(1, 9))]
        if rng.random() < 0.5:
            rows.insert(rng.randint(0, len(rows)), "fn:")
        if rng.random() < 0.7:
            rows.insert(rng.randint(0, len(rows)), "out:")
        if rng.random() < 0.5:
            rows.append(".map counts array key=4 value=8 max_entries=1")
        text = "\n".join(rows) + rng.choice(("", "\n", "\nexit\n"))
        _same(text)
        accepted += parse_plain(text) is not None
    assert accepted > 1000  # the generator makes plain texts too


def test_long_texts_go_to_the_parser() -> None:
    assert parse_plain("r0 = 0\n" * 250 + "exit") is None
