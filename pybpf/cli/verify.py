"""``pybpf verify``: predict the kernel verifier's verdict, and explain a rejection.

::

    pybpf verify prog.s --type xdp               # LLVM-syntax assembly (.map directives)
    pybpf verify prog.bin --type socket_filter   # raw bytecode (or hex text)
    pybpf verify trace.bpf.o                     # every program; types from SEC() names
    pybpf verify probes.py                       # the DSL probes of a Python file
    pybpf verify trace.bpf.o --program handler --json --counterexample
    pybpf verify prog.s --type xdp --kernel 6.1,6.12,6.18   # one verdict per kernel
    pybpf verify prog.s --type xdp --html out.html   # a page that steps through every state

Nothing is loaded into the kernel. Exit status: 0 when every program is
accepted, 1 when one is rejected (or on an error), so it can gate a build.
FILE is any input the other commands take, told by its content (`pybpf.cli._input`).
A rejection is told at the user's own line (C through the object's line info,
Python for DSL probes, the assembly line), with the instructions that made the
value at fault what it is, the kind of problem, its root cause and a fix in the
program's language. ``--json`` prints one JSON object per program, one per
line (schema: docs/cli.md, `pybpf.explain.schema`). ``--unprivileged`` applies
the kernel's rules for a loader without CAP_PERFMON/CAP_SYS_ADMIN.
With ``--kernel K1,K2,...`` each program gets one verdict per kernel (from the kernel
profiles that ship with pybpf, see docs/kernels.md), side by side, each rejection followed by
what that kernel lacks; ``--json`` then prints one object per program: ``{"program", "type",
"accepted_on", "kernels": {K: {...pybpf's report..., "release", "lacks"}}}``. Exit status 0
only when every kernel accepts every program.
"""

from __future__ import annotations

import argparse

from ..errors import InputError
from ._input import add_input_options, describe, need_type, read_input

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("verify", help="predict the kernel verifier's verdict, explained",
                              description=__doc__.split("::")[0].strip())
    p.add_argument("file", metavar="FILE", help="assembly text, bytecode, hex, an ELF object or "
                   "a Python file of DSL probes")
    add_input_options(p, types=True)
    p.add_argument("--json", action="store_true", help="one JSON object per program, per line")
    p.add_argument("--log", action="store_true", help="print a state log in the layout of the "
                   "kernel's log_level 2 before each verdict")
    p.add_argument("--counterexample", action="store_true", help="for a rejection, concrete "
                   "values that make the failing instruction fault, replayed in the VM")
    p.add_argument("--unprivileged", action="store_true", help="the kernel's rules for a loader "
                   "without CAP_PERFMON/CAP_SYS_ADMIN (uninitialised stack, pointer leaks)")
    p.add_argument("--kernel", metavar="K1,K2,...", help="the kernels to judge for, side by side: "
                   "shipped profiles (6.1, 6.12, 6.18), 'running', or a profile's .json path "
                   "(default: the running kernel's profile)")
    p.add_argument("--html", metavar="OUT.html", help="also write one self-contained page "
                   "(no network) that steps through the abstract state at each instruction and "
                   "the paths explored, the failing one highlighted (keys: arrows, Home/End, f)")
    p.set_defaults(func=run)


def _write_html(args: argparse.Namespace, explanations: list[Any]) -> None:
    """The viewer's page: each program read as `_explanations` reads it, verified again
    with every state kept."""
    from ..elf.loader import BpfObject
    from ..viewer.page import verifier_page, write_page
    from ..viewer.recording import record_verifier
    from ..viewer.sources import record_object

    inp = read_input(args.file, kind=args.input, syntax=args.syntax, prog_type=args.prog_type,
                     attach=args.attach)
    progs = inp.programs(args.program)
    if inp.kind == "elf":
        runs = record_object(BpfObject(inp.spec), [p.name for p in progs],
                             prog_type=args.prog_type, attach=args.attach)
    else:
        runs = [record_verifier(p.program, args.prog_type or p.spec.prog_type,
                                maps=dict(inp.spec.maps), expected_attach_type=args.attach)
                for p in progs]
    for r, e in zip(runs, explanations, strict=False):
        r.explanation = "" if e.accepted else e.text()
    try:
        write_page(args.html, verifier_page(runs))
    except OSError as exc:
        raise InputError(f"cannot write the page: {exc.strerror}", filename=args.html) from None


def _measure_running_kernel() -> None:
    """With every capability bpf() checks (root), measure the running kernel's helper
    availability once (cached per kernel build), so the verdicts are this kernel's;
    elsewhere (or with a capability dropped) the shipped table serves."""
    from ..errors import PybpfError
    from ..kernel.caps import ALL_BPF, effective, missing

    if effective() is None or missing(ALL_BPF):  # no bpf() here, or probes would get EPERM
        return

    try:
        from ..kernel.features import running_kernel_profile

        running_kernel_profile()
    except (PybpfError, OSError, ImportError):
        pass  # no bpf() here after all: the shipped profile applies


def _explanations(args: argparse.Namespace) -> list[Any]:
    from ..elf.loader import BpfObject
    from ..explain.api import explain_object, explain_programs
    from ..explain.explanation import explain_report

    _measure_running_kernel()
    kw: dict[str, Any] = {"log": args.log, "counterexample": args.counterexample,
                          "privileged": not args.unprivileged}
    inp = read_input(args.file, kind=args.input, syntax=args.syntax, prog_type=args.prog_type,
                     attach=args.attach)
    at_least = inp.least_slots()
    if at_least is not None:  # refused for its size: neither assembled nor decoded
        from ..verifier.engine import size_report

        report = size_report(at_least, inp.stem)
        if report is not None:
            return [explain_report(report, inp.stem)]
    progs = inp.programs(args.program)
    if not progs:
        raise InputError(f"no programs in {describe(inp.kind)}", filename=inp.name)
    need_type(inp, progs)
    if inp.kind == "elf":
        return explain_object(BpfObject(inp.spec), [p.name for p in progs],
                              prog_type=args.prog_type, expected_attach_type=args.attach, **kw)
    return explain_programs([(p.name, p.program, args.prog_type or p.spec.prog_type)
                             for p in progs], expected_attach_type=args.attach,
                            maps=dict(inp.spec.maps), **kw)


def _fleet_reports(args: argparse.Namespace, kernels: list[str]) -> list[Any]:
    from ..elf.loader import BpfObject
    from ..verifier.fleet import verify_fleet
    from ..verifier.kernel_profile import profile

    for k in kernels:
        profile(k)  # an unknown kernel is an error before anything is verified
    inp = read_input(args.file, kind=args.input, syntax=args.syntax, prog_type=args.prog_type,
                     attach=args.attach)
    progs = inp.programs(args.program)
    if not progs:
        raise InputError(f"no programs in {describe(inp.kind)}", filename=inp.name)
    if inp.kind == "elf":
        reports = BpfObject(inp.spec).verify([p.name for p in progs], kernels=kernels)
        return list(reports.values())
    need_type(inp, progs)
    return [verify_fleet(p.program, args.prog_type or p.spec.prog_type, kernels,
                         expected_attach_type=args.attach, name=p.name) for p in progs]


def run(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)
    if args.kernel and not args.html:
        kernels = [k.strip() for k in args.kernel.split(",") if k.strip()]
        if "running" in kernels:
            _measure_running_kernel()
        fleet = _fleet_reports(args, kernels)
        for f in fleet:
            print(json.dumps(f.to_json()) if args.json else f.table())
        return 0 if all(f.accepted_everywhere for f in fleet) else 1
    if args.html and args.kernel:
        from ..errors import PybpfError

        raise PybpfError("--html draws one verdict per program: leave out --kernel")
    explanations = _explanations(args)
    if args.html:
        _write_html(args, explanations)
    for e in explanations:
        if args.log and e.log and not args.json:
            print(e.log, end="")
        if args.json:
            print(json.dumps(e.to_json()))
        else:
            head = f"{e.program}: " if e.program else ""
            print(head + e.text())
    return 0 if all(e.accepted for e in explanations) else 1
