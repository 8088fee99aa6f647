"""Differential campaign: pybpf's verifier against the live kernel's on generated programs.

Programs come from the hypothesis strategy `tests.verifier.gen_programs.gen_cases`
(structured templates: map lookups with and without NULL checks, stack accesses,
packet accesses with correct / off-by-one / missing bounds checks, pointer
arithmetic with bounded and unbounded scalars, loops, bpf-to-bpf calls, helper
arguments right and wrong). Each is verified by pybpf and loaded into the kernel
(root); the verdicts are compared. A disagreement is put in a *class* (direction
plus the rejecting side's message with numbers blanked); one example per class
is shrunk line by line while it stays in its class, and
``docs/verifier-differences.md`` is rewritten with every class, its count and its
minimal reproducer (a history of campaigns is kept at its end).

    sudo .venv/bin/python fuzz/verifier_vs_kernel.py --examples 5000 --seed 1
    sudo .venv/bin/python fuzz/verifier_vs_kernel.py --duration 120 --no-report
"""
from __future__ import annotations

import argparse
import collections
import datetime
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis import seed as hseed  # noqa: E402

from pybpf.asm import assemble  # noqa: E402
from pybpf.errors import PybpfError  # noqa: E402
from pybpf.verifier import verify  # noqa: E402
from tests.verifier.gen_programs import GenCase, gen_cases  # noqa: E402
from tests.verifier.kernel_oracle import kernel_verdict  # noqa: E402

#: pybpf gets this many seconds per program before the case counts as a time-out
PYBPF_TIMEOUT = 20.0


class _Timeout(Exception):
    pass


class _Enough(Exception):
    """Stops hypothesis once enough distinct programs were drawn."""


def _alarm(signum, frame):  # noqa: ARG001
    raise _Timeout


@dataclass
class Outcome:
    """Both verdicts on one program and the class of their (dis)agreement."""

    case: GenCase
    kernel_accepted: bool
    kernel_insn: int | None
    kernel_message: str | None
    pybpf_accepted: bool | None  # None: pybpf failed (time-out or exception)
    pybpf_insn: int | None = None
    pybpf_message: str | None = None
    pybpf_class: str | None = None
    pybpf_seconds: float = 0.0

    @property
    def agree(self) -> bool:
        return self.pybpf_accepted == self.kernel_accepted

    @property
    def same_error(self) -> bool:
        return (self.agree and not self.kernel_accepted
                and (self.pybpf_insn, self.pybpf_message) == (self.kernel_insn, self.kernel_message))

    @property
    def key(self) -> str:
        """The disagreement class ("" when the verdicts agree)."""
        if self.pybpf_accepted is None:
            return f"pybpf fails: {_norm(self.pybpf_message)}"
        if self.agree:
            return ""
        if self.pybpf_accepted:
            return f"kernel rejects, pybpf accepts: {_norm(self.kernel_message)}"
        return f"kernel accepts, pybpf rejects ({self.pybpf_class}): {_norm(self.pybpf_message)}"

    @property
    def message_key(self) -> str:
        """For a rejection on both sides with different insn/message: the first difference."""
        if not self.agree or self.kernel_accepted or self.same_error:
            return ""
        if self.pybpf_message == self.kernel_message:
            return f"same message, insn differs: {_norm(self.kernel_message)}"
        k = (self.kernel_message or "").splitlines()
        p = (self.pybpf_message or "").splitlines()
        pairs = enumerate(zip(k, p, strict=False))
        i = next((i for i, (a, b) in pairs if a != b), min(len(k), len(p)))
        return (f"kernel: {_norm(k[i] if i < len(k) else '(nothing)')} / "
                f"pybpf: {_norm(p[i] if i < len(p) else '(nothing)')}")


def _norm(message: str | None) -> str:
    """The last line of a message with numbers blanked, so equal mistakes share a class."""
    lines = (message or "").strip().splitlines() or ["(no message)"]
    return re.sub(r"\d+", "N", lines[-1])[:140]


def check(case: GenCase, *, timeout: float = PYBPF_TIMEOUT) -> Outcome:
    """Verify ``case`` with pybpf and with the kernel."""
    program = assemble(case.text)
    k = kernel_verdict(program, case.prog_type)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    try:
        r = verify(program, case.prog_type)
    except _Timeout:
        return Outcome(case, k.accepted, k.insn, k.message, None,
                       pybpf_message=f"no verdict after {timeout:g} s",
                       pybpf_seconds=time.perf_counter() - start)
    except Exception as e:  # noqa: BLE001 - a crash in pybpf is itself a finding
        return Outcome(case, k.accepted, k.insn, k.message, None,
                       pybpf_message=f"{type(e).__name__}: {e}",
                       pybpf_seconds=time.perf_counter() - start)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return Outcome(case, k.accepted, k.insn, k.message, r.accepted, r.insn, r.message,
                   r.error_class, time.perf_counter() - start)


def cases(n: int, seed: int) -> Iterator[GenCase]:
    """``n`` distinct programs drawn by hypothesis from `gen_cases` (deterministic for a seed).

    Hypothesis draws the same small program more than once; duplicates are dropped
    (up to ``4 * n`` draws are made), so every program counts once.
    """
    out: dict[tuple[str, str], GenCase] = {}

    @hseed(seed)
    @settings(max_examples=4 * n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @given(gen_cases())
    def collect(case: GenCase) -> None:
        out.setdefault((case.prog_type, case.text), case)
        if len(out) >= n:
            raise _Enough

    try:
        collect()
    except _Enough:
        pass
    return iter(out.values())


def shrink(text: str, keep: Callable[[str], bool], *, budget: float = 20.0) -> str:
    """Delete lines of ``text`` (one, then runs of lines) while ``keep`` holds; ``budget`` s.

    >>> shrink("a\\nb\\nc\\n", lambda t: "b" in t)
    'b\\n'
    """
    lines = text.splitlines()
    deadline = time.monotonic() + budget
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        for width in (4, 2, 1):
            i = 0
            while i < len(lines) and time.monotonic() < deadline:
                trial = lines[:i] + lines[i + width:]
                if trial and keep("\n".join(trial) + "\n"):
                    lines, changed = trial, True
                else:
                    i += 1
    return "\n".join(lines) + "\n"


def minimal_example(outcome: Outcome, *, budget: float = 20.0, message: bool = False) -> Outcome:
    """Shrink ``outcome``'s program while it stays in the same disagreement class
    (the same message-difference class with ``message=True``)."""
    ptype = outcome.case.prog_type
    key = outcome.message_key if message else outcome.key

    def keep(text: str) -> bool:
        try:
            o = check(GenCase(ptype, text), timeout=5.0)
            return (o.message_key if message else o.key) == key
        except PybpfError:  # no longer assembles (a label was deleted...)
            return False

    text = shrink(outcome.case.text, keep, budget=budget)
    return check(GenCase(ptype, text, outcome.case.tags))


@dataclass
class Stats:
    total: int = 0
    agree: int = 0
    kernel_accepted: int = 0
    both_reject: int = 0
    generator_errors: int = 0
    same_error: int = 0
    elapsed: float = 0.0
    pybpf_seconds: float = 0.0
    classes: collections.Counter = field(default_factory=collections.Counter)
    examples: dict[str, Outcome] = field(default_factory=dict)
    msg_classes: collections.Counter = field(default_factory=collections.Counter)
    msg_examples: dict[str, Outcome] = field(default_factory=dict)
    by_template: collections.Counter = field(default_factory=collections.Counter)
    by_type: collections.Counter = field(default_factory=collections.Counter)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return self.agree / self.total if self.total else 0.0


BATCH = 5000


def stream(examples: int, seed: int) -> Iterator[GenCase]:
    """``examples`` distinct programs (0: without end), drawn in batches of `BATCH`: the first
    batch is `cases` of ``seed``, the next ones use ``seed + 1``, ``seed + 2``..."""
    seen: set[tuple[str, str]] = set()
    batch_seed = seed
    while not examples or len(seen) < examples:
        want = BATCH if not examples else min(BATCH, examples - len(seen))
        fresh = 0
        for case in cases(want, batch_seed):
            key = (case.prog_type, case.text)
            if key not in seen and (not examples or len(seen) < examples):
                seen.add(key)
                fresh += 1
                yield case
        if not fresh:
            return
        batch_seed += 1


def run(examples: int, seed: int, duration: float = 0.0, *, progress: bool = False) -> Stats:
    """Run the campaign over ``examples`` programs (0: no limit); stop after ``duration`` s
    if > 0."""
    st = Stats()
    start = time.monotonic()
    for case in stream(examples, seed):
        if duration and time.monotonic() - start > duration:
            break
        try:
            o = check(case)
        except PybpfError as e:  # a generator bug: the program does not assemble
            st.generator_errors += 1
            print(f"generator error: {e}\n{case.text}", file=sys.stderr)
            continue
        st.total += 1
        st.pybpf_seconds += o.pybpf_seconds
        st.slowest = sorted([*st.slowest, (o.pybpf_seconds, case.text)], reverse=True)[:3]
        st.kernel_accepted += o.kernel_accepted
        st.by_template[(case.tags[0].split(":")[0] if case.tags else "?", o.agree)] += 1
        st.by_type[(case.prog_type, o.agree)] += 1
        if o.agree:
            st.agree += 1
            if not o.kernel_accepted:
                st.both_reject += 1
                st.same_error += o.same_error
                if o.message_key:
                    st.msg_classes[o.message_key] += 1
                    st.msg_examples.setdefault(o.message_key, o)
        else:
            st.classes[o.key] += 1
            old = st.examples.get(o.key)
            if old is None or len(case.text) < len(old.case.text):
                st.examples[o.key] = o
        if progress and st.total % 250 == 0:
            print(f"{st.total}: agreement {st.agreement:.2%}, {len(st.classes)} classes, "
                  f"{time.monotonic() - start:.0f} s", flush=True)
    st.elapsed = time.monotonic() - start
    return st


def summary(st: Stats) -> str:
    lines = [f"programs: {st.total} in {st.elapsed:.1f} s (pybpf verify {st.pybpf_seconds:.1f} s)",
             f"kernel accepted: {st.kernel_accepted} ({st.kernel_accepted / max(st.total, 1):.1%})",
             f"verdict agreement: {st.agree}/{st.total} = {st.agreement:.2%}",
             f"both reject: {st.both_reject}, same insn and message: {st.same_error} "
             f"({st.same_error / max(st.both_reject, 1):.1%})"]
    for key, n in st.classes.most_common():
        lines.append(f"  {n:5d}  {key}")
    return "\n".join(lines)


HISTORY = "## Campaign history"
#: a hand-written section (causes of the classes) that campaign runs keep as it is
NOTES = "## Analysis (by hand, kept across runs)"
#: message-difference classes given a (shrunk) example in the report
MESSAGE_EXAMPLES = 10


def _agreement_table(title: str, what: str, counts: collections.Counter) -> list[str]:
    rows = [title, "", f"| {what} | programs | agree |", "| --- | ---: | ---: |"]
    for name in sorted({n for n, _ in counts}):
        total = counts[name, True] + counts[name, False]
        rows.append(f"| {name} | {total} | {counts[name, True] / total:.1%} |")
    return [*rows, ""]


def _block(o: Outcome) -> list[str]:
    kmsg = o.kernel_message or "(accepted)"
    pmsg = "(accepted)" if o.pybpf_accepted else (o.pybpf_message or "")
    return [f"Program type `{o.case.prog_type}`; tags: {', '.join(o.case.tags) or '-'}", "",
            "```", o.case.text.rstrip(), "```", "",
            f"- kernel: {'accepts' if o.kernel_accepted else 'rejects'} "
            f"(insn {o.kernel_insn}): `{kmsg.replace(chr(10), ' / ')}`",
            f"- pybpf: {'accepts' if o.pybpf_accepted else 'rejects'} "
            f"(insn {o.pybpf_insn}, class {o.pybpf_class}): `{pmsg.replace(chr(10), ' / ')}`", ""]


def write_report(path: Path, st: Stats, command: str, minimal: dict[str, Outcome]) -> None:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    history: list[str] = []
    notes: list[str] = []
    c_section: list[str] = []  # fuzz/c_vs_kernel.py's section, kept as it is
    if path.exists():
        text = path.read_text()
        begin, end = "<!-- c_vs_kernel: begin -->", "<!-- c_vs_kernel: end -->"
        if begin in text and end in text:
            c_section = [begin + text.split(begin, 1)[1].split(end, 1)[0] + end, ""]
        old = text.split(HISTORY, 1)
        if len(old) == 2:
            history = [ln for ln in old[1].splitlines() if ln.startswith("- ")]
        if NOTES in text:  # the hand-written analysis is kept across runs
            notes = text.split(NOTES, 1)[1].split("\n## ", 1)[0].strip("\n").splitlines()
    history.append(f"- {now}: `{command}`: {st.total} programs in {st.elapsed:.0f} s, "
                   f"agreement {st.agreement:.2%}, {sum(st.classes.values())} disagreements in "
                   f"{len(st.classes)} classes, kernel accepted {st.kernel_accepted}")
    out = [
        "# pybpf verifier vs the kernel: differences",
        "",
        "Generated by `fuzz/verifier_vs_kernel.py` (the CI runs a 300-program version,",
        "tests/verifier/test_verifier_vs_kernel.py). Programs come from the hypothesis strategy",
        "`tests/verifier/gen_programs.py`: one to three blocks from structured templates with",
        "random parameters (map lookups with and without NULL checks, stack accesses at random",
        "offsets and widths, packet accesses with correct / off-by-one / missing `data_end` checks,",
        "pointer arithmetic with bounded and unbounded scalars, counter and `may_goto` loops,",
        "bpf-to-bpf calls, helper arguments right and wrong, ring buffer reserve/submit/discard/leak,",
        "context fields, pointer ALU, spilled bounded scalars, LD_ABS/LD_IND, tail calls, unknown",
        "scalars through ALU and branch refinements, odd return values), in socket_filter, xdp,",
        "sched_cls, cgroup_skb, tracepoint, raw_tracepoint, perf_event and cgroup_sock (the",
        "templates that fit each type); about one block in four carries a mistake. Each distinct",
        "program is verified by pybpf and loaded into the running kernel (root, so privileged",
        "verifier rules).",
        "",
        "Every verdict disagreement class is listed below with its count, a minimal reproducer",
        "(shrunk line by line while it stays in its class), the kernel's message and pybpf's",
        "verdict. The file is rewritten by every campaign run (history at the end).",
        "",
        "## Last campaign",
        "",
        f"- when: {now}, kernel {os.uname().release}",
        f"- command: `{command}`",
        f"- programs: **{st.total}** in {st.elapsed:.0f} s (pybpf's verifier: "
        f"{st.pybpf_seconds:.0f} s of it)",
        f"- generator errors (programs that did not assemble): {st.generator_errors}",
        f"- kernel accepted {st.kernel_accepted} ({st.kernel_accepted / max(st.total, 1):.1%})",
        f"- **verdict agreement: {st.agree}/{st.total} = {st.agreement:.2%}**",
        f"- both rejected: {st.both_reject}; same instruction and message: {st.same_error} "
        f"({st.same_error / max(st.both_reject, 1):.1%})",
        "",
        *_agreement_table("Agreement by program type:", "type", st.by_type),
        *_agreement_table("Agreement by the first template of the program:", "template",
                          st.by_template),
        NOTES,
        "",
        *(notes or ["(none yet)"]),
        "",
        "## Verdict disagreements by class",
        "",
        "A class is the direction plus the rejecting side's last message line with numbers "
        "blanked (N).",
        "",
        "| count | class |",
        "| ---: | --- |",
    ]
    out += [f"| {n} | {k.replace('|', '/')} |" for k, n in st.classes.most_common()]
    if not st.classes:
        out.append("| 0 | none |")
    out.append("")
    for i, (key, n) in enumerate(st.classes.most_common(), 1):
        o = minimal.get(key, st.examples[key])
        out += [f"### D{i}. {key} ({n})", "", *_block(o)]
    out += ["## Rejected by both, different instruction or message", "",
            "Not verdict disagreements; listed so the message texts can be aligned.", "",
            "| count | difference |", "| ---: | --- |"]
    out += [f"| {n} | {k.replace('|', '/')} |" for k, n in st.msg_classes.most_common()]
    out.append("")
    for i, (key, _n) in enumerate(st.msg_classes.most_common(MESSAGE_EXAMPLES), 1):
        o = minimal.get("message:" + key, st.msg_examples[key])
        out += [f"### M{i}. {key}", "", *_block(o)]
    out += [*c_section, HISTORY, "", *history, ""]
    path.write_text("\n".join(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=None,
                    help="programs to generate (default 1000; no limit when --duration is given)")
    ap.add_argument("--duration", type=float, default=0.0, help="stop after S seconds (0: no limit)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed")
    ap.add_argument("--report", type=Path, default=ROOT / "docs" / "verifier-differences.md")
    ap.add_argument("--no-report", action="store_true", help="do not write the report")
    ap.add_argument("--shrink-budget", type=float, default=20.0,
                    help="seconds to shrink each class's example")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("needs root (loads programs into the kernel)", file=sys.stderr)
        return 2
    if args.examples is None:
        args.examples = 0 if args.duration else 1000
    st = run(args.examples, args.seed, args.duration, progress=True)
    print(summary(st))
    if args.no_report:
        return 0
    minimal = {k: minimal_example(o, budget=args.shrink_budget) for k, o in st.examples.items()}
    for key, _n in st.msg_classes.most_common(MESSAGE_EXAMPLES):
        minimal["message:" + key] = minimal_example(st.msg_examples[key], message=True,
                                                    budget=args.shrink_budget / 2)
    command = "fuzz/verifier_vs_kernel.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_report(args.report, st, command.strip(), minimal)
    print(f"report: {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
