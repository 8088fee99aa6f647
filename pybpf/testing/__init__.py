"""Helpers for testing eBPF code with pybpf: hypothesis strategies.

>>> from pybpf.testing import insns, programs
>>> from pybpf.isa import problem
>>> from hypothesis import find
>>> problem(find(insns(), lambda insn: insn.slots == 2)) is None
True
"""

from .strategies import imm32, imm64, insns, off16, programs, regs

__all__ = ["imm32", "imm64", "insns", "off16", "programs", "regs"]
