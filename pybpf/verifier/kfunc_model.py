"""The kfunc model: prototypes from the kernel's BTF, flags as data (work in progress)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..isa import Insn
from .flow import Flow
from .report import Reject
from .state import State

if TYPE_CHECKING:
    from .session import Session


def call(v: Session, st: State, insn: Insn, i: int) -> Flow:
    raise Reject(i, "calling kernel functions is not allowed in this program", "unsupported")


__all__ = ["call"]
