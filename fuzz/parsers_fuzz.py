#!/usr/bin/env python3
"""Timed campaign over pybpf's binary parsers: mutated ELF objects and mutated BTF/.BTF.ext.

Each case mutates a seed (the clang-compiled objects of tests/progs for the ELF reader,
`btf_fuzz.seed_btf` for BTF) with the mutators of `elf_fuzz` and `btf_fuzz`, and runs it
through the parser (`read_object`; the BTF reader, listings, C printer, writer and
``.BTF.ext`` parser). A result or a pybpf error naming where is fine; anything else (an
unexpected exception, a BtfError naming no type or offset, a case slower than
``--max-seconds``) is a finding. Findings are filed by class (the parser, the exception
type and the pybpf frame it came from), the first of each class is shrunk toward its seed
(`campaign.shrink_bytes`), and the summary gives cases/s per parser.

    python fuzz/parsers_fuzz.py --duration 1800 --report /tmp/parsers.md
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

import btf_fuzz  # noqa: E402
import elf_fuzz  # noqa: E402
from campaign import Findings, markdown, rate, shrink_bytes  # noqa: E402


def _where(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/pybpf/" in f.filename]
    f = frames[-1] if frames else None
    return f"{Path(f.filename).name}:{f.lineno} ({f.name})" if f else "?"


def elf_case(data: bytes, max_seconds: float) -> str | None:
    """None when the ELF reader behaved, else the class of the finding (slowness is CPU
    time, see `elf_fuzz.check_one`)."""
    start = time.process_time()
    try:
        elf_fuzz.read_object(data, name="<fuzz>")
    except elf_fuzz.EXPECTED:
        pass
    except Exception as exc:  # noqa: BLE001 - a finding
        return f"elf: {type(exc).__name__} at {_where(exc)}"
    if time.process_time() - start > max_seconds:
        return "elf: slower than the limit"
    return None


def btf_case(blob: bytes, ext: bytes | None, max_seconds: float) -> str | None:
    start = time.process_time()
    try:
        btf_fuzz.exercise(blob, ext)
    except btf_fuzz.BtfError as exc:
        if exc.type_id is None and exc.offset is None:
            return "btf: BtfError naming no type id nor offset"
    except Exception as exc:  # noqa: BLE001 - a finding
        return f"btf: {type(exc).__name__} at {_where(exc)}"
    if time.process_time() - start > max_seconds:
        return "btf: slower than the limit"
    return None


def btf_ops(rng: random.Random) -> list[tuple[int, int, int]]:
    return [(rng.randint(0, 4), rng.randint(0, 1 << 20), rng.randint(0, 1 << 33))
            for _ in range(rng.randint(1, 6))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--max-seconds", type=float, default=2.0)
    ap.add_argument("--report", type=Path, help="write the findings as markdown here")
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        elf_seeds = elf_fuzz.build_seeds(Path(tmp))
    btf_seed, ext_seed = btf_fuzz.seed_btf()
    findings = Findings()
    counts = {"elf": 0, "btf": 0}
    spent = {"elf": 0.0, "btf": 0.0}
    start = time.monotonic()
    last = start
    while time.monotonic() - start < args.duration:
        t0 = time.perf_counter()
        if rng.random() < 0.5:
            base = rng.choice(elf_seeds)
            data = elf_fuzz.mutate(base, rng)
            key = elf_case(data, args.max_seconds)
            kind = "elf"
            if key is not None and findings.add(key, data, f"mutated from a {len(base)}-byte object") \
                    is not None:
                f = findings.classes[key]
                f.shrunk = shrink_bytes(data, base, lambda d, key=key: elf_case(d, args.max_seconds) == key)
                f.shrunk_detail = f"{len(f.shrunk)} bytes"
        else:
            which_ext = rng.random() < 0.3
            ops = btf_ops(rng)
            blob = btf_seed if which_ext else btf_fuzz.mutate(btf_seed, ops)
            ext = btf_fuzz.mutate(ext_seed, ops) if which_ext else ext_seed
            key = btf_case(blob, ext, args.max_seconds)
            kind = "btf"
            if key is not None and findings.add(key, (blob, ext), "mutated seed") is not None:
                f = findings.classes[key]
                base = ext_seed if which_ext else btf_seed
                data = ext if which_ext else blob

                def same(d: bytes, key: str = key, which_ext: bool = which_ext) -> bool:
                    return btf_case(btf_seed if which_ext else d, d if which_ext else ext_seed,
                                    args.max_seconds) == key
                f.shrunk = shrink_bytes(data, base, same)
                f.shrunk_detail = f"{'.BTF.ext' if which_ext else 'BTF'} of {len(f.shrunk)} bytes"
        counts[kind] += 1
        spent[kind] += time.perf_counter() - t0
        if key is not None:
            print(f"{kind} case {counts[kind]}: {key}", flush=True)
        if time.monotonic() - last > 60:
            last = time.monotonic()
            print(f"{counts['elf']} ELF + {counts['btf']} BTF cases, {len(findings)} findings",
                  flush=True)
    elapsed = time.monotonic() - start
    total = counts["elf"] + counts["btf"]
    summary = (f"parsers fuzz (seed {seed}): {total} cases in {elapsed:.0f} s ({rate(total, elapsed)}): "
               f"ELF {counts['elf']} ({rate(counts['elf'], spent['elf'])} of parser time), "
               f"BTF {counts['btf']} ({rate(counts['btf'], spent['btf'])}); "
               f"{len(findings)} findings in {len(findings.classes)} classes")
    print(summary)
    if args.report:
        lines = ["# parsers campaign", "", summary, ""]
        lines += markdown("Findings by class", findings,
                          lambda d: (d[0] if isinstance(d, tuple) else d)[:256].hex())
        args.report.write_text("\n".join(lines) + "\n")
    return 1 if len(findings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
