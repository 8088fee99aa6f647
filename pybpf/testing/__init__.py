"""Generators for testing eBPF code with pybpf.

- `pybpf.testing.strategies`: hypothesis strategies for registers, immediates,
  instructions and whole programs (re-exported here; they need hypothesis);
- `pybpf.testing.progen`: random programs the kernel verifier accepts, drawn from any
  ``draw(lo, hi)`` function (hypothesis in tests, `random` in the fuzz campaigns), for
  running the same program on the VM and on the kernel (`pybpf.kernel.oracle`).

>>> from pybpf.testing import insns, programs
>>> from pybpf.isa import problem
>>> from hypothesis import find
>>> problem(find(insns(), lambda insn: insn.slots == 2)) is None
True
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .strategies import imm32, imm64, insns, off16, programs, regs

_STRATEGIES = ("imm32", "imm64", "insns", "off16", "programs", "regs")


def __getattr__(name: str) -> object:
    # lazy: `pybpf.testing.progen` must not need hypothesis (the fuzz campaigns draw with random)
    if name not in _STRATEGIES:
        raise AttributeError(f"module 'pybpf.testing' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.strategies"), name)
    globals()[name] = value
    return value


__all__ = ["imm32", "imm64", "insns", "off16", "programs", "regs"]
