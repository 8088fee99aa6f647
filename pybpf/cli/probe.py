"""``pybpf probe FILE.py``: compile the probes of a Python file, load, attach, print output.

::

    pybpf probe examples/opensnoop.py --duration 5
    pybpf probe examples/syscount.py --duration 3 --json
    pybpf probe examples/opensnoop.py --disasm     # bytecode under each Python line
    pybpf probe trace.bpf.o --duration 5           # an object: attach by SEC(), print maps

FILE may also be a clang-built object, or assembly/bytecode whose section
(``.section tp/sched/sched_switch``, or ``--type`` and ``--attach``) says where it
attaches: every program with an automatic attach point is loaded and attached, and
at the end each map's entries are printed (hex), as ``pybpf map`` prints them.

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
import sys
import time

from ..errors import InputError
from ._input import Input, add_input_options, describe, need_type, read_input

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("probe", help="run the Python probes of FILE.py",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("file", metavar="FILE", help="a Python file with @probe functions, or an "
                   "object/assembly whose sections name attach points")
    add_input_options(p, types=True)
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
    import json  # lazy: start-up (pybpf --help imports every command)

    from ..dsl.runtime import run_program
    from ..kernel.caps import require

    inp = read_input(args.file, kind=args.input, syntax=args.syntax, prog_type=args.prog_type,
                     attach=args.attach, dsl_precheck=not args.disasm)
    if args.disasm:  # the same listing as `pybpf disasm --source FILE.py`
        from .disasm import dsl_listing
        from .disasm import run as disasm

        if inp.kind == "dsl":
            return dsl_listing(args.file, "llvm")
        return disasm(argparse.Namespace(probe_file=None, file=args.file, input=inp.kind,
                                         syntax="llvm", section=None, source=True, json=False))
    if inp.kind != "dsl":
        return _run_object(inp, args)
    spec = inp.spec  # runs the file and compiles its probes (errors at the Python line)
    mod, probes = inp.module, inp.probes
    assert mod is not None
    require(f"pybpf probe {inp.name}",
            prog_types=sorted({p.spec.prog_type for p in spec.programs.values()}))
    out = sys.stdout

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


def _run_object(inp: Input, args: argparse.Namespace) -> int:
    """Load an object (or a sectioned program), attach what attaches by itself, wait, and
    print every map's entries: a probe written in C or assembly."""
    import json  # lazy: start-up (pybpf --help imports every command)

    from ..elf.loader import BpfObject
    from ..kernel.caps import require
    from ..kernel.maps import Map

    progs = inp.programs(args.program)
    if not progs:
        raise InputError(f"no programs in {describe(inp.kind)}", filename=inp.name)
    need_type(inp, progs)
    spec = inp.spec
    spec.programs = {p.name: p for p in progs}
    require(f"pybpf probe {inp.name}", prog_types=sorted({p.spec.prog_type for p in progs}))
    attachable = [p for p in progs if p.spec.attach is not None]
    if not attachable:
        raise InputError("no program attaches by itself: give sections that name attach "
                         "points (tp/CAT/NAME, raw_tp/NAME, uprobe/PATH:SYM, ...)",
                         filename=inp.name)
    with BpfObject(spec) as obj:
        obj.load()
        for p in attachable:
            obj.programs[p.name].attach()
        print(f"attached {', '.join(p.name for p in attachable)}; Ctrl-C to stop",
              file=sys.stderr, flush=True)
        try:
            if args.duration is None:
                while True:
                    time.sleep(3600)
            time.sleep(max(args.duration, 0))
        except KeyboardInterrupt:
            pass
        for name, m in obj.maps.items():
            if not isinstance(m, Map) or name.startswith("."):
                continue
            rows = []
            for key in m.keys_raw():
                value = m.lookup_raw(key)
                if value is not None:
                    rows.append((bytes(key).hex(), [bytes(v).hex() for v in value]
                                 if isinstance(value, list) else bytes(value).hex()))
            if args.json:
                for k, v in rows:
                    print(json.dumps({"map": name, "key": k, "value": v}))
            else:
                print(f"@{name}: {len(rows)} entries")
                for k, v in rows:
                    print(f"  {k}: {v}")
    return 0
