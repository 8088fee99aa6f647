"""The LLVM / kernel-log assembly syntax (``r0 = 1``, ``if r1 > 5 goto +2``).

- `pybpf.asm.llvm.parser`: text -> `ProgramSpec` (``parse``, ``parse_insn``); it reads
  what ``llvm-mc-19`` reads and the lines of a kernel verifier log;
- `pybpf.asm.llvm.fast`: the parser's fast path (one regex per common line shape);
- `pybpf.asm.llvm.words`: the lines read by their words alone, from opcode tables (no regex);
- `pybpf.asm.llvm.plain`: a short text of plain lines read without a regex (start-up);
- `pybpf.asm.llvm.symbols`: name binding once the whole text is read (labels, calls, maps);
- `pybpf.asm.llvm.printer`: one instruction as ``llvm-objdump-19 -d`` prints it.

The package imports nothing itself: the disassembler needs only the printer, so the
parser's tables load when a program is first assembled.

>>> from pybpf.asm.llvm.parser import parse
>>> from pybpf.asm.llvm.printer import format_insn
>>> format_insn(parse("r0 = 42\\nexit").insns[0])
'r0 = 0x2a'
"""
