"""`Insn`: one eBPF instruction as a frozen value of five plain fields.

An instruction is 8 bytes (one *slot*)::

    +--------+----+----+--------+----------------+
    | opcode |src |dst |  off   |      imm       |
    |   8    | 4  | 4  |  16    |       32       |
    +--------+----+----+--------+----------------+

except ``lddw`` (``LD | IMM | DW``), which takes two slots: the second slot
carries the upper 32 bits of the 64-bit immediate and must be zero elsewhere.
pybpf keeps ``lddw`` as *one* `Insn` whose ``imm`` is the whole 64-bit value,
so a program is a plain list and slot arithmetic lives in one place
(`Insn.slots`).

Fields are canonical so that instructions compare by value: ``off`` is a signed
16-bit and ``imm`` a signed 32-bit integer (signed 64-bit for ``lddw``);
unsigned spellings (``imm=0xffffffff``) are folded to their signed value.

>>> from pybpf.isa import Insn
>>> Insn(0xb7, dst=0, imm=1).encode().hex()
'b700000001000000'
>>> Insn.decode(bytes.fromhex('b700000001000000'))
Insn(opcode=0xb7, dst=0, src=0, off=0, imm=1)
"""

from __future__ import annotations

import struct

from .._tuple import FieldTuple
from ..errors import IsaError
from .opcodes import CLASS_MASK, LDDW, MODE_MASK, OP_MASK, SIZE_BYTES, SIZE_MASK, SOURCE_MASK, Size

TYPE_CHECKING = False  # (not typing's: pybpf.isa is on every command's start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import NamedTuple

_SLOT = struct.Struct("<BBhi")
_SLOT_U = struct.Struct("<BBhI")


def _s16(v: int) -> int:
    return ((v + 0x8000) & 0xFFFF) - 0x8000


def _s32(v: int) -> int:
    return ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def _s64(v: int) -> int:
    return ((v + (1 << 63)) & ((1 << 64) - 1)) - (1 << 63)


def _canonical(opcode: int, dst: int, src: int, off: int, imm: int) -> tuple[int, int, int, int, int]:
    """Check the fields and fold unsigned spellings to the stored signed values."""
    if not isinstance(opcode, int) or not 0 <= opcode <= 0xFF:
        raise IsaError(f"opcode {opcode!r} does not fit in 8 bits")
    if not 0 <= dst <= 15:
        raise IsaError(f"dst register {dst} does not fit in 4 bits")
    if not 0 <= src <= 15:
        raise IsaError(f"src register {src} does not fit in 4 bits")
    if not -0x8000 <= off <= 0x7FFF:
        if not 0 <= off <= 0xFFFF:
            raise IsaError(f"offset {off} does not fit in 16 bits")
        off = _s16(off)
    if opcode == LDDW:
        if not -(1 << 63) <= imm < (1 << 63):
            if not 0 <= imm < (1 << 64):
                raise IsaError(f"immediate {imm} does not fit in 64 bits")
            imm = _s64(imm)
    elif not -0x80000000 <= imm <= 0x7FFFFFFF:
        if not 0 <= imm <= 0xFFFFFFFF:
            raise IsaError(f"immediate {imm} does not fit in 32 bits")
        imm = _s32(imm)
    return opcode, dst, src, off, imm


if TYPE_CHECKING:
    class _InsnFields(NamedTuple):
        opcode: int
        dst: int = 0
        src: int = 0
        off: int = 0
        imm: int = 0
else:  # the same tuple, without importing typing or collections: Insn names its fields
    _InsnFields = FieldTuple  # (one class made, not two)


class Insn(_InsnFields):
    """One eBPF instruction (``lddw`` included, as a single 16-byte value).

    ``dst`` and ``src`` are register numbers 0-15 as encoded (only 0-10 are
    valid registers; ``src`` also carries pseudo kinds for ``lddw`` and
    ``call``). ``off`` accepts -32768..65535 and ``imm`` -2**31..2**32-1
    (``lddw``: -2**63..2**64-1); both are stored signed.

    An immutable tuple underneath (constructing one is on every parser's hot
    path): values in canonical range take a fast path; anything else is checked
    and folded, or rejected with `IsaError`.
    """

    __slots__ = ()
    if not TYPE_CHECKING:  # (the NamedTuple base declares them for type checkers)
        _fields = ("opcode", "dst", "src", "off", "imm")
        _field_defaults = {"dst": 0, "src": 0, "off": 0, "imm": 0}

    def __new__(cls, opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> Insn:
        if (0 <= opcode <= 0xFF and 0 <= dst <= 15 and 0 <= src <= 15 and -0x8000 <= off <= 0x7FFF
                and -0x80000000 <= imm <= 0x7FFFFFFF):
            return tuple.__new__(cls, (opcode, dst, src, off, imm))
        return tuple.__new__(cls, _canonical(opcode, dst, src, off, imm))

    def __repr__(self) -> str:
        return (f"Insn(opcode={self.opcode:#04x}, dst={self.dst}, src={self.src}, "
                f"off={self.off}, imm={self.imm})")

    # -- shape ---------------------------------------------------------------
    @property
    def slots(self) -> int:
        """Number of 8-byte slots: 2 for ``lddw``, else 1."""
        return 2 if self.opcode == LDDW else 1

    @property
    def cls(self) -> int:
        """The class bits (``opcode & 7``); compare with `pybpf.isa.Class`."""
        return self.opcode & CLASS_MASK

    @property
    def op(self) -> int:
        """The operation bits of an arithmetic or jump opcode; compare with `pybpf.isa.AluOp`
        or `pybpf.isa.JmpOp`.

        >>> from pybpf.isa import JmpOp
        >>> Insn(0x95).op == JmpOp.EXIT
        True
        """
        return self.opcode & OP_MASK

    @property
    def uses_src_reg(self) -> bool:
        """Arithmetic and jumps: the second operand is ``src`` (`pybpf.isa.Source.X`), not ``imm``.

        >>> Insn(0x0f, dst=1, src=2).uses_src_reg, Insn(0x07, dst=1, imm=2).uses_src_reg
        (True, False)
        """
        return bool(self.opcode & SOURCE_MASK)

    @property
    def mode(self) -> int:
        """The mode bits of a load or store opcode; compare with `pybpf.isa.Mode`."""
        return self.opcode & MODE_MASK

    @property
    def size(self) -> int:
        """Loads and stores: the access width in bytes (1, 2, 4 or 8).

        >>> Insn(0x61, dst=0, src=1).size
        4
        """
        return SIZE_BYTES[Size(self.opcode & SIZE_MASK)]

    @property
    def uimm(self) -> int:
        """``imm`` read as an unsigned integer of its width (32 or 64 bits)."""
        return self.imm & ((1 << 64) - 1 if self.opcode == LDDW else 0xFFFFFFFF)

    def replace(self, **fields: int) -> Insn:
        """A copy with some fields changed.

        >>> Insn(0x05, off=1).replace(off=-1).off
        -1
        """
        return Insn(*self._replace(**fields))

    # -- bytes ---------------------------------------------------------------
    def encode(self) -> bytes:
        """The little-endian bytes of this instruction (8, or 16 for ``lddw``)."""
        regs = (self.src << 4) | self.dst
        if self.opcode == LDDW:
            u = self.imm & ((1 << 64) - 1)
            return _SLOT_U.pack(LDDW, regs, self.off, u & 0xFFFFFFFF) + _SLOT_U.pack(0, 0, 0, u >> 32)
        return _SLOT.pack(self.opcode, regs, self.off, self.imm)

    @classmethod
    def decode(cls, data: bytes | bytearray | memoryview, offset: int = 0) -> Insn:
        """Decode one instruction at byte ``offset`` (reads 16 bytes for ``lddw``).

        Raises `IsaError` when the bytes end early or the second slot of an
        ``lddw`` is not zero outside its immediate.
        """
        if offset + 8 > len(data):
            raise IsaError(f"truncated instruction at byte {offset}: {len(data) - offset} "
                           "bytes left, 8 needed", index=offset // 8)
        opcode, regs, off, imm = _SLOT.unpack_from(data, offset)
        if opcode == LDDW:
            if offset + 16 > len(data):
                raise IsaError("lddw needs 16 bytes but the program ends after its first "
                               "slot", index=offset // 8)
            op2, regs2, off2, hi = _SLOT_U.unpack_from(data, offset + 8)
            if op2 or regs2 or off2:
                raise IsaError("second slot of lddw must be zero except its immediate "
                               f"(got opcode {op2:#x}, regs {regs2:#x}, off {off2})",
                               index=offset // 8 + 1)
            imm = _s64((hi << 32) | (imm & 0xFFFFFFFF))
        return cls(opcode, regs & 0x0F, regs >> 4, off, imm)


def decode_all(data: bytes | bytearray | memoryview) -> list[Insn]:
    """Decode a whole program of raw little-endian bytecode.

    >>> decode_all(bytes.fromhex('b700000000000000' '9500000000000000'))
    [Insn(opcode=0xb7, dst=0, src=0, off=0, imm=0), Insn(opcode=0x95, dst=0, src=0, off=0, imm=0)]
    """
    if len(data) % 8:
        raise IsaError(f"bytecode length {len(data)} is not a multiple of 8")
    return list(iter_decode(data))


def iter_decode(data: bytes | bytearray | memoryview) -> Iterator[Insn]:
    """Yield the instructions of raw bytecode one by one."""
    pos = 0
    n = len(data)
    while pos < n:
        insn = Insn.decode(data, pos)
        yield insn
        pos += 16 if insn.opcode == LDDW else 8


def encode_all(insns: list[Insn]) -> bytes:
    """Concatenate the encodings of ``insns``."""
    return b"".join(i.encode() for i in insns)
