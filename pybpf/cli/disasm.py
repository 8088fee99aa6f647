"""``pybpf disasm``: print eBPF bytecode as text.

::

    pybpf disasm prog.bin                    # raw bytecode, llvm-objdump -d layout
    pybpf disasm prog.hex --syntax gas       # hex text (what `pybpf asm` prints)
    pybpf disasm prog.bpf.o                  # every program of a clang-built object
    pybpf disasm prog.bin --json             # one JSON document

FILE is any input the other commands take, told by its content
(`pybpf.cli._input`): raw little-endian bytecode, hex text (hex byte pairs,
optionally ``0x``-prefixed and comma-separated, ``#`` comments, or the C array of
``pybpf asm --format c``), an ELF object, assembly text, a bpf_conformance vector
or a Python probe file; ``--input`` forces one. Damaged bytecode is listed to its
end with ``<unknown>`` where llvm-objdump prints it.
"""

from __future__ import annotations

import argparse
import re
import sys

from ..errors import UsageError
from ._input import KINDS, Input, gc_paused, read_input
from .asm import insn_records

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any

    from ..isa.program import ProgramSpec


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "disasm", help="disassemble eBPF bytecode (raw, hex text, an ELF object, any input)",
        description="Print eBPF bytecode one instruction a line in the layout of "
        "llvm-objdump -d: slot number, raw bytes, then the text.")
    p.add_argument("file", metavar="FILE", nargs="?", help="raw bytecode, hex text, an ELF "
                   "object, assembly, a Python probe file; - for stdin")
    p.add_argument("--source", metavar="PROBE.py", dest="probe_file",
                   help="compile the @probe functions of a pybpf DSL file and show each one's "
                   "bytecode under the Python lines that produced it")
    p.add_argument("--syntax", choices=("llvm", "gas", "kernel"), default="llvm",
                   help="llvm (llvm-objdump), gas (uBPF/bpf_conformance) or kernel (verifier "
                   "log); default llvm")
    p.add_argument("--input", choices=("auto",) + KINDS, default="auto",
                   help="what FILE is (default: told by its content)")
    p.add_argument("--section", "--program", metavar="NAME", dest="section",
                   help="only the program with this name or section (objects, probe files)")
    p.add_argument("--no-source", dest="source", action="store_false",
                   help="ELF objects: do not interleave the C source lines (from .BTF.ext line "
                   "info, like llvm-objdump -S)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def load_programs(inp: Input, section: str | None
                  ) -> list[tuple[str | None, str | None, ProgramSpec | bytes]]:
    """(program name, section, ProgramSpec or raw bytecode) for each program of FILE."""
    code = inp.code
    if code is not None:
        if section is not None:
            raise UsageError(f"--section {section}: {inp.name} is bytecode, which holds one "
                             "program without a name")
        return [(None, None, code)]
    progs = inp.programs([section] if section else None)
    if not progs:
        raise UsageError(f"{inp.name}: no programs in it")
    return [(p.name, p.section, p.program) for p in progs]


def _listing(program: ProgramSpec | bytes, syntax: str) -> str:
    from ..asm import disassemble  # raw bytes take its fast path

    text = disassemble(program, syntax=syntax, listing=True)
    return text if text.endswith("\n") else text + "\n"


def _with_source(program: ProgramSpec, listing: str, *, with_place: bool = False) -> str:
    """Put each new source line (``; text``, or ``; file:line: text``) before the first
    instruction it produced."""
    if not program.lines:
        return listing
    out, last, idx = [], None, 0
    for line in listing.splitlines(keepends=True):
        if re.match(r"^\s*\d+:\t", line):  # an instruction line (labels and blanks are not)
            src = program.lines.get(idx)
            if src is not None and (src.filename, src.line) != last:
                place = f"{src.filename}:{src.line}: " if with_place else ""
                out.append(f"; {place}{src.text.strip()}\n")
                last = (src.filename, src.line)
            idx += 1
        out.append(line)
    return "".join(out)


def _program(code: ProgramSpec | bytes, name: str) -> ProgramSpec:
    from ._input import decode_bytecode

    return code if not isinstance(code, bytes) else decode_bytecode(code, name)


def dsl_listing(path: str, syntax: str) -> int:
    from ..dsl import module_probes
    from ._input import load_python

    probes = module_probes(load_python(path))
    if not probes:
        raise UsageError(f"{path}: no @probe functions")
    out = []
    for p in probes:
        prog = p.compile()
        out.append(f"\n{p.name} ({p.section}): {len(prog.insns)} instructions\n")
        listing = _listing(prog, syntax)
        out.append(_with_source(prog, listing, with_place=True))
    sys.stdout.write("".join(out))
    return 0


def run(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)
    with gc_paused():  # short-lived, no cycles: see pybpf.cli.asm.run
        if args.probe_file:
            return dsl_listing(args.probe_file, args.syntax)
        if args.file is None:
            raise UsageError("give FILE (bytecode, hex text, an ELF object, ...) or "
                             "--source PROBE.py")
        inp = read_input(args.file, kind=args.input)
        if inp.kind == "dsl" and not args.json:
            return dsl_listing(args.file, args.syntax)
        programs = load_programs(inp, args.section)
        name, kind = inp.name, inp.kind
        if args.json:
            doc: dict[str, Any] = {
                "file": name, "input": kind, "syntax": args.syntax,
                "programs": [{"name": pname, "section": sec,
                              "insns": insn_records(_program(prog, name), args.syntax)}
                             for pname, sec, prog in programs],
            }
            sys.stdout.write(json.dumps(doc) + "\n")
            return 0
        out = [f"\n{name}:\tfile format elf64-bpf\n"] if kind == "elf" else []
        damaged = 0
        for pname, sec, prog in programs:
            if kind == "elf":
                out.append(f"\nDisassembly of section {sec}:\n\n0000000000000000 <{pname}>:\n")
            elif pname is not None and len(programs) > 1:
                out.append(f"\n{pname} ({sec}):\n")
            listing = _listing(prog, args.syntax)
            if kind == "elf" and args.source and not isinstance(prog, bytes):
                listing = _with_source(prog, listing)
            if isinstance(prog, bytes):
                from ..asm import bad_slots

                damaged += len(bad_slots(prog))
            out.append(listing)
        sys.stdout.write("".join(out))
        sys.stdout.flush()
        if damaged:  # listed anyway, as llvm-objdump does; said once on stderr
            print(f"pybpf disasm: warning: {name}: {damaged} part(s) of the bytecode are no "
                  "instruction (marked <unknown>)", file=sys.stderr)
    return 0
