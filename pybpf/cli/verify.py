"""``pybpf verify``: predict the kernel verifier's verdict, and explain a rejection.

::

    pybpf verify prog.s --type xdp               # LLVM-syntax assembly (.map directives)
    pybpf verify prog.bin --type socket_filter   # raw bytecode
    pybpf verify trace.bpf.o                     # every program; types from SEC() names
    pybpf verify trace.bpf.o --program handler --json

Nothing is loaded into the kernel. Exit status: 0 when every program is
accepted, 1 when one is rejected (or on an error), so it can gate a build.
``--json`` prints one JSON object per program, one per line:
``{"program", "accepted", "insn", "message", "class", "explanation", "hint",
"processed_insns"}``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("verify", help="predict the kernel verifier's verdict, explained",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("file", metavar="FILE", help="assembly text, raw bytecode or an ELF object")
    p.add_argument("--type", dest="prog_type", help="program type (socket_filter, xdp, "
                   "sched_cls, tracepoint, ...); for objects the SEC() name decides by default")
    p.add_argument("--attach", help="expected attach type (e.g. cgroup_inet_egress)")
    p.add_argument("--program", action="append", help="only this program (name or section) "
                   "of an object; may be repeated")
    p.add_argument("--syntax", choices=("llvm", "gas"), default="llvm", help="assembly syntax")
    p.add_argument("--json", action="store_true", help="one JSON object per program, per line")
    p.add_argument("--log", action="store_true", help="print a state log in the layout of the "
                   "kernel's log_level 2 before each verdict")
    p.set_defaults(func=run)


def _measure_running_kernel() -> None:
    """As root on Linux, measure the running kernel's helper availability once (cached per
    kernel build), so the verdicts are this kernel's; elsewhere the shipped table serves."""
    import os

    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    from ..errors import PybpfError

    try:
        from ..kernel.features import running_kernel_profile

        running_kernel_profile()
    except (PybpfError, OSError, ImportError):
        pass  # no bpf() here after all: the shipped profile applies


def _reports(args: argparse.Namespace) -> list[Any]:
    from ..errors import PybpfError
    from ..verifier import verify

    _measure_running_kernel()

    data = Path(args.file).read_bytes() if args.file != "-" else __import__("sys").stdin.buffer.read()
    if data.startswith(b"\x7fELF"):
        from ..elf.loader import BpfObject

        obj = BpfObject.open(args.file)
        reports = obj.verify(args.program)
        if args.program and not reports:
            raise PybpfError(f"{args.file}: no program {', '.join(args.program)} (programs: "
                             f"{', '.join(obj.spec.programs)})")
        if args.prog_type:  # an explicit type overrides the section names
            from ..verifier import verify as v

            for name in reports:
                prog, _ = obj.prepare_program(obj.spec.programs[name])
                reports[name] = v(prog, args.prog_type, maps=obj.spec.maps,
                                  expected_attach_type=args.attach)
                reports[name].program = name
        return list(reports.values())
    if not args.prog_type:
        raise PybpfError(f"{args.file}: give --type for assembly or raw bytecode "
                         "(e.g. --type socket_filter)")
    from ..isa import ProgramSpec

    text = None
    if not _looks_binary(data):
        text = data.decode()
    if text is not None:
        from ..asm import assemble

        program = assemble(text, syntax=args.syntax, filename=args.file)
    else:
        program = ProgramSpec.from_bytes(data)
    program.name = program.name or Path(args.file).stem
    report = verify(program, args.prog_type, expected_attach_type=args.attach, log=args.log)
    report.program = program.name
    return [report]


def _looks_binary(data: bytes) -> bool:
    if not data or len(data) % 8:
        return False
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        return True
    return b"\0" in data


def run(args: argparse.Namespace) -> int:
    reports = _reports(args)
    for r in reports:
        if args.log and r.log and not args.json:
            print(r.log, end="")
        if args.json:
            print(json.dumps(r.to_json()))
        else:
            head = f"{r.program}: " if r.program else ""
            print(head + r.explain())
    return 0 if all(r.accepted for r in reports) else 1
