"""``pybpf asm``: assemble a text file into eBPF bytecode.

::

    pybpf asm prog.s -o prog.bin                 # raw little-endian bytecode
    pybpf asm prog.s                             # hex, one instruction a line, on stdout
    pybpf asm add.data --format c                # a bpf_conformance vector's -- asm section
    pybpf asm prog.s --format json               # one JSON list of instructions

``--syntax`` is ``llvm`` (``r0 = 1``), ``gas`` (``mov %r0, 1``) or ``auto``
(the default: gas for ``.data`` vectors and text that names ``%r`` registers,
else llvm). ``--format`` defaults to ``raw`` with ``-o`` and ``hex`` on stdout.
"""

from __future__ import annotations

import argparse
import re
import struct
import sys

from .. import errors  # errors.UsageError: defined at its first use (pybpf._errors_more)
from ._input import add_input_options, gc_paused, read_input

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any

    from ..isa.insn import Insn
    from ..isa.program import ProgramSpec

FORMATS = ("raw", "hex", "c", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "asm", help="assemble a text file into eBPF bytecode",
        description="Assemble LLVM-syntax (r0 = 1) or gas-syntax (mov %%r0, 1) text into "
        "eBPF bytecode. A bpf_conformance .data file assembles its '-- asm' section.")
    p.add_argument("file", metavar="FILE", help="assembly source (or any input: hex, bytecode, "
                   "an ELF object, a Python probe file), - for stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="raw: bytecode, 8 or 16 bytes per instruction, little-endian; hex: one "
                   "instruction a line; c: a C array; json: a list of instructions with their "
                   "fields (default: raw with -o, hex on stdout)")
    add_input_options(p)
    p.set_defaults(func=run)


def insn_records(program: ProgramSpec, syntax: str = "llvm", *,
                 insns: list[Insn] | None = None) -> list[dict[str, Any]]:
    """One JSON-ready dict per instruction: index, slot, fields, bytes, text, labels, ref.

    ``insns``: the program's instructions already resolved (default: `ProgramSpec.resolve`).
    """
    printer = _printer(syntax)
    if insns is None:
        insns = program.resolve()
    labels = program.labels_by_index()
    out = []
    slot = 0
    for idx, insn in enumerate(insns):
        ref = program.refs.get(idx)
        rec: dict[str, Any] = {
            "index": idx, "slot": slot, "opcode": insn.opcode, "dst": insn.dst,
            "src": insn.src, "off": insn.off, "imm": insn.imm, "bytes": insn.encode().hex(),
            "text": printer(insn, ref),
        }
        if idx in labels:
            rec["labels"] = labels[idx]
        if ref is not None:
            rec["ref"] = {"kind": ref.kind.value, "name": ref.name, "offset": ref.offset}
        line = program.lines.get(idx)
        if line is not None:
            rec["line"] = line.line
        out.append(rec)
        slot += insn.slots
    return out


def _printer(syntax: str) -> Any:
    if syntax == "gas":
        from ..asm.gas import format_insn
    elif syntax == "kernel":
        from ..asm.kernel_print import format_insn
    else:
        from ..asm.llvm.printer import format_insn
    return format_insn


def _c_name(name: str) -> str:
    from pathlib import Path  # lazy: only --format c needs it

    stem = Path(name).stem if name != "<stdin>" else "prog"
    ident = re.sub(r"\W", "_", stem) or "prog"
    return ("_" + ident) if ident[0].isdigit() else ident


def render(program: ProgramSpec, fmt: str, name: str, *, resolved: bool = False) -> bytes:
    """The bytes ``pybpf asm`` writes for ``program`` in format ``fmt``.

    ``resolved``: the program comes from `pybpf.asm.assemble`, whose parsers
    write every label's offset into its instruction (tests hold them to it), so
    `ProgramSpec.resolve` is skipped.
    """
    insns = program.insns if resolved else program.resolve()
    if fmt == "raw":
        return _raw(insns)
    if fmt == "hex":
        return "".join(i.encode().hex(" ") + "\n" for i in insns).encode()
    if fmt == "json":
        import json  # lazy: start-up (only this format needs it)

        records = insn_records(program, insns=insns)
        return (json.dumps(records, separators=(",", ":")) + "\n").encode()
    return _c_array(program, insns, name).encode()


_SLOT = struct.Struct("<BBhi")


def _raw(insns: list[Insn]) -> bytes:
    """Little-endian bytecode; the same bytes as joining `Insn.encode`, twice as fast."""
    from ..isa.opcodes import LDDW

    pack = _SLOT.pack
    out = bytearray()
    for i in insns:
        if i.opcode != LDDW:
            out += pack(i.opcode, i.src << 4 | i.dst, i.off, i.imm)
        else:
            out += i.encode()
    return bytes(out)


def _c_array(program: ProgramSpec, insns: list[Insn], name: str) -> str:
    from ..asm.llvm.printer import format_insn

    ident = _c_name(name)
    total = sum(i.slots for i in insns)
    out = [f"/* {name}: {len(insns)} instructions, {total * 8} bytes; assembled by pybpf */",
           f"static const unsigned char {ident}[{total * 8}] = {{"]
    slot = 0
    for idx, insn in enumerate(insns):
        data = insn.encode()
        text = format_insn(insn, program.refs.get(idx)).replace("*/", "* /")
        out.append("\t" + " ".join(f"0x{b:02x}," for b in data) + f" /* {slot}: {text} */")
        slot += insn.slots
    out.append("};")
    out.append(f"static const unsigned int {ident}_len = {total * 8};")
    return "\n".join(out) + "\n"


def run(args: argparse.Namespace) -> int:
    # A short-lived process that builds ~3 objects a line and no cycles: the cyclic
    # garbage collector would only rescan them (about a fifth of the time on 100k lines).
    with gc_paused():
        inp = read_input(args.file, kind=args.input, syntax=args.syntax)
        # assembly is assembled here with every label resolved; other kinds resolve on render
        program = inp.one_program(args.program)
        fmt = args.format or ("raw" if args.output else "hex")
        data = render(program, fmt, inp.name, resolved=inp.kind in ("asm", "vector"))
    if args.output and args.output != "-":
        try:
            with open(args.output, "wb") as f:  # (not pathlib: start-up time)
                f.write(data)
        except OSError as exc:
            raise errors.UsageError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    elif fmt == "raw" and sys.stdout.isatty():
        raise errors.UsageError("refusing to write raw bytecode to a terminal: use -o OUT or "
                         "--format hex")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
