"""The loader's copy of a program (`pybpf.elf.loader._copy_program`, not `copy.deepcopy`:
start-up) is what deepcopy makes, and shares nothing the loader changes with the object."""
from __future__ import annotations

import copy

import pytest

from pybpf.elf.loader import BpfObject, _copy_program
from pybpf.isa import Insn, MapSpec, ProgramSpec, Ref, SourceLine

OBJECTS = ("cli_inputs", "maps_btf", "maps_legacy", "subprogs", "two_globals", "loop_cb",
           "dsl_biolatency", "dsl_execsnoop",
           "dsl_profile", "dsl_syscount", "dsl_tcpconnect", "dsl_xdp_drop")


def _check(prog: ProgramSpec) -> None:
    made = _copy_program(prog)
    assert made == copy.deepcopy(prog)
    assert type(made) is ProgramSpec
    for name in ("insns", "labels", "refs", "lines", "maps"):
        assert getattr(made, name) is not getattr(prog, name), name
    for name, spec in prog.maps.items():
        assert made.maps[name] is not spec and made.maps[name].extra is not spec.extra
        if isinstance(spec.inner, MapSpec):
            assert made.maps[name].inner == spec.inner and made.maps[name].inner is not spec.inner


@pytest.mark.parametrize("name", OBJECTS + ("core", "trace_open"))
def test_copy_is_deepcopy(bpf_compile, vmlinux_dir, name: str) -> None:
    obj = BpfObject.open(str(bpf_compile(name, vmlinux_dir)))
    for ps in obj.spec.programs.values():
        _check(ps.program)


def test_copy_of_nested_and_extras() -> None:
    inner = MapSpec("in", "array", 4, 4, 1, extra={"k": [1, 2]})
    prog = ProgramSpec([Insn(0xb7), Insn(0x95)], {"L": 1}, {0: Ref.map("m")},
                       {"m": MapSpec("m", "array_of_maps", 4, 4, 1, inner=inner,
                                     extra={"stacks": {"a": [1]}, "n": 3})},
                       {0: SourceLine("a.s", 1)}, "p", "xdp", "GPL", "xdp")
    _check(prog)
    made = _copy_program(prog)
    made.maps["m"].extra["stacks"]["a"].append(2)
    assert prog.maps["m"].extra["stacks"] == {"a": [1]}
