"""The kernel-image cache of the vmtest harness (``tools/vmtest/cache.py``), on the running
kernel: a unit is loaded once per image, a changed program is a new unit, ``live`` units are
loaded every time, and the answers read back are the kernel's own."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pybpf.asm import assemble  # noqa: E402
from tools.vmtest import cache, vm  # noqa: E402
from tools.vmtest.batch import Batch  # noqa: E402

pytestmark = pytest.mark.kernel


def _batch(second: str) -> Batch:
    b = Batch()
    b.add_program("ok", assemble(".map m hash key=4 value=8 max_entries=4\nr1 = m ll\nr0 = 0\nexit"),
                  "socket_filter")
    b.add_program("second", assemble(second), "socket_filter")
    return b


def test_units_are_loaded_once_per_image(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PYBPF_VMTEST_CACHE", str(tmp_path))
    monkeypatch.delenv("PYBPF_VMTEST_NO_CACHE", raising=False)
    b = _batch("r0 = r5\nexit")
    _run, first, outcome = cache.run(vm.NATIVE, b)
    assert (outcome.loaded, outcome.cached) == (2, 0)
    assert cache.cache_file(vm.NATIVE).exists()
    refused = first[b.programs["second"]]
    assert refused.ret < 0 and "R5 !read_ok" in refused.log
    assert first[b.programs["ok"]].ret >= 0

    # the same bytes: answered from the file, with the kernel's answers of the first run
    run, again, outcome = cache.run(vm.NATIVE, _batch("r0 = r5\nexit"))
    assert (outcome.loaded, outcome.cached, outcome.seconds) == (0, 2, 0.0)
    assert run.release == vm.run_native(Batch().encode()).release  # kept with the answers
    assert {i: (r.ret, r.errno, r.data) for i, r in again.items() if r.ret < 0} == \
           {i: (r.ret, r.errno, r.data) for i, r in first.items() if r.ret < 0}

    # a changed program is a new unit; a live one is loaded whatever the file holds
    b2 = _batch("r0 = 0\nexit")
    _run, changed, outcome = cache.run(vm.NATIVE, b2, live=["ok"])
    assert (outcome.loaded, outcome.cached) == (2, 0)
    assert changed[b2.programs["second"]].ret >= 0


def test_no_cache_replays_everything(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PYBPF_VMTEST_CACHE", str(tmp_path))
    cache.run(vm.NATIVE, _batch("r0 = 0\nexit"))
    monkeypatch.setenv("PYBPF_VMTEST_NO_CACHE", "1")
    _run, _res, outcome = cache.run(vm.NATIVE, _batch("r0 = 0\nexit"))
    assert (outcome.loaded, outcome.cached) == (2, 0)


@pytest.mark.skipif(shutil.which("clang-19") is None, reason="clang-19 is not installed")
def test_corpus_objects_are_the_same_bytes_in_every_checkout(tmp_path, monkeypatch) -> None:
    """A C corpus object names its source in BTF line info: built in two checkouts at other
    paths (and other caches), it is the same bytes, so a kernel image's cached answers serve
    a fresh clone too (`tests.verifier.c_corpus.path_independent_flags`)."""
    from tests.verifier import c_corpus

    other = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(c_corpus.CORPUS_DIR, other / "tests" / "verifier" / "c")
    rel = "trace/key_reuse.bpf.c"
    (tmp_path / "cache-a").mkdir()
    (tmp_path / "cache-b").mkdir()
    here = c_corpus.Builder(tmp_path / "cache-a").build([c_corpus.Source(c_corpus.CORPUS_DIR / rel)], ["v3"])
    obj_here = here[(rel, "v3")]
    monkeypatch.setattr(c_corpus, "CORPUS_DIR", other / "tests" / "verifier" / "c")
    monkeypatch.setattr(c_corpus, "INCLUDE_DIR", other / "tests" / "verifier" / "c" / "include")
    there = c_corpus.Builder(tmp_path / "cache-b").build([c_corpus.Source(c_corpus.CORPUS_DIR / rel)], ["v3"])
    obj_there = there[(rel, "v3")]
    assert isinstance(obj_here, Path) and isinstance(obj_there, Path)
    data = obj_here.read_bytes()
    assert data == obj_there.read_bytes()
    assert str(ROOT).encode() not in data and str(other).encode() not in data
    assert b"./tests/verifier/c/trace/key_reuse.bpf.c" in data
