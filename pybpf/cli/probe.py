"""``pybpf probe FILE.py``: compile the probes of a Python file, load, attach, print output.

::

    pybpf probe examples/opensnoop.py --duration 5
    pybpf probe examples/syscount.py --duration 3 --json
    pybpf probe examples/opensnoop.py --disasm     # bytecode under each Python line

The file declares maps and ``@probe`` functions (see `pybpf.dsl` and docs/dsl.md). What
``printf``/``print`` print appears as the probes run. Optional hooks: ``setup()`` runs after
load (fill allow lists), ``format_event(event)`` formats one ring/perf buffer event as text,
``report(emit)`` prints tables through ``emit(row)`` (``emit.json`` says whether the output
is JSON) when the run ends (and every ``INTERVAL`` seconds when the file sets it). Without
``report``, every map is printed at the end as bpftrace prints it, sorted (values by value,
histograms by their total); a file that streams events (a ring or perf buffer) prints only
its histograms and bpftrace-style maps. With ``--json`` every event and every map entry is
one JSON object per line. Ctrl-C or SIGTERM ends the run (the maps are printed either way);
links are closed (detached) and maps freed on exit.
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
    p.add_argument("--lineinfo", action="store_true", help="load BTF line info naming the Python "
                   "lines (bpftool prog dump xlated shows them); slower to start")
    p.set_defaults(func=run)


def _jsonable(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if hasattr(v, "as_dict"):
        return v.as_dict()
    if hasattr(v, "stack_id"):
        return {"stack_id": v.stack_id, "pid": v.pid, "kernel": v.kernel}
    return v


def run(args: argparse.Namespace) -> int:
    from ..dsl import load_module, module_probes
    from ..dsl.runtime import run_program

    mod = load_module(args.file)
    probes = module_probes(mod)
    if not probes:
        print(f"{args.file}: no @probe functions", file=sys.stderr)
        return 1
    out = sys.stdout
    if args.disasm:  # the same listing as `pybpf disasm --source FILE.py`
        from .disasm import _dsl_listing

        return _dsl_listing(args.file, "llvm")

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    def emit(row: dict[str, Any]) -> None:
        if args.json:
            write(json.dumps({k: _jsonable(v) for k, v in row.items()}) + "\n")
        else:
            write("  ".join(f"{k}={_jsonable(v)}" for k, v in row.items()) + "\n")

    emit.json = args.json  # type: ignore[attr-defined]  # report hooks choose their layout
    fmt = getattr(mod, "format_event", None)

    def on_event(ev: Any) -> None:
        if fmt is not None and not args.json:
            write(fmt(ev) + "\n")
        else:
            emit(ev.as_dict())

    def report(session: Any) -> None:
        hook = getattr(mod, "report", None)
        if hook is not None:
            hook(emit)
        else:
            default_report(session, vars(mod), write, emit if args.json else None)

    interval = getattr(mod, "INTERVAL", None)
    running: list[Any] = []

    def on_start(session: Any) -> None:
        running.append(session)
        setup = getattr(mod, "setup", None)
        if setup is not None:
            setup()
        print(f"attached {', '.join(p.name for p in probes)}; Ctrl-C to stop", file=sys.stderr,
              flush=True)

    def tick() -> None:
        if running:
            report(running[0])

    return run_program(probes, vars(mod), duration=args.duration, write=write, on_event=on_event,
                       on_start=on_start, tick=tick if interval else None,
                       interval=interval or 1.0, report=report, lineinfo=args.lineinfo)


def default_report(session: Any, namespace: dict[str, Any], write: Any, emit: Any) -> None:
    """Every map of the program, sorted as bpftrace prints them (``emit``: JSON rows)."""
    from ..dsl.maps import HashMap, Histogram, PerfBuf, RingBuf
    from ..dsl.output import typed_map_rows, typed_map_text
    from ..dsl.probe import program_maps
    from ..dsl.render import print_maps

    auto = [m for m in program_maps(namespace) if m.kernel is not None and m.typed]
    streams = any(isinstance(m, (RingBuf, PerfBuf)) for m in session.maps.values())
    typed = [(name, m) for name, m in sorted(session.maps.items())
             if isinstance(m, Histogram) or (isinstance(m, HashMap) and not streams)]
    if emit is not None:
        for m in auto:
            for k, v in m.items():
                emit({"map": m.label, "key": k, "value": v})
        for name, dm in typed:
            if isinstance(dm, Histogram):
                emit({"map": name, "buckets": dm.buckets()})
            else:
                for k, v in typed_map_rows(dm):
                    emit({"map": name, "key": k, "value": v})
        return
    if not auto and not typed:
        return
    write("\n\n")
    print_maps(session, auto, write)
    for name, dm in typed:
        write(typed_map_text(name, dm))
