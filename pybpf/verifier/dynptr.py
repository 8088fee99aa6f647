"""Dynptrs on the stack: ``struct bpf_dynptr`` slots (work in progress)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .report import Reject
from .state import Frame, Slot, State

if TYPE_CHECKING:
    from .session import Session


def destroy_at(v: Session, st: State, f: Frame, spi: int, insn: int) -> None:
    raise Reject(insn, "dynptr stack writes are not modelled yet", "unsupported")


def _unsupported(*_a: Any, **_k: Any) -> Any:
    raise Reject(None, "dynptrs are not modelled yet", "unsupported")


release_stack = arg_reg = id_of = ref_of = type_of = is_referenced = process_arg = _unsupported
_ = Slot

__all__ = ["destroy_at"]
