"""Register operands: the kernel's ``check_reg_arg`` for reads and writes.

>>> from pybpf.verifier.state import State
>>> st = State()
>>> st.regs[1] = Reg.const(7)
>>> read_reg(st, 1, 0).fmt()
'7'
"""
from __future__ import annotations

from .report import Reject
from .state import RT, Reg, State

FRAME_POINTER = 10
_NOT_INIT = RT.NOT_INIT


def read_reg(st: State, regno: int, insn: int) -> Reg:
    """The register ``regno``, which must have been written on this path."""
    r = st.frames[-1].regs[regno]
    if r.type is _NOT_INIT:
        raise Reject(insn, f"R{regno} !read_ok", "uninit_register", reg=regno)
    return r


def check_writable(regno: int, insn: int) -> None:
    """R10, the frame pointer, cannot be written."""
    if regno == FRAME_POINTER:
        raise Reject(insn, "frame pointer is read only", "frame_pointer_write", reg=FRAME_POINTER)


__all__ = ["check_writable", "read_reg"]
