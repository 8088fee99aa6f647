"""The Python examples of the user documentation run, so the docs cannot rot.

A fenced ```python block is tested when the line just before it is ``<!-- test -->``
(no kernel needed) or ``<!-- test kernel -->`` (needs bpf() or the kernel's BTF: marked
``kernel``); a block that runs clang-19 is also marked ``clang``.
A block written as a doctest (``>>>`` prompts) must print what it shows (ELLIPSIS
and NORMALIZE_WHITESPACE are on); any other block is executed and must not raise
(write ``assert``s in it). Each block runs on its own, from the repository root.
"""
from __future__ import annotations

import doctest
import linecache
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: the pages whose examples are tested (the docs team owns these)
PAGES = ["README.md"] + [f"docs/{n}.md" for n in
                         ("index", "assembler", "kernel", "elf", "verifier", "cli", "testing", "kernels",
                          "dsl", "testing-programs", "vm", "viewer", "deploy")]

_MARK = re.compile(r"^<!--\s*test(\s+kernel)?\s*-->\s*$")


def extract(text: str) -> list[tuple[int, bool, str]]:
    """``(line, needs_kernel, source)`` of every marked python block of a Markdown text.

    >>> extract("<!-- test -->\\n```python\\nx = 1\\n```\\n")
    [(2, False, 'x = 1\\n')]
    """
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines) - 1:
        m = _MARK.match(lines[i])
        if m and lines[i + 1].strip() == "```python":
            start = i + 2
            end = start
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if end == len(lines):
                raise ValueError(f"line {i + 2}: unterminated ```python block")
            blocks.append((i + 2, bool(m.group(1)), "\n".join(lines[start:end]) + "\n"))
            i = end
        i += 1
    return blocks


def _cases() -> list:
    cases = []
    for page in PAGES:
        path = ROOT / page
        if not path.exists():
            continue
        for line, kernel, source in extract(path.read_text()):
            marks = [pytest.mark.kernel] if kernel else []
            if "clang-19" in source:  # compiles C: needs the LLVM oracle too
                marks.append(pytest.mark.clang)
            cases.append(pytest.param(page, line, source, marks=marks, id=f"{page}:{line}"))
    return cases


def run_block(name: str, source: str) -> None:
    """Run one block: as a doctest when it has ``>>>`` prompts, else as a script."""
    if source.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(source, {"__name__": "__docs__"}, name, name, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        out: list[str] = []
        runner.run(test, out=out.append)
        assert runner.failures == 0, "".join(out)
    else:  # the block's lines are findable, as the DSL compiles functions from their source
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        exec(compile(source, name, "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize(("page", "line", "source"), _cases())
def test_doc_example(page: str, line: int, source: str) -> None:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        run_block(f"{page}:{line}", source)
    finally:
        os.chdir(cwd)


def test_extract_finds_marked_blocks_only() -> None:
    text = "```python\nno = 1\n```\n<!-- test kernel -->\n```python\nyes = 2\n```\n<!-- test -->\ntext\n"
    assert extract(text) == [(5, True, "yes = 2\n")]


def test_pages_have_tested_examples() -> None:
    counted = {p: len(extract((ROOT / p).read_text())) for p in PAGES if (ROOT / p).exists()}
    assert sum(counted.values()) > 0, counted


def test_verifier_error_class_table_matches_explain() -> None:
    """docs/verifier.md's error-class table lists exactly pybpf.verifier.report.EXPLAIN, in order."""
    from pybpf.verifier.report import EXPLAIN

    text = (ROOT / "docs" / "verifier.md").read_text()
    table = text[text.index("| class | what it means | how to fix |"):]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(EXPLAIN)
    for row, (explanation, hint) in zip(rows, EXPLAIN.values(), strict=True):
        assert explanation.replace("|", "\\|") in row and hint.replace("|", "\\|") in row, row
