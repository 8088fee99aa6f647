"""What every fuzz campaign shares: recorded choices, shrinking, classes of findings, reports.

- `Recorder` draws like ``random.Random.randint`` and remembers every choice, so a case
  is its list of choices; `Replayer` draws them back (past the end: the low bound), so a
  shorter or smaller list is a smaller case of the same generator, valid by construction;
- `shrink_choices` minimises a failing list of choices the way hypothesis does (drop a
  tail, drop chunks, lower each choice to its bound, halve it) while the case stays in
  its class; `shrink_bytes` minimises a mutated input toward the seed it came from;
- `Findings` files each finding under its class (its kind and message with numbers
  blanked), keeps the first example and its shrunk form, and counts;
- `rate` and `markdown` write the numbers a campaign reports (cases per second, findings
  by class).

>>> import random
>>> rec = Recorder(random.Random(1))
>>> a = [rec.draw(0, 9) for _ in range(3)]
>>> Replayer(rec.choices).draw(0, 9) == a[0]
True
>>> def big(c):
...     r = Replayer(c)
...     return sum(r.draw(0, 9) for _ in range(3)) >= 5
>>> shrink_choices([7, 3, 9], big)
[5]
>>> normalize("R3 invalid mem access 'scalar' at insn 17, off=-520")
"R# invalid mem access 'scalar' at insn #, off=-#"
"""

from __future__ import annotations

import collections
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Recorder:
    """``draw(lo, hi)`` from ``rng``, every answer kept in ``choices`` (as offsets from lo)."""

    def __init__(self, rng: Any) -> None:
        self.rng = rng
        self.choices: list[int] = []

    def draw(self, lo: int, hi: int) -> int:
        v = self.rng.randint(lo, hi)
        self.choices.append(v - lo)
        return v


class Replayer:
    """``draw(lo, hi)`` answering from recorded ``choices`` (clamped to the range; the low
    bound once they run out)."""

    def __init__(self, choices: list[int]) -> None:
        self.choices = choices
        self.i = 0

    def draw(self, lo: int, hi: int) -> int:
        c = self.choices[self.i] if self.i < len(self.choices) else 0
        self.i += 1
        return lo + min(max(c, 0), hi - lo)


def shrink_choices(choices: list[int], fails: Callable[[list[int]], bool], *,
                   budget: float = 60.0) -> list[int]:
    """The smallest list of choices found (within ``budget`` seconds) for which ``fails``
    still holds: shorter first, then smaller values."""
    best = list(choices)
    deadline = time.monotonic() + budget

    def attempt(cand: list[int]) -> bool:
        nonlocal best
        if time.monotonic() > deadline or cand == best:
            return False
        try:
            ok = fails(cand)
        except Exception:  # noqa: BLE001 - a candidate that breaks differently is no smaller
            ok = False
        if ok:
            best = cand
        return ok

    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        # drop the tail (later choices default to their low bound)
        n = len(best)
        while n > 0 and attempt(best[:n // 2]):
            improved, n = True, len(best)
        # drop chunks, big ones first
        size = max(len(best) // 4, 1)
        while size >= 1:
            i = 0
            while i < len(best):
                if attempt(best[:i] + best[i + size:]):
                    improved = True
                else:
                    i += size
            size //= 2
        # lower each choice: the smallest value that still fails (a binary search)
        for i in range(len(best)):
            lo, hi = 0, best[i]
            while lo < hi and time.monotonic() < deadline:
                mid = (lo + hi) // 2
                if attempt(best[:i] + [mid] + best[i + 1:]):
                    improved, hi = True, mid
                else:
                    lo = mid + 1
    return best


def shrink_bytes(data: bytes, seed: bytes, fails: Callable[[bytes], bool], *,
                 budget: float = 30.0) -> bytes:
    """``data`` with as many of its differences from ``seed`` undone as keep ``fails``
    true, then as short as it can be cut (within ``budget`` seconds)."""
    best = bytes(data)
    deadline = time.monotonic() + budget

    def attempt(cand: bytes) -> bool:
        nonlocal best
        if time.monotonic() > deadline or cand == best:
            return False
        try:
            ok = fails(cand)
        except Exception:  # noqa: BLE001
            ok = False
        if ok:
            best = cand
        return ok

    if len(best) == len(seed):  # undo the mutated bytes, in runs
        diff = [i for i in range(len(best)) if best[i] != seed[i]]
        chunk = max(len(diff) // 2, 1)
        while chunk >= 1 and time.monotonic() < deadline:
            for k in range(0, len(diff), chunk):
                part = diff[k:k + chunk]
                cand = bytearray(best)
                for i in part:
                    cand[i] = seed[i]
                attempt(bytes(cand))
            diff = [i for i in range(len(best)) if best[i] != seed[i]]
            chunk //= 2
    n = len(best)
    while n > 64 and attempt(best[:n * 3 // 4]):
        n = len(best)
    return best


_NUMBER = re.compile(r"(?<![A-Za-z_])(?:0x[0-9a-fA-F]+|\d+)|(?<=R)\d+")


def normalize(message: str) -> str:
    """A message with its numbers (and register numbers) blanked, so equal mistakes share
    a class."""
    return _NUMBER.sub("#", message.strip().splitlines()[-1] if message.strip() else "")


@dataclass
class Finding:
    """One class of findings: how many, the first case and its shrunk form."""

    key: str
    count: int = 0
    case: Any = None
    detail: str = ""
    shrunk: Any = None
    shrunk_detail: str = ""


@dataclass
class Findings:
    """Findings filed by class (see the module docstring)."""

    classes: dict[str, Finding] = field(default_factory=dict)
    counts: collections.Counter = field(default_factory=collections.Counter)

    def add(self, key: str, case: Any, detail: str) -> Finding | None:
        """File a finding; the new `Finding` when its class is new (to shrink), else None."""
        self.counts[key] += 1
        f = self.classes.get(key)
        if f is None:
            f = self.classes[key] = Finding(key, 1, case, detail)
            return f
        f.count += 1
        return None

    def __len__(self) -> int:
        return sum(self.counts.values())


def rate(n: int, seconds: float) -> str:
    return f"{n / max(seconds, 1e-9):.1f}/s"


def markdown(title: str, findings: Findings, show: Callable[[Any], str]) -> list[str]:
    """Lines of a report section: every class with its count, example and shrunk example."""
    lines = [f"### {title}", ""]
    if not findings.classes:
        return lines + ["None.", ""]
    lines += ["| count | class |", "| ---: | --- |"]
    lines += [f"| {f.count} | {f.key.replace('|', '/')} |" for f in
              sorted(findings.classes.values(), key=lambda f: -f.count)]
    lines.append("")
    for f in findings.classes.values():
        lines += [f"#### {f.key}", "", f.detail, ""]
        if f.shrunk is not None:
            lines += ["Shrunk:", "", "```", show(f.shrunk).rstrip(), "```", "", f.shrunk_detail, ""]
        else:
            lines += ["```", show(f.case).rstrip(), "```", ""]
    return lines
