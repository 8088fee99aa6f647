"""End to end: a real Prometheus server (Debian's package) scrapes ``pybpf export`` of the
example probes, and the counts come back through its HTTP query API."""

from __future__ import annotations

import uuid

import pytest

from .procs import EXAMPLES, PROMETHEUS, ExporterProc, PrometheusProc, block_writes, http_get, named_child

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(PROMETHEUS is None, reason="Debian's prometheus is not installed "
                                 "(make deps installs it)")]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    work = tmp_path_factory.mktemp("prom")
    exporters = {}
    prom = None
    try:
        for name in ("syscount", "biolatency"):
            exporters[name] = ExporterProc(EXAMPLES / f"{name}.py", log_dir=work)
        prom = PrometheusProc({n: f"127.0.0.1:{e.port}" for n, e in exporters.items()}, work)
        yield prom, exporters
    finally:
        if prom is not None:
            prom.stop()
        for e in exporters.values():
            assert e.stop() == 0, e.output()


def test_prometheus_reads_the_syscalls_a_named_child_makes(stack):
    prom, _ = stack
    comm = "pbx" + uuid.uuid4().hex[:10]  # a command name no other process on the machine has
    named_child(comm, "for _ in range(3000):\n    os.getppid()\n")
    got = prom.wait_value(f'syscount_counts_total{{comm="{comm}"}}', lambda v: v >= 3000)
    assert got < 3000 + 5000  # the child's own start-up syscalls, not another process's
    assert prom.targets_up()["syscount"] == "up"
    # the program's own run count, from the kernel's BPF stats, through Prometheus too
    runs = prom.wait_value('pybpf_prog_runs_total{job="syscount",prog="count_syscalls"}', lambda v: v >= 3000)
    assert runs >= got


def test_prometheus_histogram_quantile_over_our_block_io(stack, tmp_path):
    prom, exporters = stack
    writes = 40
    before = prom.query("biolatency_usecs_count")
    base = float(before[0]["value"][1]) if before else 0.0
    named_child("pbxbio", block_writes(tmp_path / "direct.bin", writes))
    prom.wait_value("biolatency_usecs_count", lambda v: v >= base + writes)
    q = prom.wait_value("histogram_quantile(0.5, sum by (le) (biolatency_usecs_bucket))",
                        lambda v: v == v)  # NaN until a bucket has counts
    les = [float(r["metric"]["le"]) for r in prom.query("biolatency_usecs_bucket")
           if r["metric"]["le"] != "+Inf"]
    assert 0 <= q <= max(les), (q, les)
    # the exporter's own endpoints
    e = exporters["biolatency"]
    assert http_get(f"{e.url}/healthz")[0] == 200
    assert http_get(f"{e.url}/readyz")[0] == 200
    assert http_get(f"{e.url}/nope")[0] == 404
