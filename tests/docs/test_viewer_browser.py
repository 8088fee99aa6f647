"""The trace viewer in headless Chromium: the pages ``pybpf verify --html`` and ``pybpf run
--html`` write, checked in the DOM, stepped with the keyboard, screenshot, with no console
error and no network request."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .chromium import png_size

#: the fall-through exits; the other side of the jump reads through a register never set
REJECTED = """\
    r0 = *(u32 *)(r1 + 0)
    if r0 > 100 goto big
    r0 = 0
    exit
big:
    r0 = *(u64 *)(r3 + 0)
    exit
"""

#: a loop whose bound the verifier knows only as a range: one path per round
LOOP = """\
    r2 = *(u32 *)(r1 + 0)
    r2 &= 7
    r1 = 0
    r0 = 0
loop:
    r0 += r1
    r1 += 1
    if r1 < r2 goto loop
    exit
"""

#: writes the stack and the memory it was given, then reads a byte back
VM_PROG = """\
    r6 = r1
    *(u64 *)(r10 - 8) = 5
    r2 = *(u64 *)(r10 - 8)
    *(u32 *)(r6 + 0) = r2
    r0 = *(u8 *)(r6 + 1)
    exit
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pybpf", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def _page(tmp_path: Path, name: str, text: str, *args: str) -> Path:
    src = tmp_path / f"{name}.s"
    src.write_text(text)
    out = tmp_path / f"{name}.html"
    cmd = args[0]
    res = _cli(cmd, src.name, *args[1:], "--html", out.name, cwd=tmp_path)
    assert out.exists(), res.stderr
    return out


def _clean(browser) -> None:
    assert browser.errors == [], browser.errors
    assert all(u.startswith(("file:", "data:", "about:")) for u in browser.requests())


def test_rejected_program(browser, tmp_path, shots):
    page = _page(tmp_path, "stack_read", REJECTED, "verify", "--type", "socket_filter")
    browser.open(page.as_uri())
    b = browser
    assert b.eval("document.getElementById('verdict').className") == "rejected"
    assert "rejected at insn 4" in b.eval("document.getElementById('verdict').textContent")
    assert "R3 !read_ok" in b.eval("document.getElementById('verdict').textContent")
    assert b.eval("document.querySelectorAll('tr.insn').length") == 6
    assert b.eval("document.querySelector('tr.insn.fail').dataset.i") == "4"
    # two paths: the fall-through that exits, then the jump's side that fails
    assert b.eval("document.querySelectorAll('#path-list li').length") == 2
    failing = b.eval("document.querySelector('#path-list li.failing').textContent")
    assert "from insn 1" in failing and "rejected at 4" in failing
    assert b.eval("document.body.dataset.step") == "0"
    b.press("ArrowRight")
    b.press("ArrowRight")
    assert b.eval("document.body.dataset.step") == "2"
    b.press("ArrowLeft")
    assert b.eval("document.body.dataset.step") == "1"
    assert b.eval("document.querySelector('tr.insn.current').dataset.i") == "1"
    b.press("f")  # to the failure
    assert b.eval("document.querySelector('tr.insn.current').dataset.i") == "4"
    assert "rejected here" in b.eval("document.getElementById('note').textContent")
    assert "R3" not in b.eval("document.getElementById('regs').textContent")  # never set
    # the failing path alone: entry, the jump, then its other side
    b.press("t")
    b.press("Home")
    path = []
    for _ in range(10):
        path.append(b.eval("document.body.dataset.insn"))
        b.press("ArrowRight")
    assert path[:4] == ["0", "1", "4", "4"] or path[:3] == ["0", "1", "4"], path
    b.press("End")
    shot = b.screenshot(shots / "viewer-rejected.png")
    assert png_size(shot) == (1280, 800)
    _clean(b)


def test_accepted_loop(browser, tmp_path, shots):
    page = _page(tmp_path, "loop", LOOP, "verify", "--type", "socket_filter")
    browser.open(page.as_uri())
    b = browser
    assert b.eval("document.getElementById('verdict').className") == "accepted"
    assert b.eval("document.querySelector('tr.insn.fail')") is None
    paths = b.eval("document.querySelectorAll('#path-list li').length")
    assert paths > 1
    # each later path is the jump's other side, one more round of the loop
    assert b.eval("[...document.querySelectorAll('#path-list li')].slice(1)"
                  ".every(li => /from insn 6/.test(li.textContent))")
    runs = int(b.eval("document.querySelector('tr.insn[data-i=\"6\"] td.hits').textContent"))
    assert runs > 1  # the loop's jump was processed more than once
    steps = int(b.eval("document.getElementById('pos').textContent.match(/\\/ (\\d+)/)[1]"))
    b.press("n")  # the next path starts on another step
    assert int(b.eval("document.body.dataset.step")) > 0
    b.press("End")
    assert int(b.eval("document.body.dataset.step")) == steps - 1
    b.press("Home")
    for _ in range(5):
        b.press("ArrowRight")
    assert b.eval("document.querySelectorAll('#regs tr').length") >= 3
    b.screenshot(shots / "viewer-loop.png")
    _clean(b)


def test_vm_trace(browser, tmp_path, shots):
    page = _page(tmp_path, "vm", VM_PROG, "run", "--mem", "6162636465666768")
    browser.open(page.as_uri())
    b = browser
    assert "r0 = 0x0 (0)" in b.eval("document.getElementById('verdict').textContent")
    assert b.eval("document.querySelectorAll('tr.insn').length") == 6
    b.press("ArrowRight")  # after insn 1: the stack slot holds 5
    assert "stack frame 0" in b.eval("document.getElementById('stack').textContent")
    assert b.eval("document.querySelector('#stack b').textContent") == "05"
    b.press("ArrowRight")
    b.press("ArrowRight")  # after insn 3: mem starts 05 00 00 00
    mem = b.eval("[...document.querySelectorAll('#stack tr')].map(r => r.textContent).join('|')")
    assert "mem+0: 05 00 00 00 65 66 67 68" in mem, mem
    assert "stack frame 0-8: 05 00 00 00 00 00 00 00" in mem, mem
    b.press("ArrowLeft")
    mem = b.eval("[...document.querySelectorAll('#stack tr')].map(r => r.textContent).join('|')")
    assert "mem+0: 61 62 63 64 65 66 67 68" in mem, mem
    b.press("End")
    regs = b.eval("document.getElementById('regs').textContent")
    assert "r6" in regs and "mem+0" in regs
    b.screenshot(shots / "viewer-vm.png")
    _clean(b)


def test_vm_fault_page(browser, tmp_path):
    page = _page(tmp_path, "fault", "r0 = *(u64 *)(r1 + 64)\nexit\n", "run", "--mem", "00")
    browser.open(page.as_uri())
    assert browser.eval("document.getElementById('verdict').className") == "fault"
    browser.press("End")
    assert "fault" in browser.eval("document.getElementById('note').textContent")
    _clean(browser)


@pytest.mark.parametrize("name", ["viewer-rejected.png", "notebook.png"])
def test_screenshots_are_committed_and_shown(name):
    """The screenshots the site shows are in docs/images/ and a page links them."""
    from .conftest import IMAGES, ROOT

    width, height = png_size(IMAGES / name)
    assert width >= 800 and height >= 400
    pages = [p.read_text() for p in (ROOT / "docs").glob("*.md")]
    assert any(f"images/{name}" in text for text in pages)
