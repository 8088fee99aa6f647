"""What a notebook shows for pybpf's objects once `pybpf.viewer` is imported (``%load_ext
pybpf.notebook`` does): a loaded `Program` and a live `Map` as the kernel describes them, a
`ProgramSpec`'s listing, a `Report`'s verdict."""
from __future__ import annotations

import re

import pytest

import pybpf
import pybpf.viewer  # noqa: F401 - registers the drawings

COUNT = """
.map counts array key=4 value=8 max_entries=1
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = counts ll
    call bpf_map_lookup_elem
    r0 = 0
    exit
"""


def test_spec_and_report_without_a_kernel() -> None:
    spec = pybpf.assemble(COUNT)
    listing = spec._repr_html_() or ""
    assert "bpf_map_lookup_elem" in listing and "counts" in listing
    report = pybpf.verify(spec, "socket_filter")
    assert "accepted" in (report._repr_html_() or "")


@pytest.mark.kernel
def test_loaded_program_and_live_map() -> None:
    with pybpf.load(pybpf.assemble(COUNT), "socket_filter") as prog:
        html = prog._repr_html_() or ""
        assert f"id {prog.id}" in html and prog.tag in html
        verified = re.search(r"instructions verified</td><td[^>]*>(\d+)<", html)
        assert verified and int(verified.group(1)) == prog.info().verified_insns
        assert re.search(r"map counts</td><td[^>]*>array<", html)
        prog.maps["counts"][0] = (7).to_bytes(8, "little")
        shown = prog.maps["counts"]._repr_html_() or ""
        assert "counts" in shown and "1 present" in shown
    closed = prog._repr_html_() or ""  # a closed program still draws, saying why
    assert "socket_filter" in closed and 'class="bad"' in closed
