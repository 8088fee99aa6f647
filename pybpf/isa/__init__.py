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

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from .checks import problem, validate
    from .helpers import helper_signature

__all__ = [
    "CALL", "CALLX", "CLASS_MASK", "CONDITIONAL_JUMPS", "END_WIDTHS", "EXIT", "FRAME_POINTER",
    "GOTOL", "JA", "LDDW", "MAY_GOTO", "MOVSX_WIDTHS", "NUM_REGS", "SIZE_BYTES", "SIZE_OF_BYTES",
    "STACK_SIZE", "AluOp", "AtomicOp", "CallSrc", "Class", "Endian", "Insn", "JmpOp", "MapSpec",
    "Mode", "ProgramSpec", "PseudoSrc", "Ref", "RefKind", "Size", "Source", "SourceLine",
    "decode_all", "encode_all", "helper_id", "helper_name", "helper_signature", "insn_class",
    "iter_decode", "problem", "target_field", "validate",
]


#: helper name without ``bpf_`` -> id, made at the first `helper_id`
_helper_ids: dict[str, int] | None = None


def helper_id(name: str) -> int | None:
    """The id of helper ``name`` (with or without ``bpf_``), or None. The names
    (`pybpf.isa.generated`) load at the first call: loading an object needs none, and the
    builder and the assembler need no more than these two functions
    (`pybpf.isa.helpers` has the signatures and the spelling hints).

    >>> helper_id("map_lookup_elem"), helper_id("bpf_map_lookup_elem"), helper_id("nope")
    (1, 1, None)
    """
    global _helper_ids
    ids = _helper_ids
    if ids is None:
        from .generated import NAMES

        ids = _helper_ids = {n: num for num, n in enumerate(NAMES) if n is not None}
    return ids.get(name[4:] if name.startswith("bpf_") else name)


def helper_name(num: int) -> str | None:
    """The C name (``bpf_...``) of helper ``num``, or None when unknown.

    >>> helper_name(1), helper_name(100000)
    ('bpf_map_lookup_elem', None)
    """
    from .generated import NAMES

    name = NAMES[num] if isinstance(num, int) and 0 <= num < len(NAMES) else None
    return None if name is None else "bpf_" + name


#: old names, kept for one release with a DeprecationWarning (docs showed them); the helper
#: signatures and the encoding checks, imported at their first use
__getattr__ = module_getattr(__name__, {"MapDecl": ("pybpf.isa.mapspec.MapSpec", "0.2")},
                             {"helper_signature": "pybpf.isa.helpers", "problem": "pybpf.isa.checks",
                              "validate": "pybpf.isa.checks"})
