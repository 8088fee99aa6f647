"""eBPF coverage out: a table like ``coverage report``, LCOV, and coverage.py's data file.

- `text_report`: ``Name  Stmts  Miss  Branch  BrPart  Cover  Missing`` per source file, as
  ``coverage report -m`` prints it (missing lines as ranges, partial branches as
  ``line->line``; ``exit`` where a jump leaves the program);
- `write_lcov`: ``DA``/``BRDA`` records that ``genhtml`` and editors' coverage gutters read;
- `write_coverage_data`: a ``.coverage`` SQLite file written with coverage.py's own API
  (``pip install coverage``), with the executed lines of each Python (DSL) source, so
  ``coverage report``/``coverage html`` show which probe lines ran (line coverage: the
  branches coverage.py knows are Python's, not the program's). coverage.py parses the
  sources itself, so C and assembly files belong in the LCOV file.

>>> from pybpf.coverage.collect import FileCoverage
>>> f = FileCoverage("probe.py", lines={1, 2, 3, 5}, executed={1, 2, 5})
>>> print(text_report({"probe.py": f}, show_missing=True))
Name       Stmts   Miss Branch BrPart  Cover   Missing
------------------------------------------------------
probe.py       4      1      0      0    75%   3
------------------------------------------------------
TOTAL          4      1      0      0    75%
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import PybpfError
from .collect import FileCoverage


def _ranges(lines: Iterable[int], all_lines: Iterable[int]) -> list[str]:
    """Missing lines as coverage.py prints them: runs of consecutive *executable* lines."""
    order = sorted(all_lines)
    missing = set(lines)
    out: list[str] = []
    start = prev = None
    for ln in order:
        if ln in missing:
            if start is None:
                start = ln
            prev = ln
        elif start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
    if start is not None:
        out.append(str(start) if start == prev else f"{start}-{prev}")
    return out


def _missing_text(f: FileCoverage) -> str:
    parts = _ranges(f.missing, f.lines)
    arcs = [f"{a}->{b if b is not None else 'exit'}" for a, b in f.missing_arcs()]
    return ", ".join(parts + arcs)


def _short(name: str) -> str:
    try:
        rel = os.path.relpath(name)
    except ValueError:
        return name
    return rel if not rel.startswith("..") else name


def text_report(files: Mapping[str, FileCoverage], *, show_missing: bool = True,
                skip_covered: bool = False) -> str:
    """The table (see the module docstring); the last line is the total."""
    names = {n: _short(n) for n in files}
    width = max([len("Name"), len("TOTAL")] + [len(v) for v in names.values()])
    head = f"{'Name':<{width}}   Stmts   Miss Branch BrPart  Cover"
    if show_missing:
        head += "   Missing"
    rule = "-" * len(head)
    rows = [head, rule]
    tot = [0, 0, 0, 0, 0, 0]  # stmts, miss, branches, brpart, executed, taken
    for name in sorted(files, key=lambda n: names[n]):
        f = files[name]
        stmts, miss = len(f.lines), len(f.missing)
        br, part = f.branches, len(f.partial_lines())
        if skip_covered and not miss and not part:
            continue
        row = f"{names[name]:<{width}}  {stmts:6d} {miss:6d} {br:6d} {part:6d}  {_pct(f.percent)}"
        if show_missing:
            row += f"   {_missing_text(f)}"
        rows.append(row.rstrip())
        for i, v in enumerate((stmts, miss, br, part, len(f.executed), f.branches_taken)):
            tot[i] += v
    total = tot[0] + tot[2]
    pct = 100.0 * (tot[4] + tot[5]) / total if total else 100.0
    rows += [rule, f"{'TOTAL':<{width}}  {tot[0]:6d} {tot[1]:6d} {tot[2]:6d} {tot[3]:6d}  {_pct(pct)}"]
    return "\n".join(rows)


def _pct(p: float) -> str:
    # like coverage.py: never show 100% unless everything is covered, nor 0% unless nothing
    shown = int(p) if 0 < p < 100 else round(p)
    return f"{shown:4d}%"


def total_percent(files: Mapping[str, FileCoverage]) -> float:
    n = sum(len(f.lines) + f.branches for f in files.values())
    got = sum(len(f.executed) + f.branches_taken for f in files.values())
    return 100.0 * got / n if n else 100.0


def lcov(files: Mapping[str, FileCoverage], *, test_name: str = "") -> str:
    """The LCOV tracefile text of ``files``."""
    out: list[str] = []
    for name in sorted(files):
        f = files[name]
        out += [f"TN:{test_name}", f"SF:{os.path.abspath(name) if not name.startswith('<') else name}"]
        for i, b in enumerate(sorted(f.branch_list, key=lambda b: b.line)):
            ran = b.line in f.executed
            for j, hit in enumerate((b.taken, b.not_taken)):
                out.append(f"BRDA:{b.line},{i},{j},{int(hit) if ran else '-'}")
        for ln in sorted(f.lines):
            out.append(f"DA:{ln},{1 if ln in f.executed else 0}")
        out += [f"BRF:{f.branches}", f"BRH:{f.branches_taken}", f"LF:{len(f.lines)}",
                f"LH:{len(f.executed)}", "end_of_record"]
    return "\n".join(out) + "\n"


def write_lcov(files: Mapping[str, FileCoverage], path: str | Path) -> Path:
    """Write the LCOV file; returns its path."""
    p = Path(path)
    p.write_text(lcov(files))
    return p


def write_coverage_data(files: Mapping[str, FileCoverage], path: str | Path = ".coverage", *,
                        all_files: bool = False) -> Path:
    """Write coverage.py's data file (its SQLite format, through its own ``CoverageData``)
    with the executed lines of the Python sources in ``files`` (every file with
    ``all_files=True``); returns its path. Needs ``pip install coverage``."""
    try:
        from coverage import CoverageData
    except ImportError:
        raise PybpfError("writing coverage.py data needs the coverage package "
                         "(pip install coverage); LCOV needs nothing") from None
    p = Path(path)
    data = CoverageData(basename=str(p))
    lines: dict[str, set[int]] = {}
    for name, f in files.items():
        if name.startswith("<") or not (all_files or name.endswith(".py")):
            continue
        lines[os.path.abspath(name)] = set(f.executed)
    data.add_lines(lines)
    data.write()
    return p
