"""``pybpf run FILE``: run a program in the userspace VM.

FILE is any input the other commands take, told by its content: assembly text
(LLVM syntax, or the gas-like syntax of bpf_conformance; by default the syntax is
guessed), raw little-endian bytecode, hex text, a bpf_conformance vector (its
``-- mem`` is the default memory), a clang object (``OBJ.o``: one of its programs with its maps and
globals, see `pybpf.cli.run_object`) or a Python probe file (``--program`` picks
one of several). ``--mem HEX`` gives the memory r1 points at
(r2 = its length).
``--packet HEX --prog-type xdp|sched_cls`` runs a packet program with a context
the VM builds (``xdp_md`` / ``__sk_buff``). ``--trace`` prints every
instruction with the registers after it and the memory it changed. ``--json`` prints ``{"r0": <u64>, "mem": "<hex>", "insns": N}``
(plus ``"trace"`` with ``--trace``) or ``{"error": "..."}``. ``--html OUT.html`` also
writes one self-contained page that steps through the run: the registers and the memory
after each instruction (keys: arrows, Home/End).

    $ pybpf run prog.s --mem 01020304 --json
    {"r0": 1, "mem": "01020304", "insns": 2}
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError, PybpfError, VMFault
from ._input import add_input_options, read_input

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any

    from ..isa import ProgramSpec


def load_program(path: str, syntax: str, *, kind: str = "auto",
                 program: list[str] | None = None) -> tuple[ProgramSpec, bytes | None]:
    """The program in file ``path`` (any input kind; `pybpf.cli._input`) and the memory
    a bpf_conformance vector gives it (its ``-- mem`` section), else None."""
    inp = read_input(path, kind=kind, syntax=syntax)
    prog = inp.one(program).program
    return prog, inp.mem


def hex_option(text: str, option: str = "--mem") -> bytes:
    """The bytes of a ``--mem``/``--packet`` value: hex digits, in one run or in words
    separated by spaces, commas or colons, optionally ``0x``-prefixed; a bad digit is an
    `InputError` naming the option and the column.

    >>> hex_option("01020304"), hex_option("de:ad be,ef")
    (b'\\x01\\x02\\x03\\x04', b'\\xde\\xad\\xbe\\xef')
    """
    from ._input import parse_hex

    return parse_hex(text.replace(":", " "), option)


def run(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)

    from ..vm import VM, TraceStep
    from .run_object import is_object, run_object

    if is_object(args.file):
        if args.html:
            return fail_run(args, "--html draws a run of assembly, bytecode or a DSL probe; "
                         "for a clang object use `pybpf verify OBJ.o --html OUT.html`")
        return run_object(args)

    steps: list[dict[str, Any]] = []

    def on_step(step: TraceStep) -> None:
        if args.json:
            steps.append({"pc": step.pc, "insn": step.text, "depth": step.depth,
                          "regs": list(step.regs), "pointers": list(step.pointers),
                          "changes": [{"region": c.region, "offset": c.offset,
                                       "old": c.old.hex(), "new": c.new.hex()}
                                      for c in step.changes]})
        else:
            print(step.format())

    try:
        program, vector_mem = load_program(args.file, args.syntax, kind=args.input,
                                           program=args.program)
        mem = hex_option(args.mem) if args.mem is not None else vector_mem
        packet = hex_option(args.packet, "--packet") if args.packet is not None else None
        vm = VM(max_insns=args.max_insns)
        if args.html:
            _write_html(args.html, program, mem, packet, args.prog_type, args.max_insns)
        res = vm.run(program, mem=mem, packet=packet, prog_type=args.prog_type,
                     trace=on_step if args.trace else None)
    except VMFault as exc:
        return fail_run(args, str(exc), fault=exc)
    except PybpfError as exc:
        return fail_run(args, str(exc))
    if args.json:
        doc: dict[str, Any] = {"r0": res.r0, "mem": (res.mem or b"").hex(), "insns": res.insns}
        if res.packet is not None:
            doc["packet"] = res.packet.hex()
        if args.trace:
            doc["trace"] = steps
        if res.output:
            doc["output"] = res.output
        print(json.dumps(doc))
    else:
        for line in res.output:
            print(f"trace_printk: {line}")
        print(f"r0 = {res.r0:#x} ({res.r0})")
        if res.mem is not None:
            print(f"mem = {res.mem.hex()}")
        if res.packet is not None:
            print(f"packet = {res.packet.hex()}")
        print(f"{res.insns} instructions")
    return 0


def _write_html(out: str, program: ProgramSpec, mem: bytes | None, packet: bytes | None,
                prog_type: str | None, max_insns: int) -> None:
    """The viewer's page of this run (a run that faults too: its last step is the fault)."""
    import os

    from ..viewer.page import vm_page, write_page
    from ..viewer.recording import record_vm

    program.name = program.name or os.path.splitext(os.path.basename(out))[0]
    page = vm_page(record_vm(program, max_steps=max_insns, mem=mem, packet=packet,
                             prog_type=prog_type))
    try:
        write_page(out, page)
    except OSError as exc:
        raise InputError(f"cannot write the page: {exc.strerror}", filename=out) from None


def fail_run(args: argparse.Namespace, message: str, fault: VMFault | None = None) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)
    if args.json:
        doc: dict[str, Any] = {"error": message}
        if fault is not None:
            doc.update({"pc": fault.pc, "insn": fault.insn, "address": fault.address,
                        "region": fault.region, "offset": fault.offset})
        print(json.dumps(doc))
    else:
        print(f"pybpf run: error: {message}", file=sys.stderr)
    return 1


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="run a program in the userspace VM",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="assembly text, bytecode, hex, an ELF object, a probe file")
    add_input_options(p)
    p.add_argument("--mem", metavar="HEX", help="memory r1 points at (r2 = its length)")
    p.add_argument("--packet", metavar="HEX",
                   help="packet data (what LD_ABS reads; with --prog-type, what data points at)")
    p.add_argument("--prog-type", choices=("xdp", "sched_cls", "sched_act"),
                   help="build this program type's context (xdp_md or __sk_buff) for --packet")
    p.add_argument("--trace", action="store_true", help="print every instruction executed")
    p.add_argument("--max-insns", type=int, default=10_000_000,
                   help="stop after this many instructions (default 10M)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--html", metavar="OUT.html", help="also write a self-contained page that "
                   "steps through the run (registers and memory at each step)")
    from .run_object import add_options

    add_options(p)
    p.set_defaults(func=run)
