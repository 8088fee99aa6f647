#!/usr/bin/env python3
"""Agreement of pybpf's verifier with the kernel on the verifier suite, per error class.

For every case of ``tests/verifier/suite/*.s`` (whose header holds the live
kernel's verdict, instruction and message lines) pybpf's `verify` is run and
compared; the table counts, per error class (accepted cases in one row), how
many cases agree on the verdict, on the instruction index and on the message
lines. ``--kernel`` also loads every case into the running kernel (root) and
counts the headers that still hold. ``--fill FILE...`` writes the kernel's
instruction and message lines into the headers of new cases (their ``expect``
must already say what the kernel does).

Run: ``.venv/bin/python tools/verifier_suite_report.py [--markdown | --json] [-v] [--kernel]``
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.verifier.suite_format import (  # noqa: E402
    Agreement,
    compare,
    kernel_outcome,
    load_suite,
    parse_case,
    render_header,
)

COLUMNS = ("cases", "verdict", "insn", "message", "exact")


def table(results: list[Agreement]) -> dict[str, dict[str, int]]:
    """Per class (``(accepted)`` for accepted cases, ``TOTAL``), the agreement counts."""
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for r in results:
        for key in (r.case.error_class or "(accepted)", "TOTAL"):
            row = rows[key]
            row["cases"] += 1
            row["verdict"] += r.verdict
            row["insn"] += r.insn
            row["message"] += r.message
            row["exact"] += r.exact
    order = sorted((k for k in rows if k not in ("(accepted)", "TOTAL")), key=lambda k: (-rows[k]["cases"], k))
    return {k: rows[k] for k in [*order, "(accepted)", "TOTAL"] if k in rows}


def render_text(rows: dict[str, dict[str, int]], markdown: bool) -> str:
    out = []
    if markdown:
        out.append("| class | " + " | ".join(COLUMNS) + " |")
        out.append("| --- | " + " | ".join("---:" for _ in COLUMNS) + " |")
        for k, row in rows.items():
            name = f"**{k}**" if k == "TOTAL" else f"`{k}`" if not k.startswith("(") else k
            out.append(f"| {name} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    else:
        out.append(f"{'class':28s}" + "".join(f"{c:>9s}" for c in COLUMNS))
        for k, row in rows.items():
            out.append(f"{k:28s}" + "".join(f"{row[c]:9d}" for c in COLUMNS))
    return "\n".join(out)


def fill(paths: list[str]) -> int:
    """Rewrite the insn/message header lines of ``paths`` from the kernel; 1 if a verdict differs."""
    status = 0
    for p in paths:
        path = Path(p)
        case = parse_case(path, path.read_text()) if _has_messages(path) else _parse_unfilled(path)
        out = kernel_outcome(case)
        got = "accept" if out.accepted else "reject"
        if got != case.expect:
            print(f"{path}: expected {case.expect}, the kernel says {got}: {out.messages}", file=sys.stderr)
            status = 1
            continue
        case.insn, case.messages = out.insn, out.messages
        path.write_text(render_header(case) + case.body.lstrip("\n"))
        print(f"{path}: {got}" + ("" if out.accepted else f" at insn {out.insn}: {' | '.join(out.messages)}"))
    return status


def _has_messages(path: Path) -> bool:
    text = path.read_text()
    return "# expect: accept" in text or "# message:" in text


def _parse_unfilled(path: Path):
    """A new rejection case without insn/message lines yet: parse it with placeholders."""
    text = path.read_text()
    lines = text.split("\n")
    head = [ln for ln in lines if ln.startswith("# ")]
    extra = [] if any(ln.startswith("# insn:") for ln in head) else ["# insn: none"]
    return parse_case(path, "\n".join(extra + ["# message: ?"] + lines))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="print the table in Markdown (for the docs)")
    fmt.add_argument("--json", action="store_true", help="print one JSON document")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    ap.add_argument("--kernel", action="store_true", help="also check every header against the live kernel")
    ap.add_argument("--timeout", type=float, default=5.0, help="CPU seconds pybpf may take per case (default 5)")
    ap.add_argument("--fill", nargs="+", metavar="FILE", help="fill headers of new cases from the kernel")
    args = ap.parse_args(argv)
    if args.fill:
        return fill(args.fill)
    cases = load_suite()
    t0 = time.process_time()
    results = [compare(c, args.timeout) for c in cases]
    cpu = time.process_time() - t0
    rows = table(results)
    stale: list[str] = []
    if args.kernel:
        for c in cases:
            out = kernel_outcome(c)
            if out.accepted != c.accepted or (not c.accepted and (out.insn, out.messages) != (c.insn, c.messages)):
                stale.append(c.name)
    bad = [r for r in results if not r.exact]
    if args.json:
        doc = {"cases": len(cases), "pybpf_cpu_seconds": round(cpu, 3), "classes": rows,
               "disagreements": [r.describe() for r in bad]}
        if args.kernel:
            doc["kernel_header_mismatches"] = stale
        print(json.dumps(doc, indent=1))
        return 0
    print(render_text(rows, args.markdown))
    rejects = [r for r in results if not r.case.accepted]
    exact = sum(r.exact for r in rejects)
    print(f"\n{len(cases)} cases; verdict agreement {rows['TOTAL']['verdict']}/{len(cases)}; "
          f"insn+message agreement on rejections {exact}/{len(rejects)} "
          f"({exact / max(len(rejects), 1):.1%}); pybpf CPU time {cpu:.1f} s")
    if args.kernel:
        print(f"kernel: {len(cases) - len(stale)}/{len(cases)} headers hold"
              + (f"; stale: {', '.join(stale)}" if stale else ""))
    if args.verbose:
        print("\n".join(r.describe() for r in bad))
    return 0


if __name__ == "__main__":
    sys.exit(main())
