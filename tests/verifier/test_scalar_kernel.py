"""Precision of the scalar domain against the live kernel's own log (log_level 2).

Generated straight-line programs of scalar ALU operations and conditional jumps
(to a common exit) are loaded into the running kernel; for each instruction on
the first path the kernel explores, the state it prints for r6-r9 must be the
text pybpf computes for the same path. Register ids (linked scalars) and
precision marks are the engine's business, so they are stripped before comparing.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pybpf.isa import AluOp, Class, Endian, Insn, JmpOp, ProgramSpec, Source, helper_id
from pybpf.verifier.scalar import Scalar
from pybpf.verifier.scalar_alu import fork_minus_one_or_zero
from pybpf.verifier.scalar_branch import branch
from pybpf.verifier.tnum import U32, U64

REGS = (6, 7, 8, 9)
PRANDOM = helper_id("get_prandom_u32")
CALL = Class.JMP | JmpOp.CALL
EXIT = Class.JMP | JmpOp.EXIT
BINARY = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.MOD, AluOp.OR, AluOp.AND,
          AluOp.LSH, AluOp.RSH, AluOp.XOR, AluOp.ARSH]
JUMPS = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSGT,
         JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE, JmpOp.JSET]
IMMS = st.one_of(st.integers(-3, 300), st.sampled_from([0xFF, 0xF0, 0xFFFF, 0x7FFFFFFF, -0x80000000,
                                                         0x1000, -1, 0x80, 0x101, 0x8000]),
                 st.integers(-(1 << 31), (1 << 31) - 1))

# -- program generation ------------------------------------------------------


@st.composite
def ops(draw) -> list[tuple]:
    """A list of abstract operations (kind, ...) over r6-r9."""
    out: list[tuple] = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["alu", "alu", "alu", "jmp", "jmp", "neg", "end", "movsx",
                                     "mov32", "movk", "signmask"]))
        dst = draw(st.sampled_from(REGS))
        alu64 = draw(st.booleans())
        if kind == "alu":
            op = draw(st.sampled_from(BINARY))
            use_reg = draw(st.booleans())
            src = draw(st.sampled_from(REGS)) if use_reg else None
            imm = draw(IMMS)
            if op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH):
                imm &= 63 if alu64 else 31
            if op in (AluOp.DIV, AluOp.MOD) and imm == 0:
                imm = 7
            signed = op in (AluOp.DIV, AluOp.MOD) and draw(st.booleans())
            out.append(("alu", op, alu64, dst, src, imm, signed))
        elif kind == "jmp":
            op = draw(st.sampled_from(JUMPS))
            src = draw(st.sampled_from(REGS)) if draw(st.booleans()) else None
            out.append(("jmp", op, alu64, dst, src, draw(IMMS)))
        elif kind == "neg":
            out.append(("neg", alu64, dst))
        elif kind == "end":
            out.append(("end", draw(st.sampled_from(["le", "be", "bswap"])),
                        draw(st.sampled_from([16, 32, 64])), dst))
        elif kind == "movsx":
            bits = draw(st.sampled_from([8, 16, 32] if alu64 else [8, 16]))
            out.append(("movsx", alu64, bits, dst, draw(st.sampled_from(REGS))))
        elif kind == "mov32":
            out.append(("mov32", dst, draw(st.sampled_from(REGS))))
        elif kind == "signmask":  # a value in [-1, 0] (64-bit or in its low half)
            top = 63 if alu64 else 31
            out += [("alu", AluOp.LSH, alu64, dst, None, top, False),
                    ("alu", AluOp.ARSH, alu64, dst, None, top, False)]
        else:
            out.append(("movk", alu64, dst, draw(IMMS)))
    return out


def build(masks: list[int], body: list[tuple]) -> list[Insn]:
    """Encode: fresh unknowns masked into r6-r9, the body, then ``exit: r0 = 0; exit``."""
    insns: list[Insn] = []
    jumps: list[int] = []
    for r, m in zip(REGS, masks, strict=True):
        insns += [Insn(CALL, imm=PRANDOM), Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=r, src=0),
                  Insn(Class.ALU64 | AluOp.AND | Source.K, dst=r, imm=m)]
    unlink = Insn(Class.ALU64 | AluOp.XOR | Source.K, dst=0, imm=0)
    for o in body:
        k = o[0]
        if k == "alu":
            _, op, alu64, dst, src, imm, signed = o
            cls = Class.ALU64 if alu64 else Class.ALU
            off = 1 if signed else 0
            if src is None:
                insns.append(Insn(cls | op | Source.K, dst=dst, off=off, imm=imm))
            else:
                insns.append(Insn(cls | op | Source.X, dst=dst, src=src, off=off))
        elif k == "jmp":
            _, op, alu64, dst, src, imm = o
            cls = Class.JMP if alu64 else Class.JMP32
            jumps.append(len(insns))
            if src is None:
                insns.append(Insn(cls | op | Source.K, dst=dst, imm=imm))
            else:
                insns.append(Insn(cls | op | Source.X, dst=dst, src=src))
        elif k == "neg":
            _, alu64, dst = o
            insns.append(Insn((Class.ALU64 if alu64 else Class.ALU) | AluOp.NEG, dst=dst))
        elif k == "end":
            _, kind, bits, dst = o
            if kind == "bswap":
                insns.append(Insn(Class.ALU64 | AluOp.END | Endian.TO_LE, dst=dst, imm=bits))
            else:
                e = Endian.TO_BE if kind == "be" else Endian.TO_LE
                insns.append(Insn(Class.ALU | AluOp.END | e, dst=dst, imm=bits))
        elif k == "movsx":
            _, alu64, bits, dst, src = o
            insns.append(Insn((Class.ALU64 if alu64 else Class.ALU) | AluOp.MOV | Source.X,
                              dst=dst, src=src, off=bits))
            insns.append(unlink.replace(dst=dst))
        elif k == "mov32":
            _, dst, src = o
            insns.append(Insn(Class.ALU | AluOp.MOV | Source.X, dst=dst, src=src))
            insns.append(unlink.replace(dst=dst))
        else:
            _, alu64, dst, imm = o
            insns.append(Insn((Class.ALU64 if alu64 else Class.ALU) | AluOp.MOV | Source.K,
                              dst=dst, imm=imm))
    target = len(insns)
    for j in jumps:
        insns[j] = insns[j].replace(off=target - j - 1)
    insns += [Insn(Class.ALU64 | AluOp.MOV | Source.K, dst=0, imm=0), Insn(EXIT)]
    return insns


# -- pybpf's side: the states along the first (fall-through) path ------------

def simulate(insns: list[Insn]) -> dict[int, dict[int, Scalar]]:
    """Registers r6-r9 after each instruction of the path the kernel explores first."""
    regs: dict[int, Scalar] = {}
    after: dict[int, dict[int, Scalar]] = {}
    pc = 0
    while pc < len(insns):
        i = insns[pc]
        cls, op = i.opcode & 0x07, i.opcode & 0xF0
        x = bool(i.opcode & Source.X)
        if i.opcode == EXIT:
            break
        if i.opcode == CALL:
            regs[0] = Scalar.unknown()
        elif cls in (Class.ALU, Class.ALU64):
            alu64 = cls == Class.ALU64
            d = regs.get(i.dst, Scalar.unknown())
            if op == AluOp.MOV:
                if not x:
                    regs[i.dst] = Scalar.const(i.imm & (U64 if alu64 else U32))
                elif i.off:
                    regs[i.dst] = regs[i.src].movsx(i.off, alu64=alu64)
                else:
                    regs[i.dst] = regs[i.src] if alu64 else regs[i.src].mov32()
            elif op == AluOp.NEG:
                regs[i.dst] = d.neg(alu64=alu64)
            elif op == AluOp.END:
                regs[i.dst] = d.end(i.imm, to_be=x and not alu64, alu64=alu64)
            else:
                s = regs[i.src] if x else Scalar.const(i.imm & U64)
                if op in (AluOp.AND, AluOp.OR) and s.is_const:
                    # the kernel forks a [-1, 0] value; this path goes on with -1
                    split = fork_minus_one_or_zero(d)
                    if split is not None:
                        d = split[1]
                regs[i.dst] = d.alu(op, s, alu64=alu64, off=i.off)
        elif cls in (Class.JMP, Class.JMP32):
            s = regs[i.src] if x else Scalar.const(i.imm & U64)
            b = branch(regs[i.dst], s, op, cls == Class.JMP32, same_reg=x and i.src == i.dst)
            if b.taken == 1:
                after[pc] = dict(regs)
                pc += 1 + i.off
                continue
            regs[i.dst] = b.false[0]
            if x:
                regs[i.src] = b.false[1] if i.src != i.dst else b.false[0]
        after[pc] = dict(regs)
        pc += 1
    return after


# -- the kernel's side ---------------------------------------------------------

_LINE = re.compile(r"^(\d+): \([0-9a-f]{2}\) .*?; (.*)$")
_ID = re.compile(r"id=\d+(?:[+-]\d+)?,?")


def kernel_states(log: str) -> dict[int, dict[int, str]]:
    """Per instruction of the first path: register number -> printed state."""
    out: dict[int, dict[int, str]] = {}
    for line in log.splitlines():
        m = _LINE.match(line)
        if not m:
            if line.startswith("from "):
                break
            continue
        regs = {}
        for tok in m.group(2).replace("; ", ";").split():
            name, _, val = tok.partition("=")
            if name.startswith("R") and name[1:].isdigit():
                val = _ID.sub("", val).replace(",)", ")")
                regs[int(name[1:])] = val[1:] if val.startswith("P") else val
        out.setdefault(int(m.group(1)), regs)
    return out


def compare(insns: list[Insn]) -> list[str]:
    from pybpf.kernel.prog import LoadOptions, load

    with load(ProgramSpec(insns), "socket_filter", options=LoadOptions(log_level=2)) as p:
        log = p.log
    ours = simulate(insns)
    theirs = kernel_states(log)
    problems = []
    compared = 0
    for pc, regs in theirs.items():
        for r, text in regs.items():
            if r not in REGS or pc not in ours or r not in ours[pc]:
                continue
            mine = ours[pc][r].fmt().replace("; ", ";")
            compared += 1
            if mine != text:
                problems.append(f"insn {pc} R{r}: kernel {text} pybpf {mine}")
    assert compared >= 4, log  # at least the four masked inputs
    return problems


MASKS = st.lists(st.one_of(st.sampled_from([0xFF, 0xF0, 0x1FF, 0x101, -1, 0xFFFF, 0x7FFFFFFF, 3]),
                           st.integers(-(1 << 31), (1 << 31) - 1)), min_size=4, max_size=4)


@pytest.mark.kernel
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(masks=MASKS, body=ops())
@example(masks=[255, 255, 255, -2], body=[("movsx", True, 32, 6, 9)])  # a fresh machine's draw
def test_generated_programs_match_kernel_log(masks, body):
    insns = build(masks, body)
    problems = compare(insns)
    assert not problems, "\n".join(problems)


FIXED = {
    # (s32) of a value whose sign is unknown keeps the 32-bit bounds (and what follows)
    "movsx32 keeps the subregister": [("neg", True, 9), ("movsx", True, 32, 6, 9)],
    "movsx32 of a signed 32-bit range": [("jmp", JmpOp.JSGT, False, 9, None, 16),
                                         ("jmp", JmpOp.JSLT, False, 9, None, -5),
                                         ("movsx", True, 32, 6, 9)],
    "movsx32 of an unsigned 32-bit range": [("jmp", JmpOp.JGT, False, 9, None, 0x80000010),
                                            ("jmp", JmpOp.JLT, False, 9, None, 0x10),
                                            ("movsx", True, 32, 6, 9)],
    "neg64 of a masked value": [("neg", True, 6)],
    "neg32": [("neg", False, 7)],
    "bswap16 of 0x1?0": [("alu", AluOp.OR, True, 6, None, 0x100, False), ("end", "bswap", 16, 6)],
    "be32": [("alu", AluOp.OR, True, 6, None, 0x100, False), ("end", "be", 32, 6)],
    "tnum meets range in one value": [("jmp", JmpOp.JLT, True, 7, None, 2),
                                      ("jmp", JmpOp.JGT, True, 7, None, 0x100)],
    "sub from a constant": [("movk", True, 8, 100000), ("alu", AluOp.SUB, True, 8, 9, 0, False)],
    "lsh 63 arsh 63": [("alu", AluOp.LSH, True, 6, None, 63, False),
                       ("alu", AluOp.ARSH, True, 6, None, 63, False)],
    "fork of -1/0 before and/or": [("alu", AluOp.LSH, True, 6, None, 63, False),
                                   ("alu", AluOp.ARSH, True, 6, None, 63, False),
                                   ("alu", AluOp.OR, True, 6, None, 12, False),
                                   ("alu", AluOp.LSH, True, 7, None, 63, False),
                                   ("alu", AluOp.ARSH, True, 7, None, 63, False),
                                   ("alu", AluOp.AND, False, 7, None, 12, False),
                                   ("alu", AluOp.LSH, False, 8, None, 31, False),
                                   ("alu", AluOp.ARSH, False, 8, None, 31, False),
                                   ("alu", AluOp.OR, False, 8, None, 12, False),
                                   ("alu", AluOp.LSH, True, 9, None, 63, False),
                                   ("alu", AluOp.ARSH, True, 9, None, 63, False),
                                   ("alu", AluOp.XOR, True, 9, None, 12, False)],
    "div and mod are unknown": [("alu", AluOp.DIV, True, 6, None, 3, False),
                                ("alu", AluOp.MOD, False, 7, None, 7, True)],
    "jset bit": [("jmp", JmpOp.JSET, True, 6, None, 8), ("jmp", JmpOp.JSET, False, 7, None, 6)],
    "jmp32 signed": [("jmp", JmpOp.JSLT, False, 9, None, -5), ("jmp", JmpOp.JSGE, False, 9, 8, 0)],
    "movsx of a byte": [("movsx", True, 8, 6, 9), ("movsx", False, 16, 7, 9)],
}


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_programs_match_kernel_log(name):
    insns = build([0xF0, 0x101, 0x7, 0x1FF], FIXED[name])
    problems = compare(insns)
    assert not problems, "\n".join(problems)
