"""Processes the export tests start and stop: ``pybpf export`` and a real Prometheus
server (Debian's ``prometheus``), each on a port of its own, both ended by the test."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PROMETHEUS = shutil.which("prometheus")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - localhost only
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class ExporterProc:
    """``python -m pybpf export FILE --listen 127.0.0.1:0 ARGS``; `port` once it serves."""

    def __init__(self, file: str | Path, *args: str, log_dir: Path) -> None:
        self.log = log_dir / f"export-{Path(file).stem}-{time.monotonic_ns()}.log"
        self._log_f = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "-m", "pybpf", "export", str(file),
                                      "--listen", "127.0.0.1:0", *args],
                                     stdout=self._log_f, stderr=subprocess.STDOUT, cwd=ROOT)
        self.port = self._wait_port()

    def _wait_port(self, timeout: float = 60.0) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = self.log.read_text(errors="replace")
            m = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", text)
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise AssertionError(f"pybpf export exited {self.proc.returncode}:\n{text}")
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"pybpf export did not start in {timeout} s:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_f.close()
        return self.proc.returncode


class PrometheusProc:
    """A Prometheus server scraping ``targets`` ({job: "host:port"}) every second, with its
    own config and storage under ``workdir``; `query` asks its HTTP API."""

    def __init__(self, targets: dict[str, str], workdir: Path) -> None:
        assert PROMETHEUS is not None
        self.port = free_port()
        cfg = workdir / "prometheus.yml"
        jobs = "".join(f"  - job_name: {job}\n    static_configs:\n      - targets: ['{t}']\n"
                       for job, t in targets.items())
        cfg.write_text("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                       "  evaluation_interval: 1s\nscrape_configs:\n" + jobs)
        self.log = workdir / "prometheus.log"
        self._log_f = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn",
             f"--web.console.templates={workdir}", f"--web.console.libraries={workdir}"],
            stdout=self._log_f, stderr=subprocess.STDOUT)
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"prometheus exited {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                if http_get(f"{self.url}/-/ready", 1.0)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"prometheus not ready in 60 s:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, expr: str) -> list[dict]:
        status, body = http_get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        doc = json.loads(body)
        assert status == 200 and doc["status"] == "success", doc
        return doc["data"]["result"]

    def wait_value(self, expr: str, ok, timeout: float = 30.0) -> float:
        """Poll ``expr`` (one series) until ``ok(value)``; the last value."""
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end:
            res = self.query(expr)
            if res:
                last = float(res[0]["value"][1])
                if ok(last):
                    return last
            time.sleep(0.5)
        raise AssertionError(f"{expr}: last value {last} after {timeout} s")

    def targets_up(self) -> dict[str, str]:
        _, body = http_get(f"{self.url}/api/v1/targets")
        return {t["labels"]["job"]: t["health"] for t in json.loads(body)["data"]["activeTargets"]}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_f.close()


def named_child(name: str, code: str) -> None:
    """Run ``code`` in a Python child whose command name (comm) is ``name``."""
    prelude = ("import ctypes, os\n"
               f"ctypes.CDLL(None).prctl(15, {name.encode()!r}, 0, 0, 0)\n")  # PR_SET_NAME
    subprocess.run([sys.executable, "-c", prelude + code], check=True, timeout=60)


def block_writes(path: Path, count: int) -> str:
    """Python code: ``count`` O_DIRECT 4 KiB writes to ``path``, each followed by fsync."""
    return (f"import mmap\nbuf = mmap.mmap(-1, 4096)\nbuf.write(b'x' * 4096)\n"
            f"fd = os.open({str(path)!r}, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600)\n"
            f"for i in range({count}):\n    os.pwrite(fd, buf, i * 4096)\n    os.fsync(fd)\n"
            f"os.close(fd)\nos.unlink({str(path)!r})\n")


__all__ = ["EXAMPLES", "PROMETHEUS", "ExporterProc", "PrometheusProc", "block_writes", "free_port",
           "http_get", "named_child", "os"]
