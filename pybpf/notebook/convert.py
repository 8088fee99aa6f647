"""Markdown pages with runnable blocks, and the notebooks made from them.

The tutorial's chapters (``docs/tutorial/*.md``) are the one source: a test runs their
blocks, and `to_notebook` makes the notebook of each chapter, so the two never drift. A
block is runnable when the line before its opening fence is a marker:

- ``<!-- test -->`` (or ``<!-- test kernel -->``: it needs the bpf() syscall) before a
  ````python`` block: Python, a doctest when it starts with ``>>>``;
- ``<!-- bpf OPTIONS -->`` before any fenced block: a ``%%bpf`` cell (`pybpf.notebook`)
  with those options; ``--expect accepted|rejected`` is for the test only.

>>> page = "# T\\n\\nText.\\n\\n<!-- bpf --lang asm --expect accepted -->\\n```text\\nr0 = 0\\nexit\\n```\\n"
>>> [(b.kind, b.options, b.source) for b in blocks(page)]
[('bpf', '--lang asm --expect accepted', 'r0 = 0\\nexit\\n')]
>>> [c["cell_type"] for c in to_notebook(page)["cells"]]
['markdown', 'code', 'code']
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

_TEST = re.compile(r"^<!--\s*test(\s+kernel)?\s*-->\s*$")
_BPF = re.compile(r"^<!--\s*bpf\b(.*?)-->\s*$")
_FENCE = re.compile(r"^(```+)\s*(\S*)")


@dataclass
class Block:
    """One runnable block of a page: ``kind`` is ``python`` or ``bpf``."""

    kind: str
    line: int  # of the opening fence, 1-based
    end: int  # of the closing fence
    source: str
    options: str = ""  # bpf: the cell magic's options
    kernel: bool = False  # python: needs the bpf() syscall

    def magic_line(self) -> str:
        """``%%bpf OPTIONS`` without the test-only ``--expect``."""
        words = shlex.split(self.options)
        kept = []
        skip = False
        for w in words:
            if skip:
                skip = False
                continue
            if w == "--expect":
                skip = True
                continue
            kept.append(shlex.quote(w))
        return " ".join(["%%bpf", *kept])

    def expect(self) -> str | None:
        """``accepted`` or ``rejected`` when the marker says what pybpf must decide."""
        words = shlex.split(self.options)
        return words[words.index("--expect") + 1] if "--expect" in words else None

    def notebook_source(self) -> str:
        if self.kind == "bpf":
            return self.magic_line() + "\n" + self.source.rstrip("\n")
        if self.source.lstrip().startswith(">>>"):
            return _from_doctest(self.source)
        return self.source.rstrip("\n")


def blocks(text: str) -> list[Block]:
    """The runnable blocks of a Markdown page, in order."""
    lines = text.splitlines()
    out = []
    i = 0
    while i < len(lines) - 1:
        test, bpf = _TEST.match(lines[i]), _BPF.match(lines[i])
        fence = _FENCE.match(lines[i + 1])
        if (test or bpf) and fence:
            ticks = fence.group(1)
            end = i + 2
            while end < len(lines) and lines[end].strip() != ticks:
                end += 1
            if end == len(lines):
                raise ValueError(f"line {i + 2}: unterminated {ticks} block")
            source = "\n".join(lines[i + 2:end]) + "\n"
            if bpf:
                out.append(Block("bpf", i + 2, end + 1, source, options=bpf.group(1).strip()))
            elif fence.group(2) == "python":
                out.append(Block("python", i + 2, end + 1, source, kernel=bool(test and test.group(1))))
            i = end
        i += 1
    return out


def _from_doctest(source: str) -> str:
    """The code of a doctest: ``>>>`` and ``...`` lines without their prompts."""
    code = []
    for line in source.splitlines():
        s = line.lstrip()
        if s.startswith(">>> ") or s == ">>>":
            code.append(s[4:])
        elif s.startswith("... ") or s == "...":
            code.append(s[4:])
    return "\n".join(code)


def _markdown_cell(text: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(True)}


def _code_cell(source: str) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": source.splitlines(True)}


def to_notebook(text: str, *, setup: str = "%load_ext pybpf.notebook") -> dict[str, Any]:
    """The notebook (nbformat 4, as a dict) of a Markdown page: its prose as Markdown cells,
    each runnable block as a code cell (``%%bpf`` blocks as ``%%bpf`` cells), after a first
    cell that runs ``setup``."""
    lines = text.splitlines()
    cells = []
    pos = 0
    for b in blocks(text):
        prose = "\n".join(lines[pos:b.line - 2])  # up to the marker line
        prose = re.sub(r"<!--\s*(test|bpf)\b.*?-->", "", prose)
        if prose.strip():
            cells.append(_markdown_cell(prose))
        cells.append(_code_cell(b.notebook_source()))
        pos = b.end
    rest = "\n".join(lines[pos:])
    if rest.strip():
        cells.append(_markdown_cell(rest))
    if setup:
        at = 1 if cells and cells[0]["cell_type"] == "markdown" else 0
        cells.insert(at, _code_cell(setup))
    return {"cells": cells, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 4}


def notebook_text(text: str) -> str:
    """The ``.ipynb`` file of a Markdown page (`to_notebook` as JSON, one stable layout, so a
    committed notebook can be compared with its page)."""
    import json

    return json.dumps(to_notebook(text), indent=1, ensure_ascii=False) + "\n"


def write_notebooks(pages: str, out: str) -> list[str]:
    """Write the notebook of each chapter page ``pages/NN-*.md`` into ``out`` (as
    ``NN-*.ipynb``); returns the paths written.

    ``python -m pybpf.notebook.convert docs/tutorial docs/tutorial/notebooks`` does it for
    the tutorial.
    """
    from pathlib import Path

    dest = Path(out)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for page in sorted(Path(pages).glob("[0-9][0-9]-*.md")):
        path = dest / (page.stem + ".ipynb")
        path.write_text(notebook_text(page.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(str(path))
    return written


__all__ = ["Block", "blocks", "notebook_text", "to_notebook", "write_notebooks"]


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        sys.exit("usage: python -m pybpf.notebook.convert PAGES_DIR OUT_DIR")
    for written_path in write_notebooks(sys.argv[1], sys.argv[2]):
        print(written_path)
