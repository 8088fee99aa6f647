"""``pybpf export --pin DIR``: a restarted exporter goes on counting from where the last one
left off; a clean shutdown removes the pins."""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pybpf.errors import ExportError

from .procs import EXAMPLES, ExporterProc, http_get, named_child

pytestmark = pytest.mark.kernel


def _count(url: str, comm: str) -> float:
    status, body = http_get(f"{url}/metrics")
    assert status == 200
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            if s.name == "syscount_counts_total" and s.labels.get("comm") == comm:
                return s.value
    return 0.0


@pytest.fixture
def pin_dir():
    path = f"/sys/fs/bpf/pybpf-export-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    yield path
    if os.path.isdir(path):  # a failed test must not leave programs attached
        for sub in ("links", "maps"):
            d = os.path.join(path, sub)
            for name in os.listdir(d) if os.path.isdir(d) else ():
                os.unlink(os.path.join(d, name))
            if os.path.isdir(d):
                os.rmdir(d)
        os.rmdir(path)


def test_a_restarted_exporter_keeps_the_counts_and_a_clean_stop_removes_the_pins(pin_dir, tmp_path):
    comm = "pbp" + uuid.uuid4().hex[:10]
    first = ExporterProc(EXAMPLES / "syscount.py", "--pin", pin_dir, log_dir=tmp_path)
    try:
        named_child(comm, "for _ in range(2000):\n    os.getppid()\n")
        a = _count(first.url, comm)
        assert a >= 2000
    finally:
        first.stop(signal.SIGKILL)  # a crash: nothing cleans up
    assert sorted(os.listdir(pin_dir)) == ["links", "maps"]
    assert os.listdir(os.path.join(pin_dir, "maps")) == ["counts"]
    # no exporter runs now, but the pinned link keeps the program counting
    named_child(comm, "for _ in range(1000):\n    os.getppid()\n")

    second = ExporterProc(EXAMPLES / "syscount.py", "--pin", pin_dir, log_dir=tmp_path)
    try:
        assert "reused maps: counts; links: count_syscalls" in second.output()
        b = _count(second.url, comm)
        assert b >= a + 1000
        named_child(comm, "for _ in range(500):\n    os.getppid()\n")
        assert _count(second.url, comm) >= b + 500
    finally:
        assert second.stop(signal.SIGTERM) == 0, second.output()
    assert not os.path.exists(pin_dir)  # a clean shutdown removes them


def test_keep_pins_hands_over_on_sigterm(pin_dir, tmp_path):
    comm = "pbk" + uuid.uuid4().hex[:10]
    first = ExporterProc(EXAMPLES / "syscount.py", "--pin", pin_dir, "--keep-pins", log_dir=tmp_path)
    named_child(comm, "for _ in range(1500):\n    os.getppid()\n")
    a = _count(first.url, comm)
    assert first.stop(signal.SIGTERM) == 0
    assert os.listdir(os.path.join(pin_dir, "links")) == ["count_syscalls"]
    second = ExporterProc(EXAMPLES / "syscount.py", "--pin", pin_dir, log_dir=tmp_path)
    try:
        assert _count(second.url, comm) >= a >= 1500
    finally:
        assert second.stop() == 0
    assert not os.path.exists(pin_dir)


def test_a_pinned_map_of_another_shape_is_a_clear_error(pin_dir, tmp_path):
    from pybpf.export import Exporter
    from pybpf.isa import MapSpec
    from pybpf.kernel import HashMap

    probe = tmp_path / "shape.py"
    probe.write_text("from pybpf.dsl import HashMap, pid, probe, u32, u64\n"
                     "counts = HashMap(u32, u64, max_entries=64)\n"
                     "@probe('tracepoint/raw_syscalls/sys_enter')\n"
                     "def f(ctx):\n    counts[pid()] += 1\n")
    os.makedirs(os.path.join(pin_dir, "maps"))
    with HashMap.create(MapSpec(key_size=8, value_size=8, max_entries=64)) as m:
        m.pin(os.path.join(pin_dir, "maps", "counts"))
    with pytest.raises(ExportError, match=r"map counts: the map pinned at .* key 8 B.*key 4 B"):
        Exporter(str(probe), pin=pin_dir)
    assert os.listdir(os.path.join(pin_dir, "links")) == []  # nothing attached or pinned


def test_a_changed_probe_keeps_the_maps_and_replaces_the_link(pin_dir, tmp_path):
    comm = "pbc" + uuid.uuid4().hex[:10]
    probe = tmp_path / "syscount.py"  # same metric names as the example
    body = ("from pybpf.dsl import HashMap, char, comm, pid, probe, u64\n"
            "counts = HashMap(char[16], u64, max_entries=10240)\n"
            "@probe('tracepoint/raw_syscalls/sys_enter')\n"
            "def count_syscalls(ctx):\n{extra}    counts[comm()] += 1\n")
    probe.write_text(body.format(extra=""))
    first = ExporterProc(probe, "--pin", pin_dir, "--keep-pins", log_dir=tmp_path)
    named_child(comm, "for _ in range(1000):\n    os.getppid()\n")
    a = _count(first.url, comm)
    assert first.stop() == 0 and a >= 1000
    probe.write_text(body.format(extra="    if pid() == 0:\n        return 0\n"))
    second = ExporterProc(probe, "--pin", pin_dir, log_dir=tmp_path)
    try:
        assert "reused maps: counts; links: none" in second.output()
        named_child(comm, "for _ in range(500):\n    os.getppid()\n")
        b = _count(second.url, comm)
        assert b >= a + 500
        assert b < a + 900  # one program counts each syscall (two would give a + 1000 and more)
    finally:
        assert second.stop() == 0
    assert not os.path.exists(pin_dir)
