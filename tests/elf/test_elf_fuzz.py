"""A short run of fuzz/elf_fuzz.py: mutated objects give a result or a pybpf error."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.clang

_PATH = Path(__file__).resolve().parents[2] / "fuzz" / "elf_fuzz.py"


def _harness():
    spec = importlib.util.spec_from_file_location("elf_fuzz", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_mutated_objects_never_crash_the_parser(tmp_path):
    fz = _harness()
    seeds = fz.build_seeds(tmp_path)
    total, findings = fz.campaign(seeds, cases=1500, duration=None, seed=7)
    assert total == 1500
    assert findings == [], findings[0][1]


def test_harness_reports_an_unexpected_exception(monkeypatch):
    """The harness itself can fail: a parser that raises something else is a finding."""
    fz = _harness()

    def broken(data, name=None):
        raise IndexError("deep inside")

    monkeypatch.setattr(fz, "read_object", broken)
    assert "IndexError" in fz.check_one(b"\x7fELF")
