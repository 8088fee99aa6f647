"""Text <-> `ProgramSpec`: assemble and disassemble eBPF in three syntaxes.

- ``"llvm"``: the syntax of ``llvm-mc -triple bpfel`` / ``llvm-objdump -d``
  (``r0 = 1``, ``if r1 > 5 goto +2``); the assembler also reads kernel verifier
  log lines (`pybpf.asm.llvm`);
- ``"gas"``: the uBPF / bpf_conformance syntax (``mov %r0, 1``), in `pybpf.asm.gas`;
- ``"kernel"`` (printing only): the verifier log's ``(b7) r0 = 42``.

`assemble` is here; `disassemble`, `format_insn`, `readable` and the bytecode walkers are
in `pybpf.asm.disasm`, loaded at their first use (``pybpf.asm.disassemble``, ``from
pybpf.asm import disassemble``): building a program with `pybpf.asm.builder`, or
assembling one, prints nothing.

>>> from pybpf.asm import assemble, disassemble
>>> prog = assemble("r0 = 42\\nexit")
>>> print(disassemble(prog))  # doctest: +NORMALIZE_WHITESPACE
       0:	b7 00 00 00 2a 00 00 00	r0 = 0x2a
       1:	95 00 00 00 00 00 00 00	exit
>>> print(disassemble(prog.encode(), listing=False))
r0 = 0x2a
exit
>>> print(disassemble(prog, "kernel"))
0: (b7) r0 = 42
1: (95) exit
"""

from __future__ import annotations

from ..errors import AsmError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from ..isa.program import ProgramSpec

    # (``X as X``: names this module gives, at their first use through __getattr__)
    from . import kernel_print as kernel_print
    from .disasm import SYNTAXES as SYNTAXES
    from .disasm import UNKNOWN as UNKNOWN
    from .disasm import bad_slots as bad_slots
    from .disasm import disassemble, format_insn, readable
    from .disasm import walk_bytecode as walk_bytecode
    from .llvm import printer as llvm_print  # noqa: F401

__all__ = ["assemble", "disassemble", "format_insn", "readable"]

#: the names `pybpf.asm.disasm` defines, read from it at their first use
_LAZY = frozenset(("SYNTAXES", "UNKNOWN", "bad_slots", "disassemble", "format_insn",
                   "kernel_print", "llvm_print", "readable", "walk_bytecode"))


def assemble(text: str, syntax: str = "llvm", filename: str | None = None, *,
             check_targets: bool = True) -> ProgramSpec:
    """Assemble ``text`` into a `ProgramSpec`.

    ``syntax`` is ``"llvm"`` (also reads kernel-log lines) or ``"gas"``.
    Raises `AsmError` naming ``filename``, line and column of a malformed line.
    ``check_targets=False`` accepts numeric jumps that leave the program (for
    assembling instruction lists that are not whole programs).

    >>> assemble("call bpf_map_lookup_elem").insns[0].imm
    1
    """
    if syntax == "llvm":
        # a short text of plain lines is read without the parser's regexes (start-up)
        from .llvm.plain import parse_plain

        prog = parse_plain(text, filename, check_targets=check_targets)
        if prog is not None:
            return prog
        from .llvm.parser import parse  # lazy: the parser's tables load on first assembly

        return parse(text, filename, check_targets=check_targets)
    if syntax == "gas":
        from . import gas  # lazy: the gas tables load only for the gas syntax

        return gas.parse(text, filename)
    raise AsmError(f"unknown syntax {syntax!r}: expected 'llvm' or 'gas' (the kernel syntax "
                   "is read by 'llvm')", filename=filename)


def __getattr__(name: str) -> object:
    """The disassembler's names (`pybpf.asm.disasm`) and the printers, loaded on first use."""
    if name in _LAZY:
        from . import disasm

        value = getattr(disasm, name)
        if name not in ("llvm_print", "kernel_print"):  # (the printers: disasm's own lazy names)
            globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
