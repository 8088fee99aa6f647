"""Clean-ups on the compiled instruction list (labels still symbolic):

- dead zeroing: ``*(u64 *)(r10 + off) = 0`` from a struct's ``= Struct()`` is dropped when
  every byte is stored again before anything can read it (no label, jump, stack load or
  stack address taken in between), as clang does for ``struct s x = {}`` followed by field
  assignments.

>>> from pybpf.asm import builder as B
>>> from pybpf.isa.program import ProgramSpec
>>> p = ProgramSpec([B.St.dw(10, -8, 0).insn, B.Stx.dw(10, -8, 1).insn, B.Exit().insn])
>>> remove_dead_zeroing(p); len(p.insns)
2
"""

from __future__ import annotations

from ..isa.opcodes import SIZE_BYTES, AluOp, Class, JmpOp, Mode, Size, Source
from ..isa.program import ProgramSpec


def _size(opcode: int) -> int:
    return SIZE_BYTES[Size(opcode & 0x18)]


def remove_dead_zeroing(prog: ProgramSpec) -> None:
    """Drop zero stores to the stack that are fully overwritten before being read."""
    targets = set(prog.labels.values())
    dead: set[int] = set()
    insns = prog.insns
    for i, ins in enumerate(insns):
        if not (ins.opcode & 0x07 == Class.ST and ins.opcode & 0xE0 == Mode.MEM and ins.dst == 10
                and ins.imm == 0):
            continue
        lo, hi = ins.off, ins.off + _size(ins.opcode)
        covered: set[int] = set()
        for j in range(i + 1, len(insns)):
            if j in targets:
                break
            op = insns[j].opcode
            cls = op & 0x07
            if cls in (Class.JMP, Class.JMP32) and op & 0xF0 != JmpOp.CALL:
                break
            if cls in (Class.ALU64, Class.ALU) and op & 0xF0 == AluOp.MOV and op & 0x08 == Source.X \
                    and insns[j].src == 10:
                break  # the stack's address escapes
            if cls == Class.LDX and insns[j].src == 10:
                a, b = insns[j].off, insns[j].off + _size(op)
                if a < hi and lo < b:
                    break
            if cls in (Class.ST, Class.STX) and insns[j].dst == 10:
                if op & 0xE0 != Mode.MEM:
                    break  # atomics read
                a, b = insns[j].off, insns[j].off + _size(op)
                covered.update(range(max(a, lo), min(b, hi)))
                if len(covered) == hi - lo:
                    dead.add(i)
                    break
    if dead:
        _remove(prog, dead)


def _remove(prog: ProgramSpec, dead: set[int]) -> None:
    keep = [i for i in range(len(prog.insns)) if i not in dead]
    new_index = {}
    pos = 0
    for i in range(len(prog.insns) + 1):
        new_index[i] = pos
        if i < len(prog.insns) and i not in dead:
            pos += 1
    prog.labels = {k: new_index[v] for k, v in prog.labels.items()}
    prog.refs = {new_index[i]: r for i, r in prog.refs.items() if i not in dead}
    prog.lines = {new_index[i]: ln for i, ln in prog.lines.items() if i not in dead}
    prog.insns = [prog.insns[i] for i in keep]
