"""``pybpf probe FILE.py``: compile the probes of a Python file, load, attach, print output.

::

    pybpf probe examples/opensnoop.py --duration 5
    pybpf probe examples/syscount.py --duration 3 --json
    pybpf probe examples/opensnoop.py --disasm     # bytecode under each Python line

The file declares maps and ``@probe`` functions (see `pybpf.dsl`). Optional hooks:
``setup()`` runs after load (fill allow lists), ``format_event(event)`` formats one
ring/perf buffer event as text, ``report(emit)`` prints tables through ``emit(row)`` (``emit.json`` says whether
the output is JSON)
when the run ends (and every ``INTERVAL`` seconds when the file sets it). Without
``report`` every histogram is printed, and every hash map unless the file streams events
(a ring or perf buffer). With ``--json`` every event and
every table row is one JSON object per line. Ctrl-C ends the run; links are closed
(detached) and maps freed on exit.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("probe", help="run the Python probes of FILE.py",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("file", metavar="FILE.py", help="a Python file with @probe functions")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--json", action="store_true", help="JSON lines: one per event or table row")
    p.add_argument("--disasm", action="store_true", help="print each probe's bytecode under the "
                   "Python lines it comes from, and exit (nothing is loaded)")
    p.set_defaults(func=run)


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if hasattr(v, "as_dict"):
        return v.as_dict()
    return v


def run(args: argparse.Namespace) -> int:
    from ..dsl import Session, load_module, module_probes
    from ..dsl.maps import HashMap, Histogram, PerfBuf, RingBuf

    mod = load_module(args.file)
    probes = module_probes(mod)
    if not probes:
        print(f"{args.file}: no @probe functions", file=sys.stderr)
        return 1
    out = sys.stdout
    if args.disasm:  # the same listing as `pybpf disasm --source FILE.py`
        from .disasm import _dsl_listing

        return _dsl_listing(args.file, "llvm")

    def emit(row: dict[str, Any]) -> None:
        if args.json:
            out.write(json.dumps({k: _jsonable(v) for k, v in row.items()}) + "\n")
        else:
            out.write("  ".join(f"{k}={_jsonable(v)}" for k, v in row.items()) + "\n")
        out.flush()

    emit.json = args.json  # type: ignore[attr-defined] - report hooks choose their layout
    fmt = getattr(mod, "format_event", None)

    def on_event(ev: Any) -> None:
        if fmt is not None and not args.json:
            out.write(fmt(ev) + "\n")
            out.flush()
        else:
            emit(ev.as_dict())

    def report() -> None:
        hook = getattr(mod, "report", None)
        if hook is not None:
            hook(emit)
            return
        streams = any(isinstance(m, (RingBuf, PerfBuf)) for m in session.maps.values())
        for name, m in session.maps.items():
            if streams and not isinstance(m, Histogram):
                continue  # an event-streaming probe's hash maps are its working state
            if isinstance(m, Histogram):
                if args.json:
                    emit({"map": name, "buckets": m.buckets()})
                else:
                    out.write(f"@{name}:\n{m.format()}\n")
            elif isinstance(m, HashMap):
                for k, v in m.items():
                    emit({"map": name, "key": k, "value": v})

    with Session(probes, on_event=on_event) as session:
        setup = getattr(mod, "setup", None)
        if setup is not None:
            setup()
        print(f"attached {', '.join(p.name for p in probes)}; Ctrl-C to stop", file=sys.stderr,
              flush=True)
        interval = getattr(mod, "INTERVAL", None)
        session.run(args.duration, tick=report if interval else None, interval=interval or 1.0)
        report()
    return 0
