"""Take docs/deploy-prometheus-graph.png: ``pybpf export examples/syscount.py`` scraped by a
local Prometheus for a while, its graph page shot by headless Chromium.

Needs root (bpf()), Debian's ``prometheus`` and ``chromium``. Everything listens on
127.0.0.1 only, on free ports, and is stopped at the end.

    .venv/bin/python deploy/screenshot.py [--seconds 90] [--out docs/deploy-prometheus-graph.png]
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXPR = "topk(6, sum by (comm) (rate(syscount_counts_total[30s])))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pattern: str, log: Path, proc: subprocess.Popen, what: str, timeout: float = 60) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = re.search(pattern, log.read_text(errors="replace"))
        if m:
            return m.group(1)
        if proc.poll() is not None:
            sys.exit(f"{what} exited:\n{log.read_text()}")
        time.sleep(0.1)
    sys.exit(f"{what} did not start:\n{log.read_text()}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=90, help="how long Prometheus scrapes first")
    ap.add_argument("--out", default=str(ROOT / "docs" / "deploy-prometheus-graph.png"))
    args = ap.parse_args()
    chromium, prometheus = shutil.which("chromium"), shutil.which("prometheus")
    if not chromium or not prometheus:
        sys.exit("needs Debian's chromium and prometheus (apt-get install chromium prometheus)")
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="pybpf-shot-") as tmp:
        work = Path(tmp)
        try:
            elog = work / "export.log"
            exporter = subprocess.Popen([sys.executable, "-m", "pybpf", "export", "examples/syscount.py",
                                         "--listen", "127.0.0.1:0"], cwd=ROOT,
                                        stdout=elog.open("wb"), stderr=subprocess.STDOUT)
            procs.append(exporter)
            eport = wait_for(r"http://127\.0\.0\.1:(\d+)/metrics", elog, exporter, "pybpf export")
            pport = free_port()
            cfg = work / "prometheus.yml"
            cfg.write_text("global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: syscount\n"
                           f"    static_configs:\n      - targets: ['127.0.0.1:{eport}']\n")
            plog = work / "prometheus.log"
            prom = subprocess.Popen([prometheus, f"--config.file={cfg}", f"--storage.tsdb.path={work / 'data'}",
                                     f"--web.listen-address=127.0.0.1:{pport}"],
                                    stdout=plog.open("wb"), stderr=subprocess.STDOUT)
            procs.append(prom)
            wait_for(r"(Server is ready to receive web requests)", plog, prom, "prometheus")
            print(f"scraping for {args.seconds:.0f} s ...", file=sys.stderr)
            time.sleep(args.seconds)
            query = urllib.parse.urlencode({"g0.expr": EXPR, "g0.tab": "0", "g0.range_input": "2m",
                                            "g0.stacked": "0", "g0.show_exemplars": "0"})
            url = f"http://127.0.0.1:{pport}/graph?{query}"
            with urllib.request.urlopen(f"http://127.0.0.1:{pport}/-/ready", timeout=5):  # noqa: S310
                pass
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--no-first-run", f"--user-data-dir={work / 'chromium'}",
                            "--hide-scrollbars", "--window-size=1400,900", "--virtual-time-budget=15000",
                            f"--screenshot={args.out}", url],
                           check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"wrote {args.out}", file=sys.stderr)
        finally:
            for p in reversed(procs):
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
