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

DOC = Path(__file__).resolve().parent.parent / "docs" / "verifier-corpus.md"
BEGIN, END = "<!-- c_corpus_report: begin -->", "<!-- c_corpus_report: end -->"


def _norm(msg: str | None) -> str:
    import re

    line = (msg or "").strip().splitlines()[-1:] or [""]
    return re.sub(r"-?\b(0x[0-9a-f]+|\d+)\b", "N", line[0])[:100].replace("|", "/")


def write_markdown(path: Path, results: list[C.Result], fig: C.Figures, command: str) -> None:
    """Rewrite the measured section of ``path`` (between its markers) from ``results``."""
    import datetime
    import os

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [BEGIN, "## Last measured", "",
           f"- when: {now}, kernel {os.uname().release}, "
           f"`tools/c_corpus_report.py {command}`".rstrip(), ""]
    out += ["```", *fig.lines(), *fig.family_lines(), "```", ""]
    classes: Counter = Counter()
    for r in results:
        if r.pybpf_error:
            classes[f"pybpf error: {_norm(r.pybpf_error)}"] += 1
        elif r.kernel_accepted and not r.pybpf_accepted:
            classes[f"kernel accepts / pybpf: {_norm(r.pybpf_message)}"] += 1
        elif r.kernel_accepted is False and r.pybpf_accepted:
            classes[f"kernel: {_norm(r.kernel_message)} / pybpf accepts"] += 1
    out += ["Verdict disagreements and errors by class (the rejecting side's last line, numbers "
            "as N):", "", "| count | class |", "| ---: | --- |"]
    out += [f"| {n} | {k} |" for k, n in classes.most_common(40)]
    out += ["", END]
    text = path.read_text()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + "\n".join(out) + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(out) + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--filter", help="only corpus files whose path contains this")
    ap.add_argument("--cpu", action="append", choices=C.CPUS, help="CPU versions (default: all)")
    ap.add_argument("--all", action="store_true", help="print every program, not only disagreements")
    ap.add_argument("--json", metavar="FILE", help="write every result as a JSON line to FILE")
    ap.add_argument("--markdown", nargs="?", const=DOC, type=Path, metavar="FILE",
                    help="rewrite the measured section of docs/verifier-corpus.md (or FILE)")
    ap.add_argument("--from-json", metavar="FILE", type=Path,
                    help="report on the results a --json run wrote instead of running again")
    ap.add_argument("--timeout", type=float, default=C.PYBPF_TIMEOUT_S,
                    help="pybpf's time limit per program in seconds")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    builder = C.Builder()
    srcs = C.sources(args.filter)
    if args.from_json:
        results = [C.Result(**json.loads(line)) for line in args.from_json.read_text().splitlines()]
    else:
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
    if args.markdown:
        write_markdown(args.markdown, results, fig, " ".join(argv or sys.argv[1:]))
    if args.json:
        with open(args.json, "w") as f:
            for r in results:
                f.write(json.dumps(r.to_json()) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
