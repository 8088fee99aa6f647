#!/usr/bin/env python3
"""Mutation fuzzing of the ELF object parser: every input gives a result or a pybpf error.

Seeds are the clang-compiled objects of tests/progs; each case flips, overwrites,
inserts or truncates bytes (section headers, symbol tables, relocations, BTF and
code are all hit) and runs `pybpf.elf.read_object`. Anything but success,
`ElfError`, `BtfError` or `IsaError` is a finding; so is a case slower than a
second (a hang). Findings are printed and written to docs/elf-fuzz.md.

    python fuzz/elf_fuzz.py --duration 600      # a campaign
    python fuzz/elf_fuzz.py --cases 300         # what CI runs (tests/elf/test_elf_fuzz.py)
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pybpf.elf import read_object  # noqa: E402
from pybpf.errors import BtfError, ElfError, IsaError  # noqa: E402

EXPECTED = (ElfError, BtfError, IsaError)
SEEDS = ("subprogs", "maps_btf", "maps_legacy", "kconfig")


def build_seeds(out_dir: Path) -> list[bytes]:
    arch = f"/usr/include/{os.uname().machine}-linux-gnu"
    seeds = []
    for name in SEEDS:
        obj = out_dir / f"{name}.o"
        subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-c",
                        str(ROOT / "tests" / "progs" / f"{name}.bpf.c"), "-o", str(obj),
                        f"-I{arch}"], check=True)
        seeds.append(obj.read_bytes())
    return seeds


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        pos = rng.randrange(len(buf)) if buf else 0
        if op < 0.45 and buf:
            buf[pos] ^= 1 << rng.randrange(8)
        elif op < 0.7 and buf:
            width = rng.choice((1, 2, 4, 8))
            val = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
            buf[pos:pos + width] = bytes([val]) * min(width, len(buf) - pos)
        elif op < 0.8:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 16))  # from the seed: replayable
        elif op < 0.9 and len(buf) > 64:
            del buf[pos:pos + rng.randint(1, 64)]
        else:
            buf = buf[: rng.randrange(max(len(buf), 1))]
    return bytes(buf)


def check_one(data: bytes) -> str | None:
    """None when the parser behaved; otherwise a description of the finding. Slowness is
    this process's CPU time (a hang spins; a campaign starved of CPU on a shared machine
    took seconds of wall time over cases that need a millisecond)."""
    start = time.process_time()
    try:
        read_object(data, name="<fuzz>")
    except EXPECTED:
        pass
    except Exception:  # noqa: BLE001 - a finding
        return traceback.format_exc(limit=4)
    took = time.process_time() - start
    if took > 1.0:
        return f"slow: {took:.2f}s of CPU"
    return None


def campaign(seeds: list[bytes], *, cases: int | None, duration: float | None,
             seed: int) -> tuple[int, list[tuple[int, str]]]:
    rng = random.Random(seed)
    findings: list[tuple[int, str]] = []
    deadline = time.monotonic() + duration if duration else None
    n = 0
    while (cases is None or n < cases) and (deadline is None or time.monotonic() < deadline):
        data = mutate(rng.choice(seeds), rng)
        problem = check_one(data)
        if problem:
            findings.append((n, problem))
        n += 1
    return n, findings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int)
    ap.add_argument("--duration", type=float)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.cases is None and args.duration is None:
        args.duration = 60.0
    with tempfile.TemporaryDirectory() as tmp:
        seeds = build_seeds(Path(tmp))
    start = time.monotonic()
    total, findings = campaign(seeds, cases=args.cases, duration=args.duration, seed=args.seed)
    for n, text in findings[:20]:
        print(f"case {n}:\n{text}")
    print(f"elf fuzz: {total} cases, {len(findings)} findings in {time.monotonic() - start:.0f}s "
          f"(seed {args.seed})")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
