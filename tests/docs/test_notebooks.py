"""The tutorial's notebooks (docs/tutorial/notebooks/*.ipynb): made from the chapters'
pages (they never drift), executed headless in a Jupyter kernel (nbclient + ipykernel) with
no error in any cell, ``%%bpf`` cells drawn as HTML; one rendered by nbconvert and
screenshot in headless Chromium (docs/images/notebook.png with PYBPF_UPDATE_SCREENSHOTS=1).

The chapters' kernel blocks load programs, so the notebooks run as a kernel test."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pybpf.notebook.convert import notebook_text

from .chromium import png_size

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs" / "tutorial").glob("[0-9][0-9]-*.md"))
NOTEBOOKS = ROOT / "docs" / "tutorial" / "notebooks"
#: the chapter whose rendered notebook the site shows
SHOWN = "03-maps-helpers"
_EXECUTED: dict[str, Any] = {}


def test_every_chapter_has_its_notebook() -> None:
    """The committed notebooks are what the pages make (regenerate with
    ``python -m pybpf.notebook.convert docs/tutorial docs/tutorial/notebooks``)."""
    assert len(PAGES) == 9
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == [p.stem for p in PAGES]
    for page in PAGES:
        committed = (NOTEBOOKS / f"{page.stem}.ipynb").read_text(encoding="utf-8")
        assert committed == notebook_text(page.read_text(encoding="utf-8")), \
            f"{page.name}: its notebook is out of date"


def _execute(stem: str) -> Any:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return nb


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_notebook_executes_headless(page: Path) -> None:
    nb = _execute(page.stem)
    _EXECUTED[page.stem] = nb
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "a cell did not run"
    errors = [(c.source.splitlines()[0], o.get("ename"), o.get("evalue"))
              for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    stderr = [o.text for c in code for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text]
    assert not stderr, stderr
    for c in code:
        if c.source.startswith("%%bpf"):  # the cell magic shows the verdict and the run as HTML
            html = [o for o in c.outputs if "text/html" in o.get("data", {})]
            assert html, c.source.splitlines()[0]
            text = html[0]["data"]["text/html"]
            assert "pybpf" in text and ("accepted" in text or "rejected" in text)
            assert "pybpf-error" not in text, text[:500]


@pytest.mark.kernel
@pytest.mark.slow
def test_rendered_notebook_screenshot(browser, shots, tmp_path) -> None:
    """A chapter's notebook executed and rendered as Jupyter renders it (nbconvert's lab
    template), its ``%%bpf`` cell in view: the listing, the verdict with the state after
    each instruction, and the VM run."""
    from nbconvert import HTMLExporter

    nb = _EXECUTED.get(SHOWN) or _execute(SHOWN)
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    page = tmp_path / "notebook.html"  # the rendered page itself is not committed
    page.write_text(html, encoding="utf-8")
    browser.open(page.as_uri())
    b = browser
    found = b.eval("(() => { const c = [...document.querySelectorAll('.jp-Cell')]"
                   ".find(c => c.textContent.includes('%%bpf'));"
                   " if (!c) return false; c.scrollIntoView(); return true; })()")
    assert found
    assert b.eval("document.querySelectorAll('.pybpf table').length") >= 2  # verdict, VM run
    assert "accepted" in b.eval("document.querySelector('.pybpf').textContent")
    align = b.eval("getComputedStyle(document.querySelector('.pybpf td')).textAlign")
    assert align == "left"
    shot = b.screenshot(shots / "notebook.png")
    assert png_size(shot) == (1280, 800)
