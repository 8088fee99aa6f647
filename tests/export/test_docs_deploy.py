"""docs/deploy.md: its marked examples run (the same rules as tests/test_docs.py) and what it
states about the CLI and the manifests matches them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "deploy.md"
#: ```python blocks preceded by <!-- test -->: (line, source)
BLOCKS = [(m.string.count("\n", 0, m.start(1)) + 1, m.group(1))
          for m in re.finditer(r"^<!-- test -->\n```python\n(.*?)^```$", PAGE.read_text(), re.M | re.S)]


@pytest.mark.parametrize("line,source", BLOCKS)
def test_deploy_page_examples_run(line, source):
    exec(compile(source, f"docs/deploy.md:{line}", "exec"), {"__name__": "__docs__"})


def test_the_page_has_tested_examples_and_its_screenshot():
    assert BLOCKS
    assert (ROOT / "docs" / "deploy-prometheus-graph.png").stat().st_size > 10_000
    text = PAGE.read_text()
    for flag in ("--listen", "--pin", "--keep-pins", "--no-bpf-stats", "--once"):
        assert flag in text
