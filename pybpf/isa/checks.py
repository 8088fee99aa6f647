"""Which encodings are valid eBPF: the ISA's rules on reserved fields.

`problem(insn)` returns ``None`` for a valid instruction or a one-line reason;
`validate` raises `IsaError`. `pybpf.isa` exports both and loads this module at their
first use (loading an object or assembling text checks no encoding here). (The module is
not named ``validate``: importing a submodule binds its name on the package, which would
hide the function ``pybpf.isa.validate``.) These are encoding rules only (what RFC 9669 and
the kernel's instruction check call reserved fields); semantic rules such as
"shift by 64" or "division by constant zero" belong to the verifier.

>>> from pybpf.isa import Insn
>>> problem(Insn(0xb7, src=1, imm=1))
'MOV with an immediate must have src=0 (got src=1)'
>>> problem(Insn(0x95)) is None
True
"""

from __future__ import annotations

from ..errors import IsaError
from .insn import Insn
from .opcodes import (
    END_WIDTHS,
    MOVSX_WIDTHS,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)

_ALU_OPS = {int(op) for op in AluOp}
_JMP_OPS = {int(op) for op in JmpOp}
_ATOMIC_OPS = {int(op) for op in AtomicOp}
_ACQ_REL = {int(AtomicOp.LOAD_ACQ), int(AtomicOp.STORE_REL)}


def _alu(insn: Insn) -> str | None:
    op = insn.opcode & 0xF0
    x = insn.opcode & 0x08
    is64 = insn.cls == Class.ALU64
    if op not in _ALU_OPS:
        return f"unknown arithmetic operation {op:#x}"
    name = AluOp(op).name
    if op == AluOp.NEG:
        if x or insn.src or insn.off or insn.imm:
            return "NEG uses no source: src bit, src, off and imm must be 0"
        return None
    if op == AluOp.END:
        if is64 and x:
            return "ALU64 END (bswap) must use the K source bit"
        if insn.src or insn.off:
            return "END must have src=0 and off=0"
        if insn.imm not in END_WIDTHS:
            return f"END width must be 16, 32 or 64 (got {insn.imm})"
        return None
    if op == AluOp.MOV and x and insn.off:
        widths = MOVSX_WIDTHS if is64 else MOVSX_WIDTHS[:2]
        if insn.off not in widths:
            return f"sign-extending MOV needs off in {widths} (got {insn.off})"
    elif op in (AluOp.DIV, AluOp.MOD):
        if insn.off not in (0, 1):
            return f"{name} needs off=0 (unsigned) or off=1 (signed) (got {insn.off})"
    elif insn.off:
        return f"{name} must have off=0 (got {insn.off})"
    if x:
        if insn.imm:
            return f"{name} with a register source must have imm=0 (got {insn.imm})"
    elif insn.src:
        return f"{name} with an immediate must have src=0 (got src={insn.src})"
    return None


def _jmp(insn: Insn) -> str | None:
    op = insn.opcode & 0xF0
    x = insn.opcode & 0x08
    is32 = insn.cls == Class.JMP32
    if op not in _JMP_OPS:
        return f"unknown jump operation {op:#x}"
    if op == JmpOp.JA:
        if x or insn.src or insn.dst:
            return "JA must have the K source bit and src=dst=0"
        if is32:
            if insn.off:
                return "gotol (JMP32 JA) keeps its target in imm: off must be 0"
        elif insn.imm:
            return "goto (JMP JA) keeps its target in off: imm must be 0"
        return None
    if is32 and op in (JmpOp.CALL, JmpOp.EXIT, JmpOp.JCOND):
        return f"{JmpOp(op).name} exists only in the JMP class, not JMP32"
    if op == JmpOp.CALL:
        if x:  # callx: target address in dst
            if insn.src or insn.off or insn.imm:
                return "callx keeps its target in dst: src, off and imm must be 0"
            return None
        if insn.dst:
            return f"call must have dst=0 (got {insn.dst})"
        if insn.src not in (CallSrc.HELPER, CallSrc.LOCAL, CallSrc.KFUNC):
            return f"call src must be 0 (helper), 1 (local) or 2 (kfunc) (got {insn.src})"
        if insn.off and insn.src != CallSrc.KFUNC:
            return "call must have off=0 (only kfunc calls use off, for a module BTF)"
        return None
    if op == JmpOp.EXIT:
        if x or insn.src or insn.dst or insn.off or insn.imm:
            return "exit must have every field 0"
        return None
    if op == JmpOp.JCOND:
        if x or insn.src or insn.dst or insn.imm:
            return "may_goto must have src=dst=imm=0"
        return None
    if x:
        if insn.imm:
            return f"conditional jump with a register source must have imm=0 (got {insn.imm})"
    elif insn.src:
        return f"conditional jump with an immediate must have src=0 (got src={insn.src})"
    return None


def _ld(insn: Insn) -> str | None:
    mode = insn.opcode & 0xE0
    size = insn.opcode & 0x18
    if mode == Mode.IMM:
        if size != Size.DW:
            return "LD IMM exists only as the 16-byte lddw (size DW)"
        if insn.src not in {int(p) for p in PseudoSrc}:
            return f"lddw pseudo source must be 0-6 (got {insn.src})"
        if insn.off:
            return f"lddw must have off=0 (got {insn.off})"
        return None
    if mode in (Mode.ABS, Mode.IND):
        if size == Size.DW:
            return "legacy packet loads (LD_ABS/LD_IND) exist for sizes B, H and W only"
        if insn.dst or insn.off:
            return "legacy packet loads must have dst=0 and off=0"
        if mode == Mode.ABS and insn.src:
            return "LD_ABS must have src=0"
        return None
    return f"unknown LD mode {mode:#x}"


def _ldx(insn: Insn) -> str | None:
    mode = insn.opcode & 0xE0
    if mode == Mode.MEMSX:
        if insn.opcode & 0x18 == Size.DW:
            return "sign-extending loads exist for sizes B, H and W only"
    elif mode != Mode.MEM:
        return f"unknown LDX mode {mode:#x}"
    if insn.imm:
        return f"LDX must have imm=0 (got {insn.imm})"
    return None


def _st(insn: Insn) -> str | None:
    if insn.opcode & 0xE0 != Mode.MEM:
        return f"unknown ST mode {insn.opcode & 0xE0:#x}"
    if insn.src:
        return f"ST must have src=0 (got {insn.src})"
    return None


def _stx(insn: Insn) -> str | None:
    mode = insn.opcode & 0xE0
    size = insn.opcode & 0x18
    if mode == Mode.MEM:
        if insn.imm:
            return f"STX must have imm=0 (got {insn.imm})"
        return None
    if mode != Mode.ATOMIC:
        return f"unknown STX mode {mode:#x}"
    imm = insn.imm & 0xFFFFFFFF
    if imm not in _ATOMIC_OPS:
        return f"unknown atomic operation imm={imm:#x}"
    if imm not in _ACQ_REL and size not in (Size.W, Size.DW):
        return "atomic read-modify-write exists for sizes W and DW only"
    return None


_BY_CLASS = {
    Class.ALU: _alu, Class.ALU64: _alu, Class.JMP: _jmp, Class.JMP32: _jmp,
    Class.LD: _ld, Class.LDX: _ldx, Class.ST: _st, Class.STX: _stx,
}


def problem(insn: Insn) -> str | None:
    """Why ``insn`` is not a valid encoding, or ``None`` when it is."""
    reason = _BY_CLASS[Class(insn.cls)](insn)
    if reason is None and (insn.dst > 10 or (insn.src > 10 and _src_is_register(insn))):
        bad = insn.dst if insn.dst > 10 else insn.src
        return f"register r{bad} does not exist (r0-r10)"
    return reason


def _src_is_register(insn: Insn) -> bool:
    cls = insn.cls
    if cls in (Class.LDX, Class.STX):
        return True
    if cls in (Class.ALU, Class.ALU64, Class.JMP, Class.JMP32):
        return bool(insn.opcode & Source.X)
    return cls == Class.LD and (insn.opcode & 0xE0) == Mode.IND


def validate(insn: Insn, index: int | None = None) -> None:
    """Raise `IsaError` if ``insn`` is not a valid encoding."""
    reason = problem(insn)
    if reason is not None:
        raise IsaError(f"{reason} (opcode {insn.opcode:#04x})", index=index)
