"""Differential campaign: pybpf's verifier against the kernel's on generated C programs.

Programs come from `fuzz/c_gen.py` (the shapes of the C corpus: map lookups, stack
buffers, loops, packet parsing, pointer arithmetic, helper sizes, ring buffers,
subprograms; about a third of the blocks drawn wrong). They are compiled with clang-19
-O2 -g in objects of ``--batch`` programs (each its own ``SEC()`` function) for a
random -mcpu among v2/v3/v4, loaded into the running kernel the way libbpf does and
verified by pybpf (`tests.verifier.c_corpus.run_path`).

Each program where the two disagree is put in a *class*: a verdict disagreement
(direction plus the rejecting side's message, numbers blanked), a rejection by both
with another instruction or message, or a pybpf error. The first program of each class
is minimised (blocks dropped while it stays in its class) and filed as
``<out>/<class slug>.bpf.c`` with both answers in its header. ``--report`` rewrites the
C section of docs/verifier-differences.md (between its markers) with the figures.

    sudo .venv/bin/python fuzz/c_vs_kernel.py --examples 5000 --seed 1 --report
    sudo .venv/bin/python fuzz/c_vs_kernel.py --duration 120
"""
from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fuzz"))

import c_gen  # noqa: E402

from tests.verifier import c_corpus as C  # noqa: E402

DEFAULT_OUT = ROOT / "fuzz" / "findings" / "c_vs_kernel"
REPORT = ROOT / "docs" / "verifier-differences.md"
BEGIN, END = "<!-- c_vs_kernel: begin -->", "<!-- c_vs_kernel: end -->"
#: the heading of fuzz/verifier_vs_kernel.py's history, which ends the shared page
HISTORY = "## Campaign history"
#: pybpf's limit per program, in CPU seconds: the C corpus's (`C.PYBPF_TIMEOUT_S`, issue
#: 15's 30 s). A generated loop that pushes a branch per iteration to the kernel's 8,192
#: pending branches after 100,000 iterations takes the kernel 0.74 s and pybpf 4-5 s of CPU,
#: which a limit of 5 s made a "timeout" class (docs/verifier-differences.md)
PYBPF_TIMEOUT = C.PYBPF_TIMEOUT_S


def _norm(msg: str | None) -> str:
    """The last message line with numbers blanked (a class key)."""
    line = (msg or "").strip().splitlines()[-1:] or [""]
    return re.sub(r"-?\b(0x[0-9a-f]+|\d+)\b", "N", line[0])[:120]


def classify(r: C.Result) -> str | None:
    """The disagreement class of a result, or None when pybpf agrees with the kernel."""
    if r.pybpf_error:
        return "error: " + re.sub(r"\d+", "N", r.pybpf_error.split("\n")[0])[:100]
    if r.kernel_accepted and not r.pybpf_accepted:
        return f"verdict: kernel accepts / pybpf: {_norm(r.pybpf_message)}"
    if not r.kernel_accepted and r.pybpf_accepted:
        return f"verdict: kernel: {_norm(r.kernel_message)} / pybpf accepts"
    if not r.kernel_accepted and not r.same_insn_message:
        k, p = _norm(r.kernel_message), _norm(r.pybpf_message)
        if k == p:
            return f"instruction: {k} (pybpf names another instruction)"
        return f"message: kernel: {k} / pybpf: {p}"
    return None


@dataclass
class Stats:
    total: int = 0
    kernel_accepted: int = 0
    verdict_agree: int = 0
    rejections: int = 0
    insn_message_agree: int = 0
    processed_close: int = 0
    pybpf_errors: int = 0
    compile_errors: int = 0
    elapsed: float = 0.0
    pybpf_seconds: float = 0.0
    classes: collections.Counter = field(default_factory=collections.Counter)
    by_shape: dict[str, list[int]] = field(default_factory=dict)
    examples: dict[str, tuple[c_gen.GenProgram, C.Result, str]] = field(default_factory=dict)
    #: the programs of each class (name and -mcpu, the first 50), to run them again with
    #: ``--programs``
    class_programs: dict[str, list[str]] = field(default_factory=dict)

    def add(self, prog: c_gen.GenProgram, r: C.Result, cpu: str) -> None:
        self.total += 1
        self.kernel_accepted += bool(r.kernel_accepted)
        self.verdict_agree += r.verdict_agrees
        self.rejections += r.kernel_accepted is False
        self.insn_message_agree += r.same_insn_message
        self.processed_close += r.processed_close
        self.pybpf_errors += r.pybpf_error is not None
        self.pybpf_seconds += r.pybpf_seconds
        for shape in set(prog.shapes):
            row = self.by_shape.setdefault(shape, [0, 0])
            row[0] += 1
            row[1] += r.verdict_agrees
        cls = classify(r)
        if cls is not None:
            self.classes[cls] += 1
            self.examples.setdefault(cls, (prog, r, cpu))
            names = self.class_programs.setdefault(cls, [])
            if len(names) < 50:
                names.append(f"{prog.name}:{cpu}")

    @property
    def verdict(self) -> float:
        return self.verdict_agree / max(self.total, 1)

    def lines(self) -> list[str]:
        acc = max(self.kernel_accepted, 1)
        return [
            f"programs: {self.total} in {self.elapsed:.0f} s (pybpf's verifier {self.pybpf_seconds:.0f} s);"
            f" kernel accepted {self.kernel_accepted}, rejected {self.rejections}",
            f"verdict agreement: {self.verdict_agree}/{self.total} = {self.verdict:.2%}",
            f"same instruction and message on the kernel's rejections: {self.insn_message_agree}/"
            f"{self.rejections} = {self.insn_message_agree / max(self.rejections, 1):.2%}",
            f"processed within 10% on the kernel's acceptances: {self.processed_close}/"
            f"{self.kernel_accepted} = {self.processed_close / acc:.2%}",
            f"pybpf errors: {self.pybpf_errors}; programs that did not compile: {self.compile_errors}",
        ]


class Campaign:
    """Generates, compiles and compares programs in batches."""

    def __init__(self, seed: int, batch: int = 25, out: Path | None = None,
                 minimise: int = 20, only: frozenset[str] | None = None) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.batch = batch
        self.out = out
        self.minimise_budget = minimise
        self.builder = C.Builder()
        self.tmp = Path(tempfile.mkdtemp(prefix="c_vs_kernel-"))
        self.index = 0
        self.stats = Stats()
        #: compare only these programs (by name) of the generated batches (None: all)
        self.only = only
        #: programs generated but not compared (``only``)
        self.skipped = 0

    def _compile(self, programs: list[c_gen.GenProgram], cpu: str, tag: str) -> Path | None:
        src = self.tmp / f"{tag}.bpf.c"
        src.write_text(c_gen.object_source(programs))
        obj = src.with_suffix(".o")
        import subprocess

        cmd = [C.CLANG, *self.builder.flags(cpu), "-include-pch", str(self.builder.pch(cpu)),
               "-c", str(src), "-o", str(obj)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            sys.stderr.write(f"clang failed on {src}:\n{res.stderr[-2000:]}\n")
            return None
        return obj

    def _results(self, programs: list[c_gen.GenProgram], cpu: str, tag: str) -> dict[str, C.Result]:
        obj = self._compile(programs, cpu, tag)
        if obj is None:
            return {}
        base = {"source": tag, "family": "fuzz", "cpu": cpu}
        return {r.program: r for r in C.run_path(obj, base, timeout=PYBPF_TIMEOUT)}

    def run_batch(self) -> None:
        cpu = self.rng.choice(C.CPUS)
        programs = [c_gen.generate(self.rng, self.index + i) for i in range(self.batch)]
        tag = f"b{self.index}"
        self.index += self.batch
        if self.only is not None:  # the same draws, only the named programs compiled
            self.skipped += len(programs)
            programs = [p for p in programs if p.name in self.only]
            self.skipped -= len(programs)
            if not programs:
                return
        results = self._results(programs, cpu, tag)
        if not results:  # a generator bug: compile one by one to keep the good ones
            for p in programs:
                one = self._results([p], cpu, f"{tag}_{p.index}")
                if not one:
                    self.stats.compile_errors += 1
                results.update(one)
        for p in programs:
            r = results.get(p.name)
            if r is not None:
                self.stats.add(p, r, cpu)

    def minimise(self, cls: str, prog: c_gen.GenProgram, cpu: str) -> tuple[c_gen.GenProgram, C.Result | None]:
        """Drop blocks while the program stays in class ``cls``."""
        best, best_r = prog, None
        changed = True
        while changed and len(best.blocks) > 1:
            changed = False
            for i in range(len(best.blocks)):
                cand = best.without(i)
                r = self._results([cand], cpu, f"min{cand.index}_{len(cand.blocks)}_{i}").get(cand.name)
                if r is not None and classify(r) == cls:
                    best, best_r, changed = cand, r, True
                    break
        return best, best_r

    def file_findings(self) -> dict[str, Path]:
        """Minimise the first program of each class and write it under ``out``."""
        if self.out is None:
            return {}
        self.out.mkdir(parents=True, exist_ok=True)
        filed = {}
        for n, (cls, _count) in enumerate(self.stats.classes.most_common()):
            prog, r, cpu = self.stats.examples[cls]
            if n < self.minimise_budget:
                small, small_r = self.minimise(cls, prog, cpu)
                if small_r is not None:
                    prog, r = small, small_r
            import hashlib

            slug = (re.sub(r"[^a-z0-9]+", "_", cls.lower()).strip("_")[:72] + "_"
                    + hashlib.sha1(cls.encode()).hexdigest()[:6])  # distinct classes, distinct files
            path = self.out / f"{slug}.bpf.c"
            head = [f"class: {cls}", f"found by: fuzz/c_vs_kernel.py --seed {self.seed} "
                    f"(program {prog.name}, -mcpu={cpu})",
                    f"kernel: {'accept' if r.kernel_accepted else 'reject'} at {r.kernel_insn}: "
                    f"{(r.kernel_message or '').strip()}",
                    f"pybpf: {'accept' if r.pybpf_accepted else 'reject'} at {r.pybpf_insn}: "
                    f"{(r.pybpf_error or r.pybpf_message or '').strip()}"]
            comment = "/*\n" + "".join(f" * {ln}\n" for h in head for ln in h.splitlines()) + " */\n"
            path.write_text(comment + c_gen.object_source([prog]))
            filed[cls] = path
        return filed

    def close(self) -> None:
        """Remove the campaign's temporary sources and objects."""
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, examples: int | None, duration: float | None) -> Stats:
        t0 = time.monotonic()
        while True:
            done = self.stats.total + self.stats.compile_errors + self.skipped
            if examples is not None and done >= examples:
                break
            if duration is not None and time.monotonic() - t0 >= duration:
                break
            if examples is not None:
                self.batch = min(self.batch, examples - done)
            self.run_batch()
        self.stats.elapsed = time.monotonic() - t0
        return self.stats


def write_report(path: Path, st: Stats, command: str, filed: dict[str, Path]) -> None:
    """Rewrite the C campaign's section of ``path`` (between its markers)."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sec = [BEGIN, "## C programs (fuzz/c_vs_kernel.py)", "",
           "Generated C compiled with clang-19 -O2 -g (fuzz/c_gen.py: the shapes of the C corpus, "
           "tests/verifier/c), loaded libbpf-style into the running kernel and verified by pybpf. "
           "This section is rewritten by each `--report` run; the causes of each class are "
           "explained in the analysis above.", "",
           f"- when: {now}, kernel {os.uname().release}", f"- command: `{command}`",
           *[f"- {ln}" for ln in st.lines()], "",
           "| shape (programs containing it) | programs | verdict agreement |",
           "| --- | ---: | ---: |"]
    for shape, (n, ok) in sorted(st.by_shape.items()):
        sec.append(f"| {shape} | {n} | {ok / max(n, 1):.1%} |")
    sec += ["", "| count | disagreement class | minimal reproducer |", "| ---: | --- | --- |"]
    for cls, n in st.classes.most_common():
        where = filed.get(cls)
        rel = os.path.relpath(where, ROOT) if where else ""
        sec.append(f"| {n} | {cls.replace('|', '/')} | {rel} |")
    if not st.classes:
        sec.append("| 0 | none | |")
    sec += ["", END]
    text = path.read_text() if path.exists() else "# pybpf verifier vs the kernel: differences\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + "\n".join(sec) + rest.split(END, 1)[1]
    elif HISTORY in text:  # before the assembly campaign's history, which ends the file
        head, rest = text.split(HISTORY, 1)
        text = head + "\n".join(sec) + "\n\n" + HISTORY + rest
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(sec) + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, help="number of programs (default 200 without --duration)")
    ap.add_argument("--duration", type=float, help="seconds to run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=25, help="programs per compiled object")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where minimal reproducers go")
    ap.add_argument("--no-file", action="store_true", help="do not minimise or file findings")
    ap.add_argument("--minimise", type=int, default=20, help="classes to minimise at most")
    ap.add_argument("--report", nargs="?", const=REPORT, type=Path,
                    help="rewrite the C section of docs/verifier-differences.md (or this file)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    ap.add_argument("--programs", help="compare only these programs of the seed's batches "
                    "(comma-separated names, as f1551; a ':v3' suffix is ignored)")
    args = ap.parse_args(argv)
    examples = args.examples if args.examples is not None or args.duration else 200
    only = (frozenset(n.split(":")[0] for n in args.programs.split(",") if n)
            if args.programs else None)
    camp = Campaign(args.seed, args.batch, None if args.no_file else args.out, args.minimise,
                    only)
    st = camp.run(examples, args.duration)
    try:
        filed = camp.file_findings()
    finally:
        camp.close()
    if args.report:
        write_report(args.report, st, "fuzz/c_vs_kernel.py " + " ".join(argv or sys.argv[1:]), filed)
    if args.json:
        print(json.dumps({"programs": st.total, "verdict_agreement": st.verdict,
                          "kernel_accepted": st.kernel_accepted, "rejections": st.rejections,
                          "insn_message_agree": st.insn_message_agree,
                          "processed_close": st.processed_close, "pybpf_errors": st.pybpf_errors,
                          "classes": dict(st.classes),
                          "class_programs": st.class_programs}))
    else:
        print("\n".join(st.lines()))
        for cls, n in st.classes.most_common():
            print(f"{n:6d}  {cls}" + (f"  -> {os.path.relpath(filed[cls])}" if cls in filed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
