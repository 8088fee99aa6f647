"""Slot arithmetic for the assemblers: where each instruction of a list starts.

Jump offsets count 8-byte slots and ``lddw`` takes two, so an instruction's slot is its
index plus the ``lddw`` before it. The assemblers ask for all of them at once (100k
instructions: a few ms), from the opcodes' bytes.

>>> from pybpf.isa.insn import Insn
>>> slot_offsets([Insn(0xb7), Insn(0x18), Insn(0x95)])
[0, 1, 3, 4]
"""

from __future__ import annotations

try:  # operator's C half (operator.py itself is an import of its own on `pybpf asm`'s path)
    from _operator import itemgetter
except ImportError:  # pragma: no cover - interpreters without it
    from operator import itemgetter

from ..isa.opcodes import LDDW

TYPE_CHECKING = False  # (not typing's: the assembler is on `pybpf asm`'s start-up path)
if TYPE_CHECKING:
    from collections.abc import Sequence

_LDDW_BYTE = bytes([LDDW])
_OPCODE = itemgetter(0)


def slot_offsets(insns: Sequence[Sequence[int]]) -> list[int]:
    """Slot number of each instruction (an `Insn`, or the tuple of its fields), plus the
    total at the end (what `pybpf.isa.ProgramSpec.slot_offsets` gives)."""
    ops = bytes(map(_OPCODE, insns))
    n = len(ops)
    k = ops.find(_LDDW_BYTE)
    if k < 0:
        return list(range(n + 1))
    # between two lddw the slots count up by one: a range per stretch
    out: list[int] = []
    extend = out.extend
    shift = prev = 0
    while k >= 0:
        extend(range(prev + shift, k + 1 + shift))
        shift += 1
        prev = k + 1
        k = ops.find(_LDDW_BYTE, prev)
    extend(range(prev + shift, n + 1 + shift))
    return out
