"""The public names: every entry point of `pybpf` imports, every renamed one still resolves
for one release with a DeprecationWarning naming its replacement."""
from __future__ import annotations

import importlib
import re

import pytest

import pybpf

#: module, old name, the object it must resolve to ("module.attr")
OLD_NAMES = [
    ("pybpf", old, target) for old, (target, _since) in pybpf._DEPRECATED.items()
] + [
    ("pybpf.isa", "MapDecl", "pybpf.isa.mapspec.MapSpec"),
    ("pybpf.kernel.ringbuf", "RingBuffer", "pybpf.kernel.ringbuf.RingBufReader"),
    ("pybpf.kernel.perfbuf", "PerfBuffer", "pybpf.kernel.perfbuf.PerfBufReader"),
    ("pybpf.elf", "load_object", "pybpf.elf.object.read_object"),
    ("pybpf.elf.loader", "LoadedProgram", "pybpf.elf.loader.ObjectProgram"),
    ("pybpf.dsl", "Map", "pybpf.dsl.automap.AutoMap"),
]


def _resolve(target: str) -> object:
    module, _, attr = target.rpartition(".")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("name", sorted(pybpf._LAZY))
def test_every_entry_point_imports(name):
    assert getattr(pybpf, name) is not None
    assert name in dir(pybpf) and name in pybpf.__all__


@pytest.mark.parametrize("module,old,target", OLD_NAMES)
def test_old_names_warn_and_resolve(module, old, target):
    mod = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=re.escape(f"{module}.{old} is {target} since ")):
        value = getattr(mod, old)
    assert value is _resolve(target)


def test_old_names_are_not_entry_points():
    assert not set(pybpf._DEPRECATED) & set(pybpf._LAZY)
    assert not set(pybpf._DEPRECATED) & set(pybpf.__all__)


def test_unknown_names_are_attribute_errors():
    for module in ("pybpf", "pybpf.isa", "pybpf.elf", "pybpf.kernel.ringbuf", "pybpf.dsl"):
        with pytest.raises(AttributeError, match="no_such_name"):
            _ = importlib.import_module(module).no_such_name


def test_no_two_public_names_mean_different_things():
    """``pybpf.dsl.Map`` (a bpftrace-style map typed by its first use) read like
    ``pybpf.Map`` (a map loaded in the kernel): the DSL's is `AutoMap` now, and no public
    name of `pybpf.dsl` is also a public name of `pybpf` for another object."""
    import pybpf.dsl

    clash = {n for n in set(pybpf.dsl.__all__) & set(pybpf.__all__)
             if getattr(pybpf.dsl, n) is not getattr(pybpf, n)}
    assert clash == set()
    assert "Map" not in pybpf.dsl.__all__ and "AutoMap" in pybpf.dsl.__all__
