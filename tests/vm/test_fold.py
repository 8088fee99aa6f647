"""pybpf.vm.fold: a block's folded statements compute what its one-per-instruction
statements computed, in a straight run and over a counted loop's rounds (with the values
it computes once after the loop); the benchmark loops fold as intended."""
from __future__ import annotations

import random

import pytest

from pybpf.asm import assemble
from pybpf.isa import AluOp, Class, Insn, Source
from pybpf.vm import VM, alu
from pybpf.vm.blocks import COUNTS, _alu_lines, countdown
from pybpf.vm.fold import fold, pure
from pybpf.vm.samples import MEM, PROGRAMS

from .test_fused import both, outcome
from .test_fused_calls import blocks_source

_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH,
        AluOp.RSH, AluOp.NEG, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH]
_IMMS = [0, 1, 3, 7, 31, 32, 63, -1, -8, 0x7FFFFFFF, -0x80000000]
_VALUES = [0, 1, 5, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32, (1 << 63) + 7, alu.M64]


def _lines(rng: random.Random, n: int, regs: int) -> list[str]:
    """``n`` random ALU statements over r0..r{regs-1} (some unmasked 64-bit adds, as the
    loops whose ranges are known write them)."""
    out = []
    for _ in range(n):
        d, s = rng.randrange(regs), rng.randrange(regs)
        if rng.random() < 0.1:
            out.append(f"r{d} = r{d} + r{s} & {alu.M64}")  # an exact line's shape
            continue
        op = rng.choice(_OPS)
        cls = rng.choice([Class.ALU, Class.ALU64])
        src = rng.choice([Source.K, Source.X])
        insn = Insn(cls | op | src, dst=d, src=s if src == Source.X else 0,
                    imm=rng.choice(_IMMS) if src == Source.K else 0,
                    off=rng.choice([0, 0, 1]) if op in (AluOp.DIV, AluOp.MOD) else 0)
        lines = _alu_lines(insn)
        assert lines is not None
        out += lines
    return out


def _run(lines: list[str], regs: dict[str, int], rounds: int = 1,
         exits: list[str] | None = None) -> dict[str, int]:
    src = "def f(" + ", ".join(regs) + "):\n"
    src += f"  for _ in range({rounds}):\n" + "".join(f"    {ln}\n" for ln in lines or ["pass"])
    src += "".join(f"  {ln}\n" for ln in exits or [])
    src += "  return {" + ", ".join(f"'{r}': {r}" for r in regs) + "}\n"
    ns = dict(alu.NAMESPACE)
    exec(src, ns)  # noqa: S102 - the test's own statements
    return ns["f"](**regs)


@pytest.mark.parametrize("seed", range(300))
def test_folded_runs_compute_the_same_registers(seed):
    rng = random.Random(seed)
    lines = _lines(rng, rng.randrange(1, 14), rng.randrange(1, 5))
    folded, exits = fold(lines)
    assert exits == [] and len(folded) <= len(lines)
    for _ in range(4):
        regs = {f"r{r}": rng.choice(_VALUES) for r in range(5)}
        assert _run(folded, regs) == _run(lines, regs), (lines, folded)


@pytest.mark.parametrize("seed", range(300))
def test_folded_loop_bodies_with_values_computed_after_the_loop(seed):
    """``defer``: registers written before they are read in a round may be computed only
    after the last round; every register ends as the unfolded rounds leave it."""
    rng = random.Random(1000 + seed)
    lines = _lines(rng, rng.randrange(1, 12), rng.randrange(2, 6))
    folded, exits = fold(lines, defer=True)
    for rounds in (1, 3):
        regs = {f"r{r}": rng.choice(_VALUES) for r in range(6)}
        assert _run(folded, regs, rounds, exits) == _run(lines, regs, rounds), (lines, folded,
                                                                                  exits)


def test_only_pure_assignments_fold():
    assert pure("r1 = (r1 + 0xFF) & M64") == (1, "(r1 + 0xFF) & M64")
    for line in ("r3 = U4(d5, o5)[0]", "a = (r1 + 0) & M64; o = a - c3[0]", "p = 4",
                 "r1 = r2; r3 = r4", "if r2 != 0:", "r1 = mem.load(r2, 8)"):
        assert pure(line) is None, line
    # a barrier keeps every register's value as the statements before it left it
    folded, _ = fold(["r1 = r2", "r1 = r1 * 3", "P8(d4, o4, r1)", "r1 = r1 + 1"])
    assert folded == ["r1 = r2 * 3", "P8(d4, o4, r1)", "r1 = r1 + 1"]


def test_a_value_is_not_moved_past_a_write_of_a_register_it_reads():
    folded, _ = fold(["r1 = r2 + 1", "r2 = 5", "r3 = r1 * 2"])
    assert _run(folded, {"r1": 0, "r2": 10, "r3": 0}) == {"r1": 11, "r2": 5, "r3": 22}


def test_the_alu_loop_body_is_two_statements_and_its_r3_is_computed_after_the_loop():
    src = blocks_source(PROGRAMS["alu_loop"])
    body = src.split("for r2 in (", 1)[1].split("r2 -= 1", 1)[0]
    assert body.count("\n        ") == 2 and "\n      r3 = " in body
    a, b = both(PROGRAMS["alu_loop"], mem=MEM)
    assert a == b


def test_countdown_counts_down_to_one():
    assert list(countdown(1)) == [1]
    assert list(countdown(COUNTS - 1))[:2] == [COUNTS - 1, COUNTS - 2]
    assert sum(1 for _ in countdown(COUNTS - 1)) == COUNTS - 1
    # a counted loop longer than the shared list, or stopped short by the instruction
    # limit, counts on a range: the same results
    long = assemble("r0 = 0\nr2 = 70000\nr0 += r2\nr0 &= 0xffff\nr2 -= 1\nif r2 != 0 goto -4\n"
                    "exit")
    assert VM().run(long).r0 == VM(fuse=False).run(long).r0
    for limit in (1000, 5003, 160002):
        fused = VM(max_insns=limit)
        fused.machine.hot = 0
        assert outcome(fused, PROGRAMS["alu_loop"]) == \
            outcome(VM(max_insns=limit, fuse=False), PROGRAMS["alu_loop"])
