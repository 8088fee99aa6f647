"""``pybpf export`` of a clang object plus a small Python description."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pybpf.errors import ExportError
from pybpf.export import Exporter

from .test_exporter import getppid_as

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.kernel, pytest.mark.clang]
MULTIARCH = f"{os.uname().machine}-linux-gnu"  # asm/types.h of Debian's multiarch headers


@pytest.fixture(scope="module")
def syscount_object(tmp_path_factory):
    out = tmp_path_factory.mktemp("obj") / "syscount.bpf.o"
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", f"-I/usr/include/{MULTIARCH}", "-c",
                    str(ROOT / "tests/progs/dsl_syscount.bpf.c"),
                    "-o", str(out)], check=True, timeout=120)
    return out


def _describe(tmp_path: Path, obj: Path, metrics: str) -> Path:
    shutil.copy(obj, tmp_path / obj.name)
    desc = tmp_path / "syscount_obj.py"
    desc.write_text("from pybpf.dsl import char, u64\nfrom pybpf.export import counter\n"
                    f"OBJECT = {obj.name!r}\nMETRICS = {metrics}\n")
    return desc


def test_an_object_and_its_description_export_like_a_probe(tmp_path, syscount_object):
    desc = _describe(tmp_path, syscount_object,
                     '{"counts": counter("obj_syscalls", labels=["comm"], key=char[16], value=u64)}')
    with Exporter(str(desc)) as ex:
        getppid_as("pbo-object", 100)
        snap = ex.collector.snapshot()
        assert snap['obj_syscalls_total{comm="pbo-object"}'] >= 100
        assert any(k.startswith('pybpf_prog_runs_total{id=') and "count_syscalls" in k for k in snap)


@pytest.mark.parametrize("metrics,match", [
    ("{}", r"must name the maps to export in METRICS \(maps: counts\)"),
    ('{"counts": counter()}', r"map counts: the key is 16 bytes: say its type with key="),
    ('{"counts": counter(key=u64)}', r"map counts: key=u64 is 8 bytes but the map's key is 16 bytes"),
])
def test_description_errors(tmp_path, syscount_object, metrics, match):
    desc = _describe(tmp_path, syscount_object, metrics)
    with pytest.raises(ExportError, match=match):
        Exporter(str(desc))


def test_a_missing_object_and_pins_for_objects(tmp_path, syscount_object):
    desc = tmp_path / "d.py"
    desc.write_text("OBJECT = 'nope.bpf.o'\n")
    with pytest.raises(ExportError, match=r"OBJECT names .*nope.bpf.o, which does not exist"):
        Exporter(str(desc))
    desc = _describe(tmp_path, syscount_object, '{"counts": counter(key=char[16])}')
    with pytest.raises(ExportError, match="--pin hands over DSL probes"):
        Exporter(str(desc), pin="pybpf-never-made")
