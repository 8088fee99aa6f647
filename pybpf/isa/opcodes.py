"""The parts of an eBPF opcode, as small closed types.

An opcode byte is laid out in one of two ways, picked by its class (the low
three bits)::

    arithmetic and jumps        loads and stores
    +------+-----+-------+      +------+------+-------+
    | op:4 |src:1|class:3|      |mode:3|size:2|class:3|
    +------+-----+-------+      +------+------+-------+
     7   4   3    2     0        7   5  4  3   2     0

Everything here is data: the assembler, the disassembler, the VM, the verifier
and the DSL read these tables and never spell an opcode number themselves.
Sources: RFC 9669 and the Linux uapi ``bpf.h`` / ``bpf_common.h`` headers.

>>> Class.ALU64 | Source.X | AluOp.ADD
15
>>> hex(Class.LDX | Size.W | Mode.MEM)
'0x61'
"""

from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from enum import IntEnum
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import IntEnum


class Class(IntEnum):
    """Instruction class: bits 0-2 of the opcode."""

    LD = 0x00
    LDX = 0x01
    ST = 0x02
    STX = 0x03
    ALU = 0x04
    JMP = 0x05
    JMP32 = 0x06
    ALU64 = 0x07

    @property
    def is_alu(self) -> bool:
        return self in (Class.ALU, Class.ALU64)

    @property
    def is_jump(self) -> bool:
        return self in (Class.JMP, Class.JMP32)

    @property
    def is_load_store(self) -> bool:
        return self <= Class.STX


CLASS_MASK = 0x07


class Source(IntEnum):
    """Operand source (bit 3) of arithmetic and jump opcodes.

    ``K`` uses the 32-bit immediate, ``X`` the source register. For the END
    (byte swap) operation the same bit selects little (``K``, ``TO_LE``) or big
    (``X``, ``TO_BE``) endian.
    """

    K = 0x00
    X = 0x08


SOURCE_MASK = 0x08
OP_MASK = 0xF0


class AluOp(IntEnum):
    """Arithmetic operations: bits 4-7 of an ALU/ALU64 opcode."""

    ADD = 0x00
    SUB = 0x10
    MUL = 0x20
    DIV = 0x30  # off=1: signed division (SDIV)
    OR = 0x40
    AND = 0x50
    LSH = 0x60
    RSH = 0x70
    NEG = 0x80
    MOD = 0x90  # off=1: signed modulo (SMOD)
    XOR = 0xA0
    MOV = 0xB0  # off=8/16/32 with Source.X: sign-extending move (MOVSX)
    ARSH = 0xC0
    END = 0xD0  # byte swap; ALU64|END|K is the unconditional BSWAP


class JmpOp(IntEnum):
    """Jump operations: bits 4-7 of a JMP/JMP32 opcode."""

    JA = 0x00  # JMP: offset in `off`; JMP32 (gotol): offset in `imm`
    JEQ = 0x10
    JGT = 0x20
    JGE = 0x30
    JSET = 0x40
    JNE = 0x50
    JSGT = 0x60
    JSGE = 0x70
    CALL = 0x80
    EXIT = 0x90
    JLT = 0xA0
    JLE = 0xB0
    JSLT = 0xC0
    JSLE = 0xD0
    JCOND = 0xE0  # may_goto (src=0)


#: Conditional jump ops (those that compare dst with src/imm).
CONDITIONAL_JUMPS = frozenset(
    {
        JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT,
        JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE,
    }
)


class Size(IntEnum):
    """Access width: bits 3-4 of a load/store opcode."""

    W = 0x00
    H = 0x08
    B = 0x10
    DW = 0x18

    @property
    def nbytes(self) -> int:
        return SIZE_BYTES[self]


SIZE_MASK = 0x18
SIZE_BYTES = {Size.B: 1, Size.H: 2, Size.W: 4, Size.DW: 8}
SIZE_OF_BYTES = {v: k for k, v in SIZE_BYTES.items()}


class Mode(IntEnum):
    """Addressing mode: bits 5-7 of a load/store opcode."""

    IMM = 0x00  # LD only: the 16-byte lddw
    ABS = 0x20  # legacy packet access LD_ABS
    IND = 0x40  # legacy packet access LD_IND
    MEM = 0x60
    MEMSX = 0x80  # sign-extending load (LDX only)
    ATOMIC = 0xC0  # STX only


MODE_MASK = 0xE0


class AtomicOp(IntEnum):
    """The ``imm`` field of an ``STX | ATOMIC`` instruction."""

    ADD = 0x00
    OR = 0x40
    AND = 0x50
    XOR = 0xA0
    FETCH_ADD = 0x01
    FETCH_OR = 0x41
    FETCH_AND = 0x51
    FETCH_XOR = 0xA1
    XCHG = 0xE1
    CMPXCHG = 0xF1
    LOAD_ACQ = 0x100
    STORE_REL = 0x110

    @property
    def fetches(self) -> bool:
        """True when the old memory value is written back to a register."""
        return bool(self & FETCH) and self not in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)


FETCH = 0x01


class PseudoSrc(IntEnum):
    """The ``src`` field of a 16-byte ``lddw`` (``LD | IMM | DW``)."""

    IMM = 0  # plain 64-bit constant
    MAP_FD = 1  # imm: map fd
    MAP_VALUE = 2  # imm: map fd, next imm: offset into the value
    BTF_ID = 3  # imm: BTF id of a kernel variable (ksym)
    FUNC = 4  # imm: relative offset of a subprogram
    MAP_IDX = 5  # imm: index into fd_array
    MAP_IDX_VALUE = 6  # imm: index into fd_array, next imm: value offset


class CallSrc(IntEnum):
    """The ``src`` field of a ``JMP | CALL`` instruction."""

    HELPER = 0  # imm: helper id
    LOCAL = 1  # imm: relative offset of a bpf-to-bpf call (BPF_PSEUDO_CALL)
    KFUNC = 2  # imm: BTF id of a kernel function (BPF_PSEUDO_KFUNC_CALL)


class Endian(IntEnum):
    """Byte-swap direction, the Source bit of an END instruction."""

    TO_LE = 0x00
    TO_BE = 0x08


#: Valid ``off`` values of the sign-extending MOV (bits) and their widths.
MOVSX_WIDTHS = (8, 16, 32)
#: Valid ``imm`` values of END instructions (bits).
END_WIDTHS = (16, 32, 64)

#: Number of general registers (r0..r10); r10 is the read-only frame pointer.
NUM_REGS = 11
FRAME_POINTER = 10
#: Stack size of one frame in bytes.
STACK_SIZE = 512

#: Opcode of the 16-byte wide load (``LD | IMM | DW``).
LDDW = Class.LD | Mode.IMM | Size.DW
CALL = Class.JMP | JmpOp.CALL
CALLX = Class.JMP | JmpOp.CALL | Source.X
EXIT = Class.JMP | JmpOp.EXIT
JA = Class.JMP | JmpOp.JA
GOTOL = Class.JMP32 | JmpOp.JA
MAY_GOTO = Class.JMP | JmpOp.JCOND


def insn_class(opcode: int) -> Class:
    """The class of an opcode byte.

    >>> insn_class(0x95)
    <Class.JMP: 5>
    """
    return Class(opcode & CLASS_MASK)
