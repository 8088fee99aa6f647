"""Wrong probes: every mistake is one DslError at the marked Python line, naming the mistake."""

from __future__ import annotations

import inspect
import re

import pytest

from pybpf.dsl import compile_probe
from pybpf.errors import DslError

from . import wrong_probes

CASES = [fn for name, fn in vars(wrong_probes).items()
         if inspect.isfunction(fn) and fn.__module__ == wrong_probes.__name__
         and not name.startswith("_")]


def _expected(fn):
    lines, first = inspect.getsourcelines(fn)
    for text in lines:
        m = re.search(r"# ERR-IN: (\w+)", text)
        if m:  # the mistake is in an inlined function: reported at that function's line
            return _expected(getattr(wrong_probes, m.group(1)))
    for i, text in enumerate(lines):
        m = re.search(r"# ERR: (.*)$", text)
        if m:
            return first + i, m.group(1).strip(), text.split("#")[0].rstrip()
    raise AssertionError(f"{fn.__name__} has no # ERR: marker")


def test_there_are_at_least_forty_mistakes():
    assert len(CASES) >= 40


def _case(fn):  # a tracepoint probe's mistakes are found once its format is read
    section = wrong_probes.SECTIONS.get(fn.__name__, "")
    return pytest.param(fn, marks=pytest.mark.tracefs) if section.startswith("tracepoint/") else fn


@pytest.mark.parametrize("fn", [_case(fn) for fn in CASES], ids=lambda f: f.__name__)
def test_mistake_is_reported_at_its_line(fn):
    line, words, source = _expected(fn)
    section = wrong_probes.SECTIONS.get(fn.__name__, "raw_tracepoint/sys_enter")
    with pytest.raises(DslError) as info:
        compile_probe(fn, section)
    err = info.value
    assert err.line == line, f"{fn.__name__}: reported at line {err.line}, expected {line}:\n{err}"
    assert words in err.message, f"{fn.__name__}: {err.message!r} lacks {words!r}"
    assert err.filename == wrong_probes.__file__
    rendered = str(err)
    assert f"{err.filename}:{line}:" in rendered
    assert source.strip() in rendered  # the code line is quoted, with a caret under it
    assert "^" in rendered.splitlines()[-1]
