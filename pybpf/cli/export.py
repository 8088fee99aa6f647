"""``pybpf export FILE.py``: serve a probe file's maps as Prometheus metrics.

::

    pybpf export examples/syscount.py                      # http://0.0.0.0:9449/metrics
    pybpf export examples/biolatency.py --listen 127.0.0.1:9101
    pybpf export examples/syscount.py --pin /sys/fs/bpf/syscount   # survive a restart
    pybpf export examples/syscount.py --once               # one scrape on stdout, then exit

The exporter loads and attaches the probes, then serves ``/metrics`` (each scrape reads
the maps in batches), ``/healthz`` (liveness) and ``/readyz`` (readiness). Which map
becomes which metric: the file's ``METRICS`` dict, else the defaults (see
``docs/deploy.md``). SIGTERM or Ctrl-C stop it cleanly: links detached, maps freed and
``--pin`` pins removed (``--keep-pins`` leaves them for the next exporter).
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_LISTEN = "0.0.0.0:9449"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="serve a probe file's maps as Prometheus metrics",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("file", metavar="FILE.py", help="a Python probe file (@probe functions and maps)")
    p.add_argument("--listen", default=DEFAULT_LISTEN, metavar="ADDR:PORT",
                   help=f"where to serve /metrics, /healthz, /readyz (default {DEFAULT_LISTEN}; "
                   "port 0 picks a free one)")
    p.add_argument("--pin", metavar="DIR", help="pin maps and links under DIR on bpffs and reuse "
                   "what an earlier exporter pinned there")
    p.add_argument("--keep-pins", action="store_true", help="leave the pins on exit (a rolling "
                   "restart hands the counters to the next exporter)")
    p.add_argument("--no-bpf-stats", action="store_true", help="do not turn on the kernel's "
                   "per-program run-time accounting (BPF_ENABLE_STATS)")
    p.add_argument("--once", action="store_true", help="print one scrape and exit")
    p.add_argument("--json", action="store_true", help="with --once: one JSON object "
                   "{series: value} instead of the text format")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)
    import signal
    import threading

    from ..export import Exporter
    from ..export.server import make_server, parse_listen

    host, port = parse_listen(args.listen)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with Exporter(args.file, pin=args.pin, keep_pins=args.keep_pins,
                  bpf_stats=not args.no_bpf_stats) as ex:
        if args.once:
            if args.json:
                print(json.dumps(ex.collector.snapshot(), sort_keys=True))
            else:
                sys.stdout.write(ex.text().decode())
            return 0
        server = make_server(ex, host, port)
        ex.text()  # a first collect: the maps read, the programs answer
        ex.ready.set()
        thread = threading.Thread(target=server.serve_forever, name="pybpf-export-http", daemon=True)
        thread.start()
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host!s}]" if ":" in str(bound_host) else str(bound_host)
        reused = ""
        if ex.pins is not None:
            reused = (f"; pinned under {ex.pins.path} (reused maps: "
                      f"{', '.join(ex.pins.reused_maps) or 'none'}; links: "
                      f"{', '.join(ex.pins.reused_links) or 'none'})")
        print(f"pybpf export: {args.file}: {len(ex.plans)} map(s) as metrics on "
              f"http://{shown}:{bound_port}/metrics{reused}", file=sys.stderr, flush=True)
        try:
            waited = 0.0
            while not stop.is_set() and (args.duration is None or waited < args.duration):
                ex.beat()
                stop.wait(0.5)
                waited += 0.5
        finally:
            server.shutdown()
            server.server_close()
    return 0
