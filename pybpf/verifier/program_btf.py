"""What the verifier needs from a program's BTF: function prototypes and the attach target.

A clang object compiled with ``-g`` carries BTF and ``.BTF.ext`` function info: the kernel
uses them to tell global functions (verified on their own, checked at each call against
their prototype) from static ones, and to allow callbacks. BTF-typed tracing programs also
name a kernel function or tracepoint to attach to, whose prototype types the context.

>>> ProgramBtf(None, {0: 3}).funcs[0]
3
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProgramBtf:
    """The program's own BTF, its function info, and (for tracing) its attach target.

    ``funcs`` maps the instruction *index* of each function's first instruction to its
    ``FUNC`` type id in ``btf``; ``attach_btf_id`` is the attach target's type id in the
    running kernel's BTF (the ``btf_trace_<tracepoint>`` typedef of a tp_btf program, the
    ``FUNC`` of an fentry/fexit program, ``bpf_iter_<name>`` of an iterator) and
    ``attach_name`` its name.
    """

    btf: Any
    funcs: Mapping[int, int] = field(default_factory=dict)
    attach_btf_id: int = 0
    attach_name: str = ""

    def func(self, start: int) -> Any | None:
        tid = self.funcs.get(start)
        if not tid or self.btf is None:
            return None
        return self.btf[tid]

    def is_global(self, start: int) -> bool:
        rec = self.func(start)
        return rec is not None and int(getattr(rec, "linkage", 0)) == 1

    def name(self, start: int) -> str:
        rec = self.func(start)
        return rec.name if rec is not None else ""


def attach_target(kind: str, target: str) -> tuple[int, str]:
    """The running kernel's BTF id and name for a BTF-attached section target.

    ``kind`` is the section kind (``tp_btf``, ``fentry``, ``fexit``, ``fmod_ret``, ``iter``,
    ``lsm``); ``target`` what follows the slash.
    """
    from .btf_types import kernel

    b = kernel()
    if kind == "tp_btf":
        name = f"btf_trace_{target}"
        return b.find(name, "typedef"), name
    if kind in ("iter", "iter.s"):
        name = f"bpf_iter_{target}"
        return b.find(name, "func"), name
    name = target.split(":")[-1]
    if kind.startswith("lsm"):
        name = f"bpf_lsm_{name}"
    return b.find(name, "func"), name


__all__ = ["ProgramBtf", "attach_target"]
