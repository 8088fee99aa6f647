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
from ..isa.checks import problem
from ..isa.opcodes import (
    CLASS_MASK,
    MODE_MASK,
    OP_MASK,
    SIZE_BYTES,
    SIZE_MASK,
    SOURCE_MASK,
    AluOp,
    Class,
    Mode,
    Size,
)
from .analysis import USE_DEF as _USE_DEF
from .analysis import insn_use_def
from .kernel_profile import insn_form

#: the access width of each value of the size bits
_WIDTH = {int(s): SIZE_BYTES[s] for s in Size}

_DST, _SRC, _OFF, _IMM = 1, 2, 4, 8  # the fields a `_valid_rule` wants zero
_ANY_FORM = "?"  # an opcode whose form (`insn_form`) depends on its other fields


#: a value of each field that `_valid_rule` tries (dst and src: registers; off and imm: the
#: ends of their ranges and +-1)
_PROBE_DSTS = (1, 10, 5, 10)
_PROBE_SRCS = (1, 10, 3, 0)
_PROBE_OFFS = (1, -1, 0x7FFF, -0x8000)
_PROBE_IMMS = (1, -1, 0x7FFFFFFF, -0x80000000)
_ALL_SRCS, _REG_SRCS, _NO_SRC = frozenset(range(16)), frozenset(range(11)), frozenset({0})


def _valid_rule(opcode: int) -> tuple[int, frozenset[int] | None, bool] | None:
    """When an instruction of ``opcode`` surely has no encoding problem
    (`pybpf.isa.problem`): ``(fields that must be 0, the values src may take or None,
    whether src is a register that must exist)``, the register ``dst`` existing too; None
    for the opcodes whose rule needs `problem` itself (an instruction of the opcode with every
    field 0 has a problem, or its fields depend on each other: any answer then comes from
    `problem`).

    Found by asking `problem` itself: each field alone (the others 0) either takes any value
    tried or must be 0 (src: the set of values it may take), and the instructions with every
    field the rule leaves free set at once must have no problem. Held to `problem` over a
    grid of every field by tests/verifier/test_decoded.py."""
    if problem(Insn(opcode)) is not None:
        return None
    zero = 0
    if any(problem(Insn(opcode, dst=d)) is not None for d in _PROBE_DSTS):
        zero |= _DST
    if any(problem(Insn(opcode, off=o)) is not None for o in _PROBE_OFFS):
        zero |= _OFF
    if any(problem(Insn(opcode, imm=i)) is not None for i in _PROBE_IMMS):
        zero |= _IMM
    ok = frozenset(s for s in range(16) if problem(Insn(opcode, src=s)) is None)
    srcs: frozenset[int] | None = None
    src_reg = False
    if ok == _REG_SRCS:
        src_reg = True
    elif ok == _NO_SRC:
        zero |= _SRC
    elif ok != _ALL_SRCS:
        srcs = ok
    free_srcs = sorted(srcs) if srcs is not None else _PROBE_SRCS if src_reg else range(16)
    for k in range(4):  # the free fields together
        insn = Insn(opcode, dst=0 if zero & _DST else _PROBE_DSTS[k],
                    src=0 if zero & _SRC else free_srcs[(k * 5) % len(free_srcs)],
                    off=0 if zero & _OFF else _PROBE_OFFS[k],
                    imm=0 if zero & _IMM else _PROBE_IMMS[k])
        if problem(insn) is not None:
            return None
    return (zero, srcs, src_reg)


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
#: opcode -> its `_valid_rule`, found when an instruction of the opcode is first decoded
_UNKNOWN_RULE: Any = "?"
_VALID: list[Any] = [_UNKNOWN_RULE] * 256
_FORM = tuple(_form_of(opcode) for opcode in range(256))


class DecodedInsn(Insn):
    """An `Insn` whose opcode fields are stored, not computed (see the module)."""

    # plain class attributes (not properties) so that the instance's own values are read
    cls: Any = None
    op: Any = None
    uses_src_reg: Any = None
    mode: Any = None
    size: Any = None
    #: why the encoding is invalid (`pybpf.isa.problem`), or None
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
    if rule is _UNKNOWN_RULE:
        rule = _VALID[opcode] = _valid_rule(opcode)
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
