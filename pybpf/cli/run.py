"""``pybpf run FILE``: run a program in the userspace VM.

FILE is assembly text (LLVM syntax, or the gas-like syntax of bpf_conformance
with ``--syntax gas``; by default the syntax is guessed) or raw little-endian
bytecode. ``--mem HEX`` gives the memory r1 points at (r2 = its length).
``--packet HEX --prog-type xdp|sched_cls`` runs a packet program with a context
the VM builds (``xdp_md`` / ``__sk_buff``). ``--trace`` prints every
instruction with the registers after it and the memory it changed. ``--json`` prints ``{"r0": <u64>, "mem": "<hex>", "insns": N}``
(plus ``"trace"`` with ``--trace``) or ``{"error": "..."}``.

    $ pybpf run prog.s --mem 01020304 --json
    {"r0": 1, "mem": "01020304", "insns": 2}
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import AsmError, PybpfError, VMFault
from ..isa import ProgramSpec


def _looks_binary(data: bytes) -> bool:
    if not data:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return "\0" in text or any(ord(c) < 9 for c in text)


def guess_syntax(text: str) -> str:
    """``"gas"`` when the text uses ``%rN`` registers, else ``"llvm"``.

    >>> guess_syntax("mov %r0, 1"), guess_syntax("r0 = 1")
    ('gas', 'llvm')
    """
    return "gas" if "%r" in text else "llvm"


def assemble_text(text: str, syntax: str, filename: str | None = None) -> ProgramSpec:
    """Assemble ``text`` with pybpf.asm in ``syntax`` (``llvm``, ``gas`` or ``auto``)."""
    if syntax == "auto":
        syntax = guess_syntax(text)
    try:
        from .. import asm

        assemble = getattr(asm, "assemble", None)
    except ImportError:
        assemble = None
    if assemble is not None:
        try:
            return assemble(text, syntax=syntax, filename=filename)
        except TypeError:
            return assemble(text, syntax=syntax)
    if syntax == "gas":
        from ..asm.gas import parse

        return parse(text, filename=filename)
    raise AsmError(f"the {syntax} assembler is not available in this build", filename=filename)


def load_program(path: str, syntax: str) -> tuple[ProgramSpec, bytes | None]:
    """The program in file ``path`` (raw bytecode, assembly text, or a bpf_conformance
    ``.data`` vector, whose ``-- mem`` section is returned as the default memory)."""
    data = Path(path).read_bytes()
    if _looks_binary(data):
        return ProgramSpec.from_bytes(data, name=Path(path).stem), None
    text = data.decode("utf-8")
    if any(line.strip() == "-- asm" for line in text.splitlines()):
        from ..conformance import parse_vector

        vector = parse_vector(text, name=Path(path).stem, path=path)
        return vector.program(), vector.mem or None
    return assemble_text(text, syntax, filename=path), None


def _hex(text: str, option: str = "--mem") -> bytes:
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise PybpfError(f"{option}: {text!r} is not hex bytes") from None


def run(args: argparse.Namespace) -> int:
    from ..vm import VM, TraceStep

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
        program, vector_mem = load_program(args.file, args.syntax)
        mem = _hex(args.mem) if args.mem is not None else vector_mem
        packet = _hex(args.packet, "--packet") if args.packet is not None else None
        vm = VM(max_insns=args.max_insns)
        res = vm.run(program, mem=mem, packet=packet, prog_type=args.prog_type,
                     trace=on_step if args.trace else None)
    except OSError as exc:
        return _fail(args, f"cannot read {args.file}: {exc.strerror}")
    except VMFault as exc:
        return _fail(args, str(exc), fault=exc)
    except PybpfError as exc:
        return _fail(args, str(exc))
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


def _fail(args: argparse.Namespace, message: str, fault: VMFault | None = None) -> int:
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
    p.add_argument("file", help="assembly text or raw bytecode")
    p.add_argument("--syntax", choices=("auto", "llvm", "gas"), default="auto",
                   help="assembly syntax (default: guessed)")
    p.add_argument("--mem", metavar="HEX", help="memory r1 points at (r2 = its length)")
    p.add_argument("--packet", metavar="HEX",
                   help="packet data (what LD_ABS reads; with --prog-type, what data points at)")
    p.add_argument("--prog-type", choices=("xdp", "sched_cls", "sched_act"),
                   help="build this program type's context (xdp_md or __sk_buff) for --packet")
    p.add_argument("--trace", action="store_true", help="print every instruction executed")
    p.add_argument("--max-insns", type=int, default=10_000_000,
                   help="stop after this many instructions (default 10M)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)
