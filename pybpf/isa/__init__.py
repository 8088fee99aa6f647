"""The eBPF instruction set as data: opcodes, `Insn`, `ProgramSpec`, helpers.

>>> from pybpf.isa import Insn, Class, AluOp, Source
>>> Insn(Class.ALU64 | AluOp.MOV | Source.K, dst=0, imm=42).encode().hex()
'b70000002a000000'
"""

from .._deprecated import module_getattr
from .insn import Insn, decode_all, encode_all, iter_decode
from .mapspec import MapSpec
from .opcodes import (
    CALL,
    CALLX,
    CLASS_MASK,
    CONDITIONAL_JUMPS,
    END_WIDTHS,
    EXIT,
    FRAME_POINTER,
    GOTOL,
    JA,
    LDDW,
    MAY_GOTO,
    MOVSX_WIDTHS,
    NUM_REGS,
    SIZE_BYTES,
    SIZE_OF_BYTES,
    STACK_SIZE,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    Endian,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
    insn_class,
)
from .program import ProgramSpec, Ref, RefKind, SourceLine, target_field
from .validate import problem, validate  # (eager: the submodule's import would shadow the name)

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from .helpers import helper_id, helper_name, helper_signature

__all__ = [
    "CALL", "CALLX", "CLASS_MASK", "CONDITIONAL_JUMPS", "END_WIDTHS", "EXIT", "FRAME_POINTER",
    "GOTOL", "JA", "LDDW", "MAY_GOTO", "MOVSX_WIDTHS", "NUM_REGS", "SIZE_BYTES", "SIZE_OF_BYTES",
    "STACK_SIZE", "AluOp", "AtomicOp", "CallSrc", "Class", "Endian", "Insn", "JmpOp", "MapSpec",
    "Mode", "ProgramSpec", "PseudoSrc", "Ref", "RefKind", "Size", "Source", "SourceLine",
    "decode_all", "encode_all", "helper_id", "helper_name", "helper_signature", "insn_class",
    "iter_decode", "problem", "target_field", "validate",
]


#: old names, kept for one release with a DeprecationWarning (docs showed them); the helper
#: table, imported at its first use (loading an object needs none)
__getattr__ = module_getattr(__name__, {"MapDecl": ("pybpf.isa.mapspec.MapSpec", "0.2")}, dict.fromkeys(
    ("helper_id", "helper_name", "helper_signature"), "pybpf.isa.helpers"))
