"""Explain every program of a file: an ELF object, a DSL probe file, assembly or bytecode.

>>> from pybpf.asm import assemble
>>> [e.accepted for e in explain_programs([("p", assemble("r0 = 0\\nexit"), "socket_filter")])]
[True]
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .explanation import Explanation, explain_program

if TYPE_CHECKING:
    from ..isa import ProgramSpec


def explain_programs(items: Iterable[tuple[str, ProgramSpec, str | None]], **kw: Any) -> list[Explanation]:
    """`explain_program` for each ``(name, program, prog_type)``."""
    return [explain_program(prog, ptype, name=name, **kw) for name, prog, ptype in items]


def explain_object(obj: Any, names: list[str] | None = None, *, prog_type: str | None = None,
                   expected_attach_type: str | None = None, **kw: Any) -> list[Explanation]:
    """Explain the programs of a `pybpf.elf.loader.BpfObject` (or those named in ``names``,
    by name or section), as ``BpfObject.verify`` verifies them."""
    maps = obj.verifier_maps()
    out = []
    for name, ps in obj.chosen_programs(names):
        prog, _failures = obj.prepare_program(ps)
        out.append(explain_program(
            prog, prog_type or ps.spec.prog_type, maps=maps, name=name,
            expected_attach_type=expected_attach_type or ps.spec.expected_attach_type,
            func_info=obj.has_func_info(), **kw))
    return out


def dsl_programs(path: str, names: list[str] | None = None) -> list[tuple[str, ProgramSpec, str | None]]:
    """The probes of a DSL file, compiled without pybpf's verifier check."""
    from ..dsl.probe import load_module, module_probes
    from ..errors import PybpfError

    try:
        mod = load_module(path)
    except PybpfError:
        raise
    except Exception as exc:  # noqa: BLE001 - the user's module failed to import
        raise PybpfError(f"{path}: cannot import the probe file: {type(exc).__name__}: {exc}") \
            from None
    out = []
    for p in module_probes(mod):
        if names and p.name not in names and p.section not in names:
            continue
        prog = p.compile(verify=False)
        out.append((p.name, prog, prog.prog_type))
    return out


__all__ = ["dsl_programs", "explain_object", "explain_programs"]
