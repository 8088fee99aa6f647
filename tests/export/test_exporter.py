"""`pybpf.export.Exporter` on the live kernel: each kind of map as its metric family, labels
decoded from the keys, program run counts from the kernel's BPF stats."""

from __future__ import annotations

import ctypes
import os
import threading
import uuid
from pathlib import Path

import pytest

from pybpf.export import Exporter

pytestmark = pytest.mark.kernel
HERE = Path(__file__).resolve().parent
LIBC = ctypes.CDLL(None, use_errno=True)


def getppid_as(name: str, n: int) -> None:
    """``n`` getppid() calls from a thread whose command name is ``name``."""
    def body() -> None:
        LIBC.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME: this thread's comm
        for _ in range(n):
            os.getppid()
    t = threading.Thread(target=body)
    t.start()
    t.join()


@pytest.fixture(scope="module")
def rich():
    with Exporter(str(HERE / "richprobe.py")) as ex:
        yield ex


def test_every_kind_of_map_as_its_family(rich):
    name = "pbr" + uuid.uuid4().hex[:10]
    getppid_as(name, 300)
    snap = rich.collector.snapshot()
    me = str(os.getpid())
    # struct key: one label per field; a pid gets the process name beside it
    ours = {k: v for k, v in snap.items() if k.startswith("rich_syscalls_total{") and f'pid="{me}"' in k}
    assert len(ours) == 1, ours
    (series, value), = ours.items()
    assert value >= 300 and 'syscall="110"' in series and 'process="' in series
    # per-CPU values summed over CPUs; char[16] keys decode to strings
    assert snap[f'richprobe_per_cpu_total{{comm="{name}"}}'] == 300
    # a struct value: only the chosen field, as a gauge
    assert snap[f'rich_traffic_calls{{comm="{name}"}}'] == 300
    assert not any(k.startswith("rich_traffic_last_id") for k in snap)
    # Global: counter (+=) and gauge (=)
    assert snap["rich_total"] >= 300 and snap["richprobe_latest"] == 110
    # linear histogram, scaled: le of slot i is (100 i + 99) * 0.5
    assert snap['rich_linear_bucket{le="49.5"}'] >= 1
    assert snap['rich_linear_bucket{le="+Inf"}'] == snap["rich_linear_count"] == snap["rich_total"]
    # keyed histogram: the slot field is the bucket, the other fields are labels
    buckets = {k: v for k, v in snap.items() if k.startswith("rich_keyed_bucket{") and name in k}
    assert buckets[f'rich_keyed_bucket{{comm="{name}",le="+Inf"}}'] == 300
    cum = [v for k, v in sorted(buckets.items(), key=lambda kv: _le(kv[0]))]
    assert cum == sorted(cum)  # cumulative
    assert snap[f'rich_keyed_count{{comm="{name}"}}'] == 300


def test_addresses_and_ports_decode_as_the_kernel_wrote_them(rich):
    import socket

    seen = {}
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as srv:
            srv.bind((host, 0))
            srv.listen(1)
            port = srv.getsockname()[1]
            with socket.create_connection((host, port)):
                pass
            seen[host] = port
    snap = rich.collector.snapshot()
    v4, v6 = seen["127.0.0.1"], seen["::1"]
    assert snap[f'richprobe_connects_total{{daddr="127.0.0.1",daddr6="::ffff:127.0.0.1",dport="{v4}"}}'] == 1
    assert snap[f'richprobe_connects_total{{daddr="0.0.0.0",daddr6="::1",dport="{v6}"}}'] == 1


def test_cgroup_ids_become_cgroup_paths(rich):
    getppid_as("pbg" + uuid.uuid4().hex[:10], 10)
    mine = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[1]  # cgroup v2: "0::/path"
    snap = rich.collector.snapshot()
    assert snap[f'richprobe_by_cgroup_total{{cgroup="{mine}"}}'] >= 10


def test_kernel_addresses_become_symbols():
    from pybpf.export.labels import ksym_name

    for line in Path("/proc/kallsyms").read_text().splitlines():
        addr, kind, name = line.split()[:3]
        if kind in "tT" and int(addr, 16) and name == "schedule":
            break
    else:
        pytest.fail("no 'schedule' in /proc/kallsyms")
    assert ksym_name(int(addr, 16) + 4) == "schedule"


def _le(series: str) -> float:
    le = series.split('le="', 1)[1].split('"', 1)[0]
    return float("inf") if le == "+Inf" else float(le)


def test_program_run_count_and_time_come_from_bpf_stats(rich):
    def runs() -> tuple[float, float]:
        snap = rich.collector.snapshot()
        key = next(k for k in snap if k.startswith("pybpf_prog_runs_total{"))
        return snap[key], snap[key.replace("pybpf_prog_runs_total", "pybpf_prog_run_seconds_total")]

    n0, t0 = runs()
    getppid_as("pbr" + uuid.uuid4().hex[:10], 200)
    n1, t1 = runs()
    assert n1 - n0 >= 200 and t1 > t0
    assert rich.collector.snapshot()["pybpf_bpf_stats_enabled"] == 1


def test_text_exposition_and_openmetrics(rich):
    text = rich.text().decode()
    assert "# TYPE rich_syscalls_total counter" in text and "# TYPE rich_keyed histogram" in text
    om = rich.text("application/openmetrics-text; version=1.0.0").decode()
    assert om.rstrip().endswith("# EOF") and "# TYPE rich_syscalls counter" in om


def test_scrape_cost_is_reported(rich):
    snap = rich.collector.snapshot()
    assert snap['pybpf_export_map_entries{map="linear"}'] == 8
    assert 0 < snap["pybpf_export_collect_seconds"] < 5
    assert snap['pybpf_export_map_read_seconds{map="by_who"}'] > 0


def test_syscount_exports_with_no_extra_lines():
    ex = Exporter(str(HERE.parents[1] / "examples" / "syscount.py"))
    with ex:
        assert [(p.map_name, p.kind, p.label_names) for p in ex.plans] == [("counts", "counter", ("comm",))]
        getppid_as("pbs" + uuid.uuid4().hex[:10], 50)
        assert any(k.startswith("syscount_counts_total{comm=") for k in ex.collector.snapshot())
    assert ex.session is None  # closed: detached and freed


def test_biolatency_exports_the_histogram_and_not_its_working_state():
    with Exporter(str(HERE.parents[1] / "examples" / "biolatency.py")) as ex:
        assert [(p.map_name, p.kind) for p in ex.plans] == [("usecs", "histogram")]


def test_liveness_says_why_it_fails():
    with Exporter(str(HERE.parents[1] / "examples" / "syscount.py")) as ex:
        assert ex.healthy() == (True, "ok")
        ex.heartbeat -= 60
        assert ex.healthy() == (False, "main loop stalled")
        ex.beat()
        ex.collector.programs[0][1].close()  # as if the program were gone
        ok, why = ex.healthy()
        assert not ok and why.startswith("program gone")
