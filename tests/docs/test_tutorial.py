"""Every runnable block of the tutorial ("eBPF from the inside", docs/tutorial/) runs, in
order, one namespace per chapter, as its notebook would: Python blocks (doctests print what
they show), ``%%bpf`` blocks through `pybpf.notebook.run_cell` (with ``--expect``, pybpf's
verifier must decide that). Each chapter ends with exercises whose answers are blocks here
too. A block marked ``test kernel`` needs bpf(); a C block needs clang-19."""
from __future__ import annotations

import doctest
import linecache
import os
from pathlib import Path
from typing import Any

import pytest

from pybpf.notebook.convert import Block, blocks

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "docs" / "tutorial").glob("[0-9][0-9]-*.md"))
_NAMESPACES: dict[str, dict[str, Any]] = {}


def _cases() -> list[Any]:
    cases = []
    for path in CHAPTERS:
        for b in blocks(path.read_text()):
            marks = []
            if b.kernel or "kernel" in b.options.split():
                marks.append(pytest.mark.kernel)
            if b.kind == "bpf" and "--lang c" in b.options:
                marks.append(pytest.mark.clang)
            cases.append(pytest.param(path.name, b, marks=marks, id=f"{path.stem}:{b.line}"))
    return cases


def run_python(name: str, source: str, ns: dict[str, Any]) -> None:
    if source.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(source, ns, name, name, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        out: list[str] = []
        runner.run(test, out=out.append, clear_globs=False)
        ns.update(test.globs)  # the DocTest ran on a copy: later blocks see its names
        assert runner.failures == 0, "".join(out)
    else:
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        exec(compile(source, name, "exec"), ns)


def run_bpf(block: Block, ns: dict[str, Any]) -> None:
    import shlex

    from pybpf.notebook.cell import run_cell
    from pybpf.notebook.magics import _hex, _parser

    words = shlex.split(block.magic_line())[1:]
    args = _parser().parse_args(words)
    result = run_cell(block.source, lang=args.lang, prog_type=args.prog_type,
                      mem=_hex(args.mem, "--mem"), packet=_hex(args.packet, "--packet"),
                      run=args.run, name=args.name)
    ns["_bpf"] = result
    expect = block.expect()
    if expect is not None:
        verdicts = [r.report.summary for r in result.runs]
        assert result.accepted == (expect == "accepted"), verdicts
    assert result._repr_html_()  # what the notebook shows can be drawn


@pytest.mark.parametrize(("chapter", "block"), _cases())
def test_tutorial_block(chapter: str, block: Block) -> None:
    ns = _NAMESPACES.setdefault(chapter, {"__name__": "__tutorial__"})
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        if block.kind == "bpf":
            run_bpf(block, ns)
        else:
            run_python(f"{chapter}:{block.line}", block.source, ns)
    finally:
        os.chdir(cwd)


def test_chapters_cover_the_syllabus() -> None:
    """Nine chapters, each with runnable blocks and exercises whose answers run."""
    assert len(CHAPTERS) == 9, [c.name for c in CHAPTERS]
    for path in CHAPTERS:
        text = path.read_text()
        assert "## Exercises" in text, path.name
        after = text[text.index("## Exercises"):]
        assert blocks(after), f"{path.name}: the exercises' answers are not runnable blocks"
