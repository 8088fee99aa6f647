#!/usr/bin/env python3
"""The C verifier corpus report: issue 15's figures, per family, and every disagreement.

Builds the corpus (cached, see tests/verifier/c_corpus.py), loads every program of
every object into the running kernel and verifies it with pybpf, then prints the
figures, a table per family and, for each program where pybpf and the kernel differ,
both answers. Needs root (bpf()) and clang-19.

    .venv/bin/python tools/c_corpus_report.py                 # everything
    .venv/bin/python tools/c_corpus_report.py --filter net/   # the paths containing net/
    .venv/bin/python tools/c_corpus_report.py --cpu v3 --all  # one CPU version, every program
    .venv/bin/python tools/c_corpus_report.py --json out.json # the results as JSON lines
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.verifier import c_corpus as C  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--filter", help="only corpus files whose path contains this")
    ap.add_argument("--cpu", action="append", choices=C.CPUS, help="CPU versions (default: all)")
    ap.add_argument("--all", action="store_true", help="print every program, not only disagreements")
    ap.add_argument("--json", metavar="FILE", help="write every result as a JSON line to FILE")
    ap.add_argument("--timeout", type=float, default=C.PYBPF_TIMEOUT_S,
                    help="pybpf's time limit per program in seconds")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    builder = C.Builder()
    srcs = C.sources(args.filter)
    results = C.run_corpus(srcs, args.cpu or C.CPUS, builder=builder, timeout=args.timeout)
    elapsed = time.monotonic() - t0
    for r in results:
        good = r.verdict_agrees and (r.same_insn_message if r.kernel_accepted is False
                                     else r.processed_close)
        if args.all or not good:
            print(("   " if good else "XX ") + r.describe())
    fig = C.figures(results)
    print()
    print("\n".join(fig.lines()))
    print("\n".join(fig.family_lines()))
    classes = Counter(r.pybpf_class for r in results if r.kernel_accepted is False)
    errs = Counter((r.pybpf_error or "").split(":")[0] for r in results if r.pybpf_error)
    if errs:
        print("  pybpf errors by kind: " + ", ".join(f"{k} {n}" for k, n in errs.most_common()))
    print("  pybpf classes on the kernel's rejections: "
          + ", ".join(f"{k} {n}" for k, n in classes.most_common()))
    slow = sorted(results, key=lambda r: -r.pybpf_seconds)[:3]
    print(f"  {len(srcs)} sources, {builder.compiled} compiled this run, {elapsed:.1f} s; slowest "
          "for pybpf: " + ", ".join(f"{r.key} {r.pybpf_seconds:.2f} s" for r in slow))
    if args.json:
        with open(args.json, "w") as f:
            for r in results:
                f.write(json.dumps(r.to_json()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
