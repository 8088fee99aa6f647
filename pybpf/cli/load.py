"""``pybpf load FILE``: load every program and map of FILE into the kernel.

::

    pybpf load trace.bpf.o                      # load, print ids, unload on exit
    pybpf load trace.bpf.o --pin /sys/fs/bpf/t  # keep them: pin programs and maps
    pybpf load trace.bpf.o --json               # one JSON document
    pybpf load trace.bpf.o --set target_pid=42  # .rodata constants before load
    pybpf load prog.s --type xdp                # assembly, bytecode, hex: give the type
    pybpf load probe.py                         # the @probe functions of a Python file

FILE is a clang-built object or any input the other commands take (assembly, hex,
bytecode, a Python probe file); a text program's type comes from ``--type`` or its
``.section`` line.

Without ``--pin`` the programs exist only while the command runs (nothing stays
loaded or attached afterwards), which makes it a check that the kernel verifier
accepts every program. A rejection prints the kernel's log and exits 1.
"""

from __future__ import annotations

import argparse
import os

from ..errors import InputError
from ._input import add_input_options, describe, need_type, read_input

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("load", help="load the programs and maps of an ELF object",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("file", metavar="FILE", help="a clang -target bpf object (.bpf.o), "
                   "assembly, bytecode, hex or a Python probe file")
    add_input_options(p, types=True)
    p.add_argument("--pin", metavar="DIR", help="pin programs (DIR/NAME) and maps "
                   "(DIR/maps/NAME) under this bpffs directory")
    p.add_argument("--set", metavar="VAR=VALUE", action="append", default=[],
                   help="set a .rodata/.data variable before load (integers)")
    p.add_argument("--log-level", type=int, default=0, help="verifier log level (0, 1, 2; +4 stats)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def _set_globals(obj: Any, assignments: list[str]) -> None:
    from ..errors import PybpfError

    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep:
            raise PybpfError(f"--set {item!r}: expected VAR=VALUE")
        for section in (".rodata", ".data", ".bss"):
            if section in obj.spec.maps and name in obj.globals(section):
                obj.globals(section)[name] = int(value, 0)
                break
        else:
            raise PybpfError(f"--set {name}: no such global variable in .rodata, .data or .bss")


def _check_unprivileged_size(filename: str, programs: Any) -> None:
    """The kernel's E2BIG for a loader without CAP_BPF, said before loading: such a loader
    may load BPF_MAXINSNS (4096) instruction slots, not the 1,000,000 of a privileged one."""
    from ..isa import LDDW
    from ..uapi import BPF_MAXINSNS

    for p in programs:
        slots = sum(2 if i.opcode == LDDW else 1 for i in p.program.insns)
        if slots > BPF_MAXINSNS:
            raise InputError(f"E2BIG: program {p.name} has {slots} instructions, more than the "
                             f"{BPF_MAXINSNS} BPF_PROG_LOAD accepts from a loader without CAP_BPF",
                             filename=filename)


def run(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)

    from ..elf.loader import BpfObject
    from ..errors import ProgLoadError

    inp = read_input(args.file, kind=args.input, syntax=args.syntax, prog_type=args.prog_type,
                     attach=args.attach, dsl_precheck=True)
    from ..verifier.engine import size_report

    too_large = size_report(inp.least_slots() or 0, inp.stem)
    if too_large is not None:  # the kernel's E2BIG, said before assembling a million lines
        raise InputError(f"{too_large.message}; {too_large.explanation}", filename=inp.name)
    spec = inp.spec
    if args.program:
        keep = {p.name for p in inp.programs(args.program)}
        spec.programs = {n: p for n, p in spec.programs.items() if n in keep}
    if not spec.programs:
        raise InputError(f"no programs in {describe(inp.kind)}", filename=inp.name)
    need_type(inp, list(spec.programs.values()))
    from ..kernel.caps import missing, require

    require(f"pybpf load {inp.name}",
            prog_types=sorted({p.spec.prog_type for p in spec.programs.values()}))
    if missing([["CAP_BPF", "CAP_SYS_ADMIN"]]):  # an unprivileged loader (socket filters)
        _check_unprivileged_size(inp.name, spec.programs.values())
    obj = BpfObject(spec)
    with obj:
        _set_globals(obj, args.set)
        try:
            obj.load(log_level=args.log_level)
        except ProgLoadError as exc:
            if args.json:
                print(json.dumps({"file": args.file, "loaded": False, "error": str(exc),
                                  "log": exc.log}))
            else:
                print(exc.log.rstrip() if exc.log else "", flush=True)
            raise
        pinned: dict[str, str] = {}
        if args.pin:
            os.makedirs(os.path.join(args.pin, "maps"), exist_ok=True)
            for name, lp in obj.programs.items():
                pinned[name] = lp.prog.pin(os.path.join(args.pin, name))
            for name, m in obj.maps.items():
                if not obj.spec.maps.get(name) or not obj.spec.maps[name].pinning:
                    # bpffs names cannot contain dots: ".data.table" is pinned as "data_table"
                    fname = name.lstrip(".").replace(".", "_")
                    pinned[f"maps/{name}"] = m.pin(os.path.join(args.pin, "maps", fname))
        progs = [{"name": n, "section": lp.spec.section, "type": lp.spec.spec.prog_type,
                  "id": lp.prog.id, "tag": lp.prog.tag,
                  "verified_insns": lp.prog.info().verified_insns}
                 for n, lp in obj.programs.items()]
        maps = [{"name": n, "type": obj.spec.maps[n].type if n in obj.spec.maps else "array",
                 "id": m.id} for n, m in obj.maps.items()]
        if args.json:
            print(json.dumps({"file": args.file, "loaded": True, "programs": progs, "maps": maps,
                              "pinned": pinned}))
        else:
            for p in progs:
                print(f"prog {p['id']:>6}  {p['type']:<16} {p['name']:<24} {p['section']}  "
                      f"({p['verified_insns']} insns verified)")
            for m in maps:
                print(f"map  {m['id']:>6}  {m['type']:<16} {m['name']}")
            for what, path in pinned.items():
                print(f"pinned {what} at {path}")
    return 0
