"""pybpf's map rules (`pybpf.uapi.map_rules`) against BPF_MAP_CREATE on the running kernel.

For every map type pybpf checks, each field is varied on its own around a map the kernel
creates, and every flag bit is tried: pybpf's verdict ("what is wrong", or nothing) must be
the kernel's (refused, or created) at the max_entries pybpf creates the map with
(`entries_at_creation`). Sizes stay small, so that only the rules decide, not the
machine's memory.
"""
from __future__ import annotations

import errno
import os

import pytest

from pybpf.errors import KernelError
from pybpf.isa import MapSpec
from pybpf.uapi.map_rules import CPU_SLOT_TYPES, FLAGS, RULES, entries_at_creation, map_problem

pytestmark = pytest.mark.kernel

#: a map of each type the kernel creates (key, value, max_entries, flags)
BASE = {t: (0 if r.key.ok(0) else 4 if r.key.ok(4) else 8,
            0 if r.value.ok(0) else 4 if r.value.ok(4) else 8,
            4096 if not r.entries.ok(1) and r.entries.ok(4096) else 0 if r.entries.ok(0) else 1,
            sum(1 << FLAGS[name] for name in r.required))
        for t, r in RULES.items() if not r.btf}
KEYS = (0, 1, 4, 5, 8, 12, 16, 260, 261, 512, 513)
VALUES = (0, 1, 4, 8, 12, 16, 32, 64, 32768, 32769)
ENTRIES = (0, 1, 2, 4095, 4096, 8192, 12288)


def _kernel_creates(t: str, k: int, v: int, n: int, flags: int, inner_fd: int) -> bool:
    from pybpf import uapi as A
    from pybpf.kernel.syscall import Cmd, bpf

    attr = A.MAP_CREATE.new(map_type=A.map_type(t), key_size=k, value_size=v, max_entries=n,
                            map_flags=flags, inner_map_fd=inner_fd if RULES[t].inner else 0)
    try:
        fd = bpf(Cmd.MAP_CREATE, attr)
    except KernelError as exc:
        assert exc.errno in (errno.EINVAL, errno.E2BIG, errno.ENOTSUPP if hasattr(errno, "ENOTSUPP")
                             else 524, 524), f"{t}: {exc}"
        return False
    os.close(fd)
    return True


def _cases(t: str) -> list[tuple[int, int, int, int]]:
    k, v, n, f = BASE[t]
    out = [(k, v, n, f)]
    out += [(kk, v, n, f) for kk in KEYS]
    out += [(k, vv, n, f) for vv in VALUES]
    out += [(k, v, nn, f) for nn in ENTRIES]
    out += [(k, v, n, f | 1 << bit) for bit in range(19)]
    return out


@pytest.fixture(scope="module")
def inner_fd():
    from pybpf import uapi as A
    from pybpf.kernel.syscall import Cmd, bpf

    fd = bpf(Cmd.MAP_CREATE, A.MAP_CREATE.new(map_type=A.map_type("array"), key_size=4,
                                                value_size=4, max_entries=1))
    yield fd
    os.close(fd)


@pytest.mark.parametrize("map_type", sorted(BASE))
def test_map_rules_agree_with_map_create(map_type, inner_fd):
    wrong = []
    for k, v, n, f in _cases(map_type):
        decl = MapSpec("m", map_type, k, v, n, f, inner="tmpl" if RULES[map_type].inner else None)
        problem = map_problem(decl, {"tmpl": MapSpec("tmpl", "array", 4, 4, 1)})
        created = _kernel_creates(map_type, k, v, entries_at_creation(map_type, n), f, inner_fd)
        if created == (problem is not None):
            wrong.append(f"key={k} value={v} max_entries={n} flags={f:#x}: kernel "
                         f"{'creates it' if created else 'refuses it'}, pybpf says {problem!r}")
    assert not wrong, f"{map_type}:\n" + "\n".join(wrong)


def test_every_map_type_of_the_kernel_has_a_rule_or_is_named_unchecked():
    from pybpf.uapi.map_rules import _ALIASES, UNCHECKED, map_type_names

    for name in map_type_names():
        assert _ALIASES.get(name, name) in RULES or name in UNCHECKED, name



@pytest.mark.parametrize("map_type", sorted(CPU_SLOT_TYPES))
def test_zero_entries_is_a_slot_a_cpu_for_map_create_the_assembler_and_the_verifier(map_type):
    """BPF_MAP_CREATE refuses max_entries 0; pybpf creates the map with one slot a possible
    CPU (`entries_at_creation`), and the assembler and the verifier judge the declaration as
    it is created."""
    from pybpf import Map
    from pybpf.asm import assemble
    from pybpf.uapi.cpus import possible_cpus
    from pybpf.verifier.engine import map_report

    assert not _kernel_creates(map_type, 4, 4, 0, 0, 0)
    spec = MapSpec("slots", map_type, 4, 4, 0)
    with Map.create(spec) as m:
        assert m.max_entries == possible_cpus() == entries_at_creation(map_type, 0)
    program = assemble(f".map slots {map_type} key=4 value=4\nr0 = 0\nexit")
    assert program.maps["slots"].max_entries == 0  # filled in when the map is created
    assert map_problem(spec) is None and map_report(program) is None
    wrong_key = program.replace(maps={"slots": spec.replace(key_size=8)})
    assert map_report(wrong_key) is not None  # the rest of the declaration is still checked
