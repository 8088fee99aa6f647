"""``pybpf trace``: bpftrace scripts, and clang objects, run from the command line.

::

    pybpf trace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
    pybpf trace /usr/sbin/opensnoop.bt
    pybpf trace -l 'tracepoint:syscalls:sys_enter_*'
    pybpf trace trace_open.bpf.o                 # a libbpf-style object: attach, print events
    pybpf trace trace_open.bpf.o --json --duration 5

A script is bpftrace's language, compiled in Python by pybpf (no LLVM, no clang) and run as
bpftrace runs it: ``Attaching N probes...``, what the probes print, and on Ctrl-C, SIGTERM,
``exit()`` or the end of ``--duration`` every map, sorted. kprobes need a kernel built with
them (this one's lack is reported before anything loads).

An object file (ELF) is loaded with its maps, its programs attached by their ``SEC()`` names
(``--program`` picks some), ``.rodata``/``.data``/``.bss`` variables set with ``--set
VAR=VALUE``; its ring and perf buffers print one line per event, decoded through the object's
BTF (``--follow MAP`` picks the buffer; ``--json`` prints JSON lines).
"""

from __future__ import annotations

import argparse
import os
import sys

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any

#: set in the environment, the line written to stderr once every probe is attached (as bpftrace)
NOTIFY = "__BPFTRACE_NOTIFY_PROBES_ATTACHED"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("trace", help="run a bpftrace script (-e or FILE.bt) or an object",
                              description=__doc__.split("::")[0].strip(),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?", metavar="FILE", help="a bpftrace script, or an ELF object")
    p.add_argument("params", nargs="*", metavar="ARG", help="positional parameters ($1, $2...)")
    p.add_argument("-e", dest="program", metavar="PROGRAM", help="the script itself")
    p.add_argument("-l", dest="list", nargs="?", const="*", metavar="PATTERN",
                   help="list the probes matching PATTERN (tracepoint:syscalls:sys_enter_*)")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--program", dest="programs", action="append", metavar="NAME",
                   help="object: attach only this program (repeatable)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="VAR=VALUE",
                   help="object: set a global variable before load (.rodata, .data, .bss)")
    p.add_argument("--follow", action="append", metavar="MAP",
                   help="object: print the events of this ring/perf buffer (default: all)")
    p.add_argument("--json", action="store_true", help="object: one JSON object per event")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list is not None:
        return list_probes(args.list)
    if args.program is not None:
        if args.file is not None:
            args.params.insert(0, args.file)
        return run_script(args.program, "<program>", args)
    if args.file is None:
        print("pybpf trace: give -e 'PROGRAM', a script file, or an object file", file=sys.stderr)
        return 2
    with open(args.file, "rb") as f:
        head = f.read(4)
    if head == b"\x7fELF":
        from ..elf.events import run_object
        from ..elf.object import read_object
        from ..kernel.caps import require

        obj = read_object(args.file)
        require(f"pybpf trace {args.file}", prog_types=sorted(
            {p.spec.prog_type for n, p in obj.programs.items()
             if p.spec.prog_type and (not args.programs or n in args.programs)}))
        return run_object(args.file, programs=args.programs, sets=args.sets, follow=args.follow,
                          as_json=args.json, duration=args.duration)
    with open(args.file, encoding="utf-8", errors="replace") as f:
        text = f.read()
    return run_script(text, args.file, args)


def run_script(text: str, filename: str, args: argparse.Namespace) -> int:
    from ..bpftrace import compile_script
    from ..dsl.runtime import run_program

    program = compile_script(text, filename, list(args.params))
    from ..kernel.caps import require

    # said before "Attaching N probes...": a map or program refused with EPERM says less
    require("pybpf trace -e" if filename == "<program>" else f"pybpf trace {filename}", prog_types=sorted(
        {spec.prog_type for p in program.probes for _, spec, _ in p.programs() if spec.prog_type}))

    def banner(n: int) -> None:
        sys.stdout.write(f"Attaching {n} probe{'s' if n != 1 else ''}...\n")
        sys.stdout.flush()

    def started(_session: Any) -> None:
        if NOTIFY in os.environ:  # bpftrace's protocol: tests and benchmarks wait for this line
            print(NOTIFY, file=sys.stderr, flush=True)

    return run_program(program.probes, program.namespace, duration=args.duration, banner=banner,
                       on_start=started)


def list_probes(pattern: str) -> int:
    """Print the probes matching ``pattern`` (tracepoints and raw tracepoints here)."""
    import fnmatch

    from ..kernel.tracefs import list_categories, list_events

    kind, _, rest = pattern.partition(":")
    if not rest:
        kind, rest = "*", pattern
    out = []
    if fnmatch.fnmatchcase("tracepoint", kind) or kind in ("t", "tracepoint"):
        cat, _, name = rest.partition(":")
        name = name or "*"
        for c in list_categories():
            if not fnmatch.fnmatchcase(c, cat or "*"):
                continue
            out += [f"tracepoint:{c}:{n}" for _, n in list_events(c) if fnmatch.fnmatchcase(n, name)]
    if kind in ("kprobe", "k", "kretprobe", "kr"):
        from ..dsl.attach import kprobes_available

        if not kprobes_available():
            print("pybpf trace: this kernel has no kprobes (CONFIG_KPROBES is off)", file=sys.stderr)
            return 1
    sys.stdout.write("".join(f"{line}\n" for line in out))
    return 0
