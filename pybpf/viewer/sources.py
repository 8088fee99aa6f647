"""The programs of a file, with what verifying them needs, for the viewer's pages.

`record_file` takes what ``pybpf verify`` takes (assembly, raw bytecode, a clang object,
a Python file of DSL probes) and records each program's verification as
``pybpf verify`` judges it (an object's programs with its maps, kconfig and BTF func info).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import PybpfError
from .recording import VerifierRun, record_verifier


def _looks_binary(data: bytes) -> bool:
    if not data or len(data) % 8:
        return False
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        return True
    return b"\0" in data


def record_file(path: str, *, prog_type: str | None = None, names: list[str] | None = None,
                syntax: str = "auto", expected_attach_type: str | None = None) -> list[VerifierRun]:
    """A `VerifierRun` for each program of the file at ``path`` (``names``: only these
    programs or sections of an object or a probe file)."""
    data = Path(path).read_bytes()
    if data.startswith(b"\x7fELF"):
        return _object_runs(path, prog_type, names, expected_attach_type)
    if path.endswith(".py"):
        from ..explain.api import dsl_programs

        return [record_verifier(prog, prog_type or ptype, expected_attach_type=expected_attach_type)
                for _name, prog, ptype in dsl_programs(path, names)]
    if not prog_type:
        raise PybpfError(f"{path}: give --type for assembly or raw bytecode (e.g. --type socket_filter)")
    from ..isa import ProgramSpec

    if _looks_binary(data):
        program = ProgramSpec.from_bytes(data)
    else:
        from ..asm import assemble

        text = data.decode()
        if syntax == "auto":
            syntax = "gas" if "%r" in text else "llvm"
        program = assemble(text, syntax=syntax, filename=path)
    program.name = program.name or Path(path).stem
    return [record_verifier(program, prog_type, expected_attach_type=expected_attach_type)]


def _object_runs(path: str, prog_type: str | None, names: list[str] | None,
                 attach: str | None) -> list[VerifierRun]:
    from ..elf.loader import BpfObject

    return record_object(BpfObject.open(path), names, prog_type=prog_type, attach=attach)


def record_object(obj: Any, names: list[str] | None = None, *, prog_type: str | None = None,
                  attach: str | None = None) -> list[VerifierRun]:
    """A `VerifierRun` for each program of a `pybpf.elf.loader.BpfObject` (``names``: only
    these programs or sections), verified as ``pybpf verify`` judges an object: with its
    maps, kconfig and BTF func info."""
    maps = obj.verifier_maps()
    runs = []
    for name, ps in obj.chosen_programs(names):
        prog, _failures = obj.prepare_program(ps)
        prog.name = prog.name or name
        runs.append(record_verifier(prog, prog_type or ps.spec.prog_type, maps=maps,
                                    expected_attach_type=attach or ps.spec.expected_attach_type,
                                    func_info=obj.has_func_info()))
    return runs


__all__ = ["record_file", "record_object"]
