"""``make docs`` in the suite: the Sphinx site builds from docs/ with warnings as errors (a
broken internal link or anchor, a missing image or page, a docstring Sphinx cannot read),
its API reference has an entry for every name of every package's ``__all__``, and the
pages show the screenshots the issue asks for."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    # the same command as `make docs`, into a temporary directory
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going",
                           "-q", "-d", str(out / "doctrees"), "docs", str(out / "html")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert not proc.stderr.strip(), proc.stderr[-4000:]
    return out / "html"


def _inventory(site: Path) -> dict[str, Any]:
    from sphinx.util.inventory import InventoryFile

    inv = InventoryFile.loads((site / "objects.inv").read_bytes(), uri="")
    return {name: kind for kind, objs in inv.data.items() for name in objs}


@pytest.mark.slow
def test_api_reference_covers_every_public_name(site: Path) -> None:
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        from apiref import public_packages
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    documented = _inventory(site)
    wanted = [f"{pkg}.{name}" for pkg, names in public_packages().items() for name in names]
    assert len(wanted) > 300  # every package of pybpf with an __all__
    missing = [n for n in wanted if n not in documented]
    assert not missing, missing
    for pkg in public_packages():
        assert (site / "api" / f"{pkg}.html").exists(), pkg


@pytest.mark.slow
def test_every_page_is_on_the_site(site: Path) -> None:
    pages = [p.relative_to(ROOT / "docs").with_suffix(".html")
             for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts]
    missing = [str(p) for p in pages if not (site / p).exists()]
    assert not missing, missing
    for n in range(1, 10):  # the nine chapters, linked from the tutorial's index
        assert re.search(rf'href="0{n}-[^"]+\.html"', (site / "tutorial" / "index.html").read_text())


@pytest.mark.slow
def test_every_internal_link_resolves(site: Path) -> None:
    """What Sphinx checked (-W), checked again on the output: every relative href and src
    of every page names a file of the site, and every #anchor an id of that file."""
    ids: dict[Path, set[str]] = {}

    def ids_of(page: Path) -> set[str]:
        if page not in ids:
            ids[page] = set(re.findall(r'\bid="([^"]+)"', page.read_text(errors="replace")))
        return ids[page]

    broken = []
    checked = 0
    for page in site.rglob("*.html"):
        if page.parent.name == "_modules":
            continue
        text = page.read_text(errors="replace")
        for url in re.findall(r'\b(?:href|src)="([^"]+)"', text):
            if re.match(r"[a-z]+:", url) or url.startswith("//"):
                continue  # external, mailto:, data:
            path, _, anchor = url.partition("#")
            path = path.split("?")[0]  # _static/x.css?v=...
            target = (page.parent / path).resolve() if path else page
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {url}")
            elif anchor and target.suffix == ".html" and anchor not in ids_of(target):
                broken.append(f"{page.relative_to(site)}: {url} (no such anchor)")
    assert checked > 1000
    assert not broken, broken[:50]


@pytest.mark.slow
@pytest.mark.parametrize(("page", "image"), [("notebooks.html", "notebook.png"),
                                             ("viewer.html", "viewer-rejected.png")])
def test_screenshots_are_shown(site: Path, page: str, image: str) -> None:
    html = (site / page).read_text()
    src = re.search(rf'<img[^>]+src="([^"]*{re.escape(image)})"', html)
    assert src, f"{page} does not show {image}"
    assert (site / src.group(1)).exists()


@pytest.mark.slow
def test_notebooks_are_downloadable(site: Path) -> None:
    html = (site / "notebooks.html").read_text()
    links = re.findall(r'href="(_downloads/[^"]+\.ipynb)"', html)
    assert len(links) == 9
    assert all((site / link).exists() for link in links)


def test_readme_first_screen_names_the_four_uses_and_links_the_tutorial() -> None:
    first_screen = (ROOT / "README.md").read_text().splitlines()[:25]
    uses = [line for line in first_screen if re.match(r"[1-4]\. \*\*", line)]
    assert len(uses) == 4, uses
    assert any("(docs/tutorial/index.md)" in line for line in first_screen)
