"""Instructions decoded once per process: the opcode's fields as plain attributes.

The verifier reads ``insn.cls``, ``insn.op``, ``insn.uses_src_reg``, ``insn.mode`` and
``insn.size`` at every step of every path; on an `pybpf.isa.Insn` each is a property
computing a mask of the opcode. A `DecodedInsn` is the same instruction (an equal tuple, an
`Insn` for every purpose) whose five fields were computed once and are read from the
instance like any attribute, with what the static checks ask of each instruction (its
encoding problem, its kernel-dependent form). `decode` makes each distinct instruction's
`DecodedInsn` once per process and hands the same one out after.

>>> from pybpf.isa import AluOp, Class, Insn
>>> d = DecodedInsn(Insn(0x0F, dst=1, src=2))     # r1 += r2
>>> d.cls == Class.ALU64, d.op == AluOp.ADD, d.uses_src_reg, d == Insn(0x0F, dst=1, src=2)
(True, True, True, True)
"""
from __future__ import annotations

from typing import Any

from ..isa import CALL, Insn
from ..isa.opcodes import CLASS_MASK, MODE_MASK, OP_MASK, SIZE_BYTES, SIZE_MASK, SOURCE_MASK, Size
from ..isa.validate import problem
from .analysis import insn_use_def
from .kernel_profile import insn_form

#: the access width of each value of the size bits
_WIDTH = {int(s): SIZE_BYTES[s] for s in Size}
#: opcode -> the fields it decodes to
_FIELDS = tuple({"cls": opcode & CLASS_MASK, "op": opcode & OP_MASK,
                 "uses_src_reg": bool(opcode & SOURCE_MASK), "mode": opcode & MODE_MASK,
                 "size": _WIDTH[opcode & SIZE_MASK]} for opcode in range(256))


class DecodedInsn(Insn):
    """An `Insn` whose opcode fields are stored, not computed (see the module)."""

    # plain class attributes (not properties) so that the instance's own values are read
    cls: Any = None
    op: Any = None
    uses_src_reg: Any = None
    mode: Any = None
    size: Any = None
    #: why the encoding is invalid (`pybpf.isa.validate.problem`), or None
    encoding_problem: str | None = None
    #: the instruction form kernels differ on (`pybpf.verifier.kernel_profile.insn_form`)
    form: str | None = None
    #: the registers it reads and writes (`pybpf.verifier.analysis.insn_use_def`; None for a
    #: call, whose reads depend on the function called)
    use_def: tuple[int, int] | None = None

    def __new__(cls, insn: Insn) -> DecodedInsn:
        self = tuple.__new__(cls, insn)
        fields = self.__dict__
        fields.update(_FIELDS[insn[0]])
        fields["encoding_problem"] = problem(self)
        fields["form"] = insn_form(self)
        fields["use_def"] = None if insn[0] == CALL else insn_use_def(self, None)
        return self

    def __reduce__(self) -> tuple:
        return (DecodedInsn, (Insn(*self),))


#: instruction -> its `DecodedInsn`, for every instruction decoded in this process (an
#: instruction is a value: programs share most of theirs, and one verified again, under
#: another kernel's profile or in a fleet, decodes nothing); emptied past `_MAX_DECODED`
_DECODED: dict[tuple, DecodedInsn] = {}
_MAX_DECODED = 1 << 16


def decode(insns: list[Insn]) -> list[Insn]:
    """``insns`` as `DecodedInsn` (equal instructions, fields stored)."""
    memo = _DECODED
    get = memo.get
    out: list[Insn] = []
    for i in insns:
        d = get(i)
        if d is None:
            if len(memo) >= _MAX_DECODED:
                memo.clear()
            d = memo[i] = DecodedInsn(i)
        out.append(d)
    return out


__all__ = ["DecodedInsn", "decode"]
