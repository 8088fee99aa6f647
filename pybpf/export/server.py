"""The exporter's HTTP endpoints: ``/metrics`` (Prometheus text or OpenMetrics, as the
scraper's ``Accept`` asks), ``/healthz`` (liveness: the main loop beats and the programs
are loaded) and ``/readyz`` (readiness: attached and a first scrape done).

Each scrape's own cost (wall and CPU time, encoding included) is added to the
``pybpf_export_scrape_*`` figures that the next scrape reports.
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["make_server", "parse_listen"]


def parse_listen(text: str) -> tuple[str, int]:
    """``"0.0.0.0:9449"``, ``":9449"``, ``"[::1]:9449"``, ``"9449"`` -> (host, port).

    >>> parse_listen(":9449"), parse_listen("[::1]:0"), parse_listen("127.0.0.1:80")
    (('0.0.0.0', 9449), ('::1', 0), ('127.0.0.1', 80))
    """
    from ..errors import ExportError

    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "0.0.0.0"
    if not port.isdigit() or int(port) > 65535:
        raise ExportError(f"--listen wants ADDR:PORT (e.g. 0.0.0.0:9449), got {text!r}")
    return host, int(port)


class _Handler(BaseHTTPRequestHandler):
    exporter: Any = None
    server_version = "pybpf-export"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # one line per scrape would drown the exporter's own output

    def _send(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        ex = self.exporter
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            from prometheus_client.exposition import choose_encoder

            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                body = ex.text(self.headers.get("Accept", ""))
            except Exception as e:  # noqa: BLE001 - a failed scrape is a 500 with the reason
                self._send(500, f"scrape failed: {e}\n".encode())
                return
            _, ctype = choose_encoder(self.headers.get("Accept", ""))
            self._send(200, body, ctype)
            cost = ex.collector.cost
            cost.scrapes += 1
            cost.last_scrape_s = time.perf_counter() - t0
            cost.scrape_s_total += cost.last_scrape_s
            cost.scrape_cpu_s_total += time.thread_time() - c0
        elif path == "/healthz":
            ok, why = ex.healthy()
            self._send(200 if ok else 503, (why + "\n").encode())
        elif path == "/readyz":
            ready = ex.ready.is_set()
            self._send(200 if ready else 503, b"ready\n" if ready else b"starting\n")
        elif path == "/":
            self._send(200, b"pybpf export: /metrics /healthz /readyz\n")
        else:
            self._send(404, b"not found: /metrics /healthz /readyz\n")

    do_HEAD = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(exporter: Any, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``exporter`` bound to ``host:port`` (port 0: any free port)."""
    import socket

    handler = type("Handler", (_Handler,), {"exporter": exporter})
    cls: type[_Server] = _Server
    if ":" in host:
        cls = type("Server6", (_Server,), {"address_family": socket.AF_INET6})
    return cls((host, port), handler)
