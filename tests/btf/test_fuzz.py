"""A short run of fuzz/btf_fuzz.py: mutated BTF and .BTF.ext blobs give a result or a
BtfError naming a type id or offset; no other exception, no slow input."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "fuzz" / "btf_fuzz.py"


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("btf_fuzz", HARNESS)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_seed_is_clean(fuzz):
    blob, ext = fuzz.seed_btf()
    assert fuzz.exercise(blob, ext) == 28  # every seed type decodes


def test_harness_catches_unnamed_errors(fuzz):
    from pybpf.errors import BtfError

    def bad() -> None:
        raise BtfError("no location")

    with pytest.raises(fuzz.UnnamedError):
        fuzz._attempt(bad)


def test_short_campaign(fuzz):
    assert fuzz.campaign(250, max_seconds=2.0) == 250


def test_sanitize_refuses_a_datasec_too_far_for_a_struct():
    """Found by the atheris campaign: a variable at byte offset >= 2**29 has a bit offset
    beyond u32, which the struct standing in for the datasec (kernels without datasec)
    cannot hold. That is a BtfError naming the datasec, not a struct.error."""
    from pybpf.btf import Btf, BtfBuilder, Features, sanitize
    from pybpf.errors import BtfError

    b = BtfBuilder()
    i = b.add_int("int", 4, 1)
    v = b.add_var("far", i)
    sec = b.add_datasec(".data", 1 << 30, [(v, 1 << 29, 4)])
    with pytest.raises(BtfError, match="far") as ei:
        sanitize(Btf(b.encode()), Features.none())
    assert ei.value.type_id == sec
