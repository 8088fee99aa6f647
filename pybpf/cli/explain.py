"""``pybpf explain``: explain a kernel verifier log, the way ``pybpf verify`` explains.

::

    bpftool prog load x.bpf.o /sys/fs/bpf/x 2>&1 | pybpf explain - --object x.bpf.o
    pybpf explain verifier.log                    # the log's own line info, if any
    pybpf explain verifier.log --object prog.s --type xdp --json

The log may be bare (log_level 1 or 2) or as libbpf, bpftool, BCC, cilium/ebpf or
``pybpf load`` print it. With ``--object`` (an ELF object, a DSL probe file or assembly)
the failing instruction is placed at its source line and pybpf's provenance, kind of
problem and root cause are added; the kernel's message and instruction always win.
Exit status: 1 when the log reports a rejection, 0 when it reports none.
"""
from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("explain", help="explain a kernel verifier log",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("logfile", metavar="LOGFILE", nargs="?", default="-",
                   help="the log or the loader's output ('-' or nothing: stdin)")
    p.add_argument("--object", help="the program that was loaded: an ELF object, a Python file "
                   "of DSL probes or assembly (then give --type)")
    p.add_argument("--program", help="which program of the object (default: the one the log "
                   "names, else the first)")
    p.add_argument("--type", dest="prog_type", help="program type (for assembly objects, or "
                   "to override an object's SEC() name)")
    p.add_argument("--attach", help="expected attach type")
    p.add_argument("--json", action="store_true", help="one JSON object (schema: docs/cli.md)")
    p.set_defaults(func=run)


def _program(args: argparse.Namespace, log_name: str | None) -> dict[str, Any]:
    from pathlib import Path  # lazy: start-up (pybpf --help imports every command)

    from ..errors import PybpfError

    if not args.object:
        return {}
    path = args.object
    data = Path(path).read_bytes()
    want = args.program or log_name
    if data.startswith(b"\x7fELF"):
        from ..elf.loader import BpfObject

        obj = BpfObject.open(path)
        progs = obj.spec.programs
        ps = progs.get(want) if want else None
        if ps is None and want:
            ps = next((p for p in progs.values() if p.section == want), None)
        if ps is None:
            if args.program:
                raise PybpfError(f"{path}: no program {args.program} (programs: {', '.join(progs)})")
            ps = next(iter(progs.values()))
        prog, _ = obj.prepare_program(ps)
        return {"program": prog, "prog_type": args.prog_type or ps.spec.prog_type,
                "maps": obj.verifier_maps(),
                "expected_attach_type": args.attach or ps.spec.expected_attach_type,
                "func_info": obj.has_func_info(), "name": ps.name}
    if path.endswith(".py"):
        from ..explain.api import dsl_programs

        items = dsl_programs(path, [want] if want else None) or dsl_programs(path)
        if not items:
            raise PybpfError(f"{path}: no probes")
        name, prog, ptype = items[0]
        return {"program": prog, "prog_type": args.prog_type or ptype, "name": name,
                "expected_attach_type": args.attach}
    if not args.prog_type:
        raise PybpfError(f"{path}: give --type for an assembly object (e.g. --type xdp)")
    from ..asm import assemble

    prog = assemble(data.decode(), filename=path)
    return {"program": prog, "prog_type": args.prog_type, "name": Path(path).stem,
            "expected_attach_type": args.attach}


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path  # lazy: start-up (pybpf --help imports every command)

    from ..explain.fromlog import explain_log
    from ..explain.logparse import extract

    text = sys.stdin.read() if args.logfile == "-" else Path(args.logfile).read_text(errors="replace")
    _log, log_name = extract(text)
    kw = _program(args, log_name)
    e = explain_log(text, **kw)
    if args.json:
        doc = e.to_json()
        doc["source_of_verdict"] = "kernel_log"
        print(json.dumps(doc))
    else:
        print((f"{e.program}: " if e.program else "") + e.text())
    return 0 if e.accepted else 1
