"""One self-contained HTML page of a recorded run: the viewer.

The page carries its data (JSON), its style and its script inline and loads nothing: it
opens from a file, offline, in any browser. `verifier_page` draws `VerifierRun`s (the
listing with source lines, the abstract state after each processed instruction, the paths
of the search with the failing one highlighted); `vm_page` draws a `VMTrace` (the concrete
registers and memory after each step). Keys: → / j next step, ← / k back, Home / End,
f the failing instruction, n / p next / previous path, t all steps or the failing path only.

>>> from pybpf.asm import assemble
>>> from pybpf.viewer.recording import record_vm
>>> html = vm_page(record_vm(assemble("r0 = 1\\nexit")))
>>> html.startswith("<!doctype html>"), "http" in html.split("<script")[0]
(True, False)
"""
from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

from .recording import VerifierRun, VMTrace

_BODY = """<header><h1 id="title"></h1><select id="program" aria-label="program"></select>
<div id="verdict"></div><p id="why"></p></header>
<nav><button id="first" title="Home">&#xAB; first</button><button id="prev" title="&#x2190; or k">&#x25C0;</button>
<span id="pos"></span><button id="next" title="&#x2192; or j">&#x25B6;</button>
<button id="last" title="End">last &#xBB;</button><button id="fail" title="f">go to the failure</button>
<button id="mode" title="t"></button>
<span class="keys">&#x2192;/j next &#xB7; &#x2190;/k back &#xB7; Home/End &#xB7; f failure &#xB7; n/p next/previous path &#xB7; t failing path only</span></nav>
<main><section id="listing"><table id="listing-table"></table></section>
<section id="state"><div id="note"></div><h2>Registers</h2><table id="regs"></table>
<h2 id="stack-h">Stack</h2><table id="stack"></table></section></main>
<section id="paths"><h2>Paths explored <span id="path-count"></span></h2><ol id="path-list"></ol></section>
"""


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    # inside <script>, "</" would end the element and "<!--" open a comment
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def render(runs: list[dict[str, Any]], title: str) -> str:
    """The page for ``runs`` (each a ``to_json()`` of a `VerifierRun` or `VMTrace`)."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>\n{_asset('viewer.css')}</style></head>\n"
            f"<body>\n{_BODY}<script type=\"application/json\" id=\"pybpf-data\">"
            f"{_json_for_script({'runs': runs})}</script>\n<script>\n{_asset('viewer.js')}</script>\n"
            "</body></html>\n")


def verifier_page(runs: VerifierRun | list[VerifierRun]) -> str:
    """The page of one or more verifier runs (several: a program selector)."""
    items = runs if isinstance(runs, list) else [runs]
    name = items[0].listing.name if len(items) == 1 else f"{len(items)} programs"
    return render([r.to_json() for r in items], f"pybpf verifier: {name or 'program'}")


def vm_page(trace: VMTrace) -> str:
    """The page of one VM run."""
    return render([trace.to_json()], f"pybpf VM run: {trace.listing.name or 'program'}")


def write_page(path: str | Path, page: str) -> Path:
    """Write ``page`` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out


__all__ = ["render", "verifier_page", "vm_page", "write_page"]
