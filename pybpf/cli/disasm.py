"""``pybpf disasm``: print eBPF bytecode as text.

::

    pybpf disasm prog.bin                    # raw bytecode, llvm-objdump -d layout
    pybpf disasm prog.hex --syntax gas       # hex text (what `pybpf asm` prints)
    pybpf disasm prog.bpf.o                  # every program of a clang-built object
    pybpf disasm prog.bin --json             # one JSON document

FILE is detected as an ELF object (by its magic), hex text (hex byte pairs,
optionally ``0x``-prefixed and comma-separated, ``#`` comments, or the C array
of ``pybpf asm --format c``) or raw little-endian bytecode; ``--input`` forces
one.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .asm import _CliError, insn_records

if TYPE_CHECKING:
    from ..isa.program import ProgramSpec

_ELF_MAGIC = b"\x7fELF"
_HEX_TEXT = re.compile(rb"[0-9a-fA-FxX,\s]*")
_COMMENT = re.compile(rb"(#|//)[^\n]*")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "disasm", help="disassemble eBPF bytecode (raw, hex text or an ELF object)",
        description="Print eBPF bytecode one instruction a line in the layout of "
        "llvm-objdump -d: slot number, raw bytes, then the text.")
    p.add_argument("file", metavar="FILE", nargs="?", help="raw bytecode, hex text or an ELF "
                   "object; - for stdin")
    p.add_argument("--source", metavar="PROBE.py", dest="probe_file",
                   help="compile the @probe functions of a pybpf DSL file and show each one's "
                   "bytecode under the Python lines that produced it")
    p.add_argument("--syntax", choices=("llvm", "gas", "kernel"), default="llvm",
                   help="llvm (llvm-objdump), gas (uBPF/bpf_conformance) or kernel (verifier "
                   "log); default llvm")
    p.add_argument("--input", choices=("auto", "raw", "hex", "elf"), default="auto",
                   help="how to read FILE (default: auto-detect)")
    p.add_argument("--section", metavar="NAME",
                   help="ELF objects: only the program with this name or section")
    p.add_argument("--no-source", dest="source", action="store_false",
                   help="ELF objects: do not interleave the C source lines (from .BTF.ext line "
                   "info, like llvm-objdump -S)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def detect(data: bytes) -> str:
    """``"elf"``, ``"hex"`` or ``"raw"`` for the bytes of FILE."""
    if data.startswith(_ELF_MAGIC):
        return "elf"
    stripped = _COMMENT.sub(b"", _c_body(data)[0])
    if stripped.strip() and _HEX_TEXT.fullmatch(stripped):
        return "hex"
    return "raw"


def _c_body(data: bytes) -> tuple[bytes, int]:
    """The inside of a C array initializer (``pybpf asm --format c``), comments removed,
    and the number of lines before it; other data unchanged."""
    start, end = data.find(b"{"), data.rfind(b"}")
    if start < 0 or end < start or not data.isascii():
        return data, 0
    body = re.sub(rb"/\*.*?\*/", lambda m: b"\n" * m.group(0).count(b"\n"), data[start + 1:end],
                  flags=re.S)
    return body, data.count(b"\n", 0, start)


def parse_hex(data: bytes, name: str) -> bytes:
    """Hex text -> bytes: pairs of hex digits, optional 0x prefixes, commas, # comments,
    or the C array that ``pybpf asm --format c`` writes."""
    out = bytearray()
    data, skipped = _c_body(data)
    for lineno, line in enumerate(data.decode("ascii", "replace").splitlines(), 1 + skipped):
        for mark in ("#", "//"):
            if mark in line:
                line = line[: line.index(mark)]
        for col_token in re.finditer(r"[^\s,]+", line):
            token = col_token.group(0)
            digits = token[2:] if token[:2].lower() == "0x" else token
            if len(digits) % 2 or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                shown = repr(token if len(token) <= 24 else token[:24] + "...")
                raise _CliError(f"{name}:{lineno}:{col_token.start() + 1}: expected hex bytes, "
                                f"got {shown} (raw bytecode? try --input raw)")
            out += bytes.fromhex(digits)
    return bytes(out)


def load_programs(data: bytes, name: str, kind: str,
                  section: str | None) -> list[tuple[str | None, str | None, ProgramSpec | bytes]]:
    """(program name, section, ProgramSpec or raw bytecode) for each program in FILE."""
    if kind == "elf":
        from ..elf.object import read_object  # lazy: only ELF input needs the ELF reader
        obj = read_object(data, name="stdin") if name == "<stdin>" else read_object(name)
        progs: list[tuple[str | None, str | None, ProgramSpec | bytes]] = [
            (p.name, p.section, p.program) for p in obj.programs.values()
                 if section is None or section in (p.name, p.section)]
        if not progs:
            have = ", ".join(f"{p.name} ({p.section})" for p in obj.programs.values()) or "none"
            raise _CliError(f"{name}: no program {'named ' + repr(section) if section else ''} "
                            f"in the object (programs: {have})")
        return progs
    if section is not None:
        raise _CliError("--section applies to ELF objects only")
    code = parse_hex(data, name) if kind == "hex" else data
    if not code:
        raise _CliError(f"{name}: no instructions")
    return [(None, None, code)]


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


def _program(code: ProgramSpec | bytes) -> ProgramSpec:
    from ..isa.program import ProgramSpec

    return code if isinstance(code, ProgramSpec) else ProgramSpec.from_bytes(code)


def _dsl_listing(path: str, syntax: str) -> int:
    from ..dsl import load_module, module_probes

    probes = module_probes(load_module(path))
    if not probes:
        raise _CliError(f"{path}: no @probe functions")
    out = []
    for p in probes:
        prog = p.compile()
        out.append(f"\n{p.name} ({p.section}): {len(prog.insns)} instructions\n")
        listing = _listing(prog, syntax)
        out.append(_with_source(prog, listing, with_place=True))
    sys.stdout.write("".join(out))
    return 0


def run(args: argparse.Namespace) -> int:
    gc.disable()  # short-lived, no cycles: see pybpf.cli.asm.run
    try:
        if args.probe_file:
            return _dsl_listing(args.probe_file, args.syntax)
        if args.file is None:
            raise _CliError("give FILE (bytecode, hex text or an ELF object) or --source PROBE.py")
        if args.file == "-":
            data, name = sys.stdin.buffer.read(), "<stdin>"
        else:
            name = args.file
            try:
                data = Path(name).read_bytes()
            except OSError as exc:
                raise _CliError(f"{name}: {exc.strerror or exc}") from None
        kind = detect(data) if args.input == "auto" else args.input
        programs = load_programs(data, name, kind, args.section)
        if args.json:
            doc: dict[str, Any] = {
                "file": name, "input": kind, "syntax": args.syntax,
                "programs": [{"name": pname, "section": sec,
                              "insns": insn_records(_program(prog), args.syntax)}
                             for pname, sec, prog in programs],
            }
            sys.stdout.write(json.dumps(doc) + "\n")
            return 0
        out = [f"\n{name}:\tfile format elf64-bpf\n"] if kind == "elf" else []
        for pname, sec, prog in programs:
            if kind == "elf":
                out.append(f"\nDisassembly of section {sec}:\n\n0000000000000000 <{pname}>:\n")
            listing = _listing(prog, args.syntax)
            if kind == "elf" and args.source and not isinstance(prog, bytes):
                listing = _with_source(prog, listing)
            out.append(listing)
        sys.stdout.write("".join(out))
        sys.stdout.flush()
    except _CliError as exc:
        print(f"pybpf disasm: error: {exc}", file=sys.stderr)
        return 1
    return 0
