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
from ..isa.opcodes import (
    CLASS_MASK,
    MODE_MASK,
    OP_MASK,
    SIZE_BYTES,
    SIZE_MASK,
    SOURCE_MASK,
    AluOp,
    CallSrc,
    Class,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
)
from ..isa.validate import problem
from .analysis import USE_DEF as _USE_DEF
from .analysis import insn_use_def
from .kernel_profile import insn_form

#: the access width of each value of the size bits
_WIDTH = {int(s): SIZE_BYTES[s] for s in Size}

_ALU_OPS = frozenset(int(op) for op in AluOp)
_JMP_OPS = frozenset(int(op) for op in JmpOp)
_DST, _SRC, _OFF, _IMM = 1, 2, 4, 8  # the fields a `_valid_rule` wants zero
_ANY_FORM = "?"  # an opcode whose form (`insn_form`) depends on its other fields


def _valid_rule(opcode: int) -> tuple[int, frozenset[int] | None, bool] | None:
    """When an instruction of ``opcode`` surely has no encoding problem
    (`pybpf.isa.validate.problem`): ``(fields that must be 0, the values src may take or None,
    whether src is a register that must exist)``, the register ``dst`` existing too; None
    for the opcodes whose rule needs `problem` itself (unknown operations, END, atomics,
    callx...: any answer then comes from `problem`). Held to `problem` by
    tests/verifier/test_decoded.py."""
    cls, op, x, mode, size = (opcode & CLASS_MASK, opcode & OP_MASK, opcode & SOURCE_MASK,
                              opcode & MODE_MASK, opcode & SIZE_MASK)
    if cls in (Class.ALU, Class.ALU64):
        if op not in _ALU_OPS or op == AluOp.END:
            return None
        if op == AluOp.NEG:
            return None if x else (_SRC | _OFF | _IMM, None, False)
        return (_OFF | (_IMM if x else _SRC), None, bool(x))
    if cls in (Class.JMP, Class.JMP32):
        if op not in _JMP_OPS:
            return None
        if op == JmpOp.JA:
            return None if x else (_SRC | _DST | (_OFF if cls == Class.JMP32 else _IMM), None,
                                   False)
        if op in (JmpOp.CALL, JmpOp.EXIT, JmpOp.JCOND):
            if x or cls == Class.JMP32:
                return None
            if op == JmpOp.CALL:
                return (_DST | _OFF, frozenset(int(c) for c in CallSrc), False)
            return (_SRC | _DST | _IMM | (_OFF if op == JmpOp.EXIT else 0), None, False)
        return (_IMM if x else _SRC, None, bool(x))
    if cls == Class.LD:
        if mode == Mode.IMM:
            return (_OFF, frozenset(int(p) for p in PseudoSrc), False) if size == Size.DW \
                else None
        if mode in (Mode.ABS, Mode.IND) and size != Size.DW:
            return (_DST | _OFF | (_SRC if mode == Mode.ABS else 0), None, mode == Mode.IND)
        return None
    if cls == Class.LDX:
        if mode == Mode.MEM or (mode == Mode.MEMSX and size != Size.DW):
            return (_IMM, None, True)
        return None
    if cls == Class.ST:
        return (_SRC, None, False) if mode == Mode.MEM else None
    return (_IMM, None, True) if mode == Mode.MEM else None  # STX (atomics: `problem`)


def _form_of(opcode: int) -> str | None:
    """`insn_form` of every instruction of ``opcode``, or `_ANY_FORM` when it depends on the
    instruction's other fields."""
    cls, op, mode = opcode & CLASS_MASK, opcode & OP_MASK, opcode & MODE_MASK
    if cls in (Class.ALU, Class.ALU64):
        if op in (AluOp.DIV, AluOp.MOD) or (op == AluOp.MOV and opcode & SOURCE_MASK) or \
                (op == AluOp.END and cls == Class.ALU64):
            return _ANY_FORM
        return None
    if cls == Class.STX and mode == Mode.ATOMIC:
        return _ANY_FORM
    return insn_form(Insn(opcode))  # (the opcode alone decides)


#: opcode -> the fields it decodes to, with what the opcode alone decides of the rest
_FIELDS = tuple({"cls": opcode & CLASS_MASK, "op": opcode & OP_MASK,
                 "uses_src_reg": bool(opcode & SOURCE_MASK), "mode": opcode & MODE_MASK,
                 "size": _WIDTH[opcode & SIZE_MASK]} for opcode in range(256))
_VALID = tuple(_valid_rule(opcode) for opcode in range(256))
_FORM = tuple(_form_of(opcode) for opcode in range(256))


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
    def __new__(cls, insn: Insn) -> DecodedInsn:
        return _decode_one(insn)

    @property
    def use_def(self) -> tuple[int, int] | None:
        """The registers it reads and writes (`pybpf.verifier.analysis.insn_use_def`; None
        for a call, whose reads depend on the function called)."""
        return None if self[0] == CALL else use_def_of(self)

    def __reduce__(self) -> tuple:
        return (DecodedInsn, (Insn(*self),))


#: opcode -> the `DecodedInsn` class of its instructions: the fields the opcode decides (and
#: `insn_form`'s answer, when the opcode alone decides it) are its class attributes
_CLASS_OF = tuple(type("DecodedInsn", (DecodedInsn,), {
    **_FIELDS[opcode], "form": None if _FORM[opcode] is _ANY_FORM else _FORM[opcode],
    "__module__": __name__, "__qualname__": "DecodedInsn"}) for opcode in range(256))


#: instruction -> its `DecodedInsn`, for every instruction decoded in this process (an
#: instruction is a value: programs share most of theirs, and one verified again, under
#: another kernel's profile or in a fleet, decodes nothing); emptied past `_MAX_DECODED`
_DECODED: dict[tuple, DecodedInsn] = {}
_MAX_DECODED = 1 << 16


def _decode_one(insn: Insn) -> DecodedInsn:
    """The `DecodedInsn` of ``insn``: an instance of its opcode's class (`_CLASS_OF`), whose
    attributes are what the opcode decides; the instance keeps what its other fields decide
    (an encoding problem, a form that depends on them), set only when there is one."""
    opcode, dst, src, off, imm = insn
    self: DecodedInsn = tuple.__new__(_CLASS_OF[opcode], insn)
    # what `problem` and `insn_form` answer, from the opcode's tables when they decide (the
    # functions themselves otherwise)
    rule = _VALID[opcode]
    if rule is None or dst > 10:
        self.encoding_problem = problem(self)
    else:
        zero, srcs, src_reg = rule
        if (zero & _DST and dst) or (zero & _SRC and src) or (zero & _OFF and off) or \
                (zero & _IMM and imm) or (srcs is not None and src not in srcs) or \
                (src_reg and src > 10):
            self.encoding_problem = problem(self)
    if _FORM[opcode] is _ANY_FORM:
        self.form = insn_form(self)
    return self


def use_def_of(insn: Insn, call: Any = None) -> tuple[int, int]:
    """`pybpf.verifier.analysis.insn_use_def` of ``insn`` (``call``: its `CallInfo`, for a
    call), from the opcode's table when it decides."""
    ud = _USE_DEF[insn[0]]
    if ud is None:
        return insn_use_def(insn, call)
    use, use_dst, use_src, defs, def_dst = ud
    if use_dst:
        use |= 1 << insn[1]
    if use_src:
        use |= 1 << insn[2]
    return (use, defs | (1 << insn[1]) if def_dst else defs)


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
            d = memo[i] = _decode_one(i)
        out.append(d)
    return out


__all__ = ["DecodedInsn", "decode", "use_def_of"]
