#!/usr/bin/env python3
"""Timed campaign: pybpf's assembler and disassembler against llvm-mc-19 and llvm-objdump-19.

Each round draws a batch of random valid instructions (every opcode LLVM 19 can spell,
registers, offsets and immediates with their edge values often) and checks four things,
one llvm-mc and one llvm-objdump call per batch:

1. pybpf's text for each instruction, assembled by ``llvm-mc-19 -show-encoding``, gives
   pybpf's bytes;
2. ``llvm-objdump-19 -d`` of those bytes prints pybpf's listing, line for line (its
   symbolic ``<.text+0x..>`` jump suffix dropped);
3. objdump's text, assembled by pybpf, gives the bytes back;
4. pybpf's own text assembles back to the same bytes.

A disagreement is filed by class (which check, and the instruction's opcode and form),
minimised (its immediate and offset lowered toward 0 and its registers toward r0 while it
stays in its class) and reported with instructions/s.

    python fuzz/asm_roundtrip.py --duration 1800 --report /tmp/asm.md
"""
from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from campaign import Findings, markdown, rate  # noqa: E402

from pybpf.asm import assemble, disassemble  # noqa: E402
from pybpf.errors import PybpfError  # noqa: E402
from pybpf.isa import LDDW, AtomicOp, CallSrc, Class, Insn, JmpOp, Mode, ProgramSpec, Size, problem  # noqa: E402
from pybpf.isa.opcodes import CLASS_MASK, MODE_MASK, OP_MASK, SIZE_MASK  # noqa: E402

LLVM_MC = ["llvm-mc-19", "-triple", "bpfel", "-mcpu=v4"]
EDGE32 = [0, 1, -1, 2, 7, 0x7F, 0x80, 0xFF, 0x7FFF, -0x8000, 0x7FFFFFFF, -0x80000000]
EDGE16 = [0, 1, -1, 2, 8, -8, 0x7FFF, -0x8000]
_ENC = re.compile(r"encoding: \[([^\]]*)\]")
_OBJDUMP = re.compile(r"^\s*(\d+):\t([0-9a-f ]+)\t(.*)$")
_SUFFIX = re.compile(r" <[^<>]*>$")


def llvm_spells(insn: Insn) -> bool:
    """Whether LLVM 19's assembler has a spelling for ``insn`` (what the sweep in
    tests/asm/test_llvm_sweep.py established: no load-acquire/store-release, no 8/16-bit
    atomics, gotol within 16 bits, no kfunc or numeric local calls, no LD_IND immediate,
    ld_pseudo with a 32-bit immediate)."""
    cls, op, mode = insn.opcode & CLASS_MASK, insn.opcode & OP_MASK, insn.opcode & MODE_MASK
    if cls == Class.STX and mode == Mode.ATOMIC:
        if insn.opcode & SIZE_MASK not in (Size.W, Size.DW):
            return False
        if insn.imm in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL):
            return False
    if cls == Class.JMP32 and op == JmpOp.JA and not -0x8000 <= insn.imm <= 0x7FFF:
        return False
    if cls == Class.JMP and op == JmpOp.CALL and insn.src in (CallSrc.KFUNC, CallSrc.LOCAL):
        return False
    if cls == Class.LD and mode == Mode.IND and insn.imm != 0:
        return False
    if insn.opcode == LDDW and insn.src and not 0 <= insn.imm < (1 << 32):
        return False
    return True


def _num(rng: random.Random, edges: list[int], lo: int, hi: int) -> int:
    return rng.choice(edges) if rng.random() < 0.5 else rng.randint(lo, hi)


def random_insn(rng: random.Random) -> Insn:
    """A valid instruction LLVM 19 can spell (drawn until one is)."""
    while True:
        opcode = rng.randrange(256)
        src = rng.randint(0, 10) if rng.random() < 0.8 else rng.randint(0, 6)
        insn = Insn(opcode, rng.randint(0, 10), src, _num(rng, EDGE16, -0x8000, 0x7FFF),
                    _num(rng, EDGE32, -(1 << 31), (1 << 31) - 1))
        if opcode == LDDW:
            insn = insn.replace(src=rng.choice([0, 0, 0, 1, 2, 3, 4, 5, 6]),
                                imm=_num(rng, EDGE32, -(1 << 63), (1 << 64) - 1))
        imms = [insn.imm, 0, rng.choice([16, 32, 64]), int(rng.choice(list(AtomicOp)))]
        for fix in (insn.replace(dst=d, src=sr, off=o, imm=i) for i in imms
                    for o in (insn.off, 0, rng.choice([1, 8, 16, 32])) for sr in (insn.src, 0)
                    for d in (insn.dst, 0)):
            if problem(fix) is None and llvm_spells(fix):
                return fix


def form(insn: Insn) -> str:
    """The instruction's opcode and its distinguishing fields, for classes."""
    extra = ""
    if insn.opcode & CLASS_MASK == Class.STX and insn.opcode & MODE_MASK == Mode.ATOMIC:
        extra = f" atomic {insn.imm:#x}"
    elif insn.opcode == LDDW:
        extra = f" src {insn.src}"
    return f"opcode {insn.opcode:#04x}{extra}"


def check_batch(insns: list[Insn], tmp: Path) -> list[tuple[str, Insn, str]]:
    """(check, instruction, detail) for every disagreement in the batch."""
    out: list[tuple[str, Insn, str]] = []
    texts = [disassemble(ProgramSpec([i]), listing=False).strip() for i in insns]
    ours = [i.encode() for i in insns]
    src = tmp / "batch.s"
    src.write_text("\n".join(texts) + "\n")
    res = subprocess.run([*LLVM_MC, "-show-encoding", str(src)], capture_output=True, text=True)
    encodings = [bytes(int(b, 16) for b in m.group(1).split(",")) for m in _ENC.finditer(res.stdout)]
    if res.returncode or len(encodings) != len(insns):
        # find the lines llvm-mc refuses one by one (rare: a batch is then slow)
        for insn, text in zip(insns, texts, strict=True):
            one = subprocess.run([*LLVM_MC, "-show-encoding"], input=text + "\n",
                                 capture_output=True, text=True)
            if one.returncode:
                out.append(("llvm-mc refuses pybpf's text", insn,
                            f"`{text}`: {one.stderr.strip().splitlines()[-1][:200]}"))
        return out
    bad = set()
    for k, (insn, text, mine, theirs) in enumerate(zip(insns, texts, ours, encodings, strict=True)):
        if mine != theirs:
            out.append(("bytes differ from llvm-mc", insn,
                        f"`{text}`: pybpf {mine.hex()}, llvm-mc {theirs.hex()}"))
            bad.add(k)
    obj = tmp / "batch.o"
    subprocess.run([*LLVM_MC, "-filetype=obj", str(src), "-o", str(obj)], check=True,
                   capture_output=True)
    dump = subprocess.run(["llvm-objdump-19", "-d", "--mcpu=v4", str(obj)], check=True,
                          capture_output=True, text=True).stdout
    theirs_listing = [_SUFFIX.sub("", ln) for ln in dump.splitlines() if _OBJDUMP.match(ln)]
    code = b"".join(encodings)
    our_listing = disassemble(code).splitlines()
    if len(our_listing) != len(theirs_listing):
        out.append(("listing length differs", insns[0], f"pybpf {len(our_listing)} lines, "
                    f"objdump {len(theirs_listing)}"))
        return out
    pos = 0
    for k, insn in enumerate(insns):
        a, b = our_listing[k], theirs_listing[k]
        n = insn.slots * 8
        if k not in bad and a.split("\t")[-1] != b.split("\t")[-1]:
            out.append(("listing differs from llvm-objdump", insn, f"pybpf `{a.strip()}`, objdump `{b.strip()}`"))
        their_text = _OBJDUMP.match(b).group(3)  # type: ignore[union-attr]
        try:
            back = assemble(their_text, check_targets=False).encode()
        except PybpfError as exc:
            out.append(("pybpf refuses objdump's text", insn, f"`{their_text}`: {exc}"))
        else:
            if back != code[pos:pos + n]:
                out.append(("objdump's text assembles differently", insn,
                            f"`{their_text}`: pybpf {back.hex()}, bytes {code[pos:pos + n].hex()}"))
        try:
            again = assemble(texts[k], check_targets=False).encode()
        except PybpfError as exc:
            out.append(("pybpf refuses its own text", insn, f"`{texts[k]}`: {exc}"))
        else:
            if again != ours[k]:
                out.append(("pybpf's text assembles differently", insn, f"`{texts[k]}`"))
        pos += n
    return out


def shrink_insn(insn: Insn, check: str, tmp: Path) -> Insn:
    """``insn`` with its immediate, offset and registers lowered while the same check fails
    on the same form (its class)."""
    def same(i: Insn) -> bool:
        if problem(i) is not None or not llvm_spells(i) or form(i) != form(insn):
            return False
        return any(c == check for c, _, _ in check_batch([i], tmp))

    best = insn
    for field, zero in (("imm", 0), ("off", 0), ("src", 0), ("dst", 0)):
        value = getattr(best, field)
        while value != zero:
            cand = best.replace(**{field: zero if abs(value) <= 1 else value // 2})
            if not same(cand):
                break
            best, value = cand, getattr(cand, field)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--report", type=Path)
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    findings = Findings()
    total = 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        while time.monotonic() - start < args.duration:
            batch = [random_insn(rng) for _ in range(args.batch)]
            for check, insn, detail in check_batch(batch, tmp):
                key = f"{check}: {form(insn)}"
                new = findings.add(key, insn, detail)
                if new is not None:
                    print(f"{key}: {detail}", flush=True)
                    new.shrunk = shrink_insn(insn, check, tmp)
                    new.shrunk_detail = next((d for c, _, d in check_batch([new.shrunk], tmp)
                                              if c == check), "")
            total += len(batch)
    elapsed = time.monotonic() - start
    summary = (f"asm round trip (seed {seed}): {total} instructions in {elapsed:.0f} s "
               f"({rate(total, elapsed)}), {len(findings)} disagreements in "
               f"{len(findings.classes)} classes")
    print(summary)
    if args.report:
        lines = ["# assembler round trip", "", summary, ""]
        lines += markdown("Disagreements by class", findings,
                          lambda i: disassemble(ProgramSpec([i]), listing=False))
        args.report.write_text("\n".join(lines) + "\n")
    return 1 if len(findings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
