"""Instructions decoded once per run: the opcode's fields as plain attributes.

The verifier reads ``insn.cls``, ``insn.op``, ``insn.uses_src_reg``, ``insn.mode`` and
``insn.size`` at every step of every path; on an `pybpf.isa.Insn` each is a property
computing a mask of the opcode. A `DecodedInsn` is the same instruction (an equal tuple, an
`Insn` for every purpose) whose five fields were computed once, when the run started, and
are read from the instance like any attribute.

>>> from pybpf.isa import AluOp, Class, Insn
>>> d = DecodedInsn(Insn(0x0F, dst=1, src=2))     # r1 += r2
>>> d.cls == Class.ALU64, d.op == AluOp.ADD, d.uses_src_reg, d == Insn(0x0F, dst=1, src=2)
(True, True, True, True)
"""
from __future__ import annotations

from typing import Any

from ..isa import Insn
from ..isa.opcodes import CLASS_MASK, MODE_MASK, OP_MASK, SIZE_BYTES, SIZE_MASK, SOURCE_MASK, Size

#: the access width of each value of the size bits
_WIDTH = {int(s): SIZE_BYTES[s] for s in Size}


class DecodedInsn(Insn):
    """An `Insn` whose opcode fields are stored, not computed (see the module)."""

    # plain class attributes (not properties) so that the instance's own values are read
    cls: Any = None
    op: Any = None
    uses_src_reg: Any = None
    mode: Any = None
    size: Any = None

    def __new__(cls, insn: Insn) -> DecodedInsn:
        self = tuple.__new__(cls, insn)
        opcode = insn[0]
        fields = self.__dict__
        fields["cls"] = opcode & CLASS_MASK
        fields["op"] = opcode & OP_MASK
        fields["uses_src_reg"] = bool(opcode & SOURCE_MASK)
        fields["mode"] = opcode & MODE_MASK
        fields["size"] = _WIDTH[opcode & SIZE_MASK]
        return self

    def __reduce__(self) -> tuple:
        return (DecodedInsn, (Insn(*self),))


def decode(insns: list[Insn]) -> list[Insn]:
    """``insns`` as `DecodedInsn` (equal instructions, fields stored)."""
    return [DecodedInsn(i) for i in insns]


__all__ = ["DecodedInsn", "decode"]
