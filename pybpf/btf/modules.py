"""Kernel module BTF: ``/sys/kernel/btf/<module>``, split BTF on top of vmlinux.

Module BTF continues vmlinux's type ids and string offsets, so each module is a `Btf`
whose ``base`` is `vmlinux()`. Module BTF that cannot be read or parsed (permissions,
a module unloading, a format this reader rejects) is skipped, not fatal: `modules`
returns what it could read and lists the rest in `ModuleSet.skipped`.

>>> ms = modules()                                    # doctest: +SKIP
>>> ms.find("nf_conn", "struct")                      # doctest: +SKIP
('nf_conntrack', 1234)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BtfError
from .format import Kind
from .parse import Btf, vmlinux

SYSFS_BTF = Path("/sys/kernel/btf")


def module(name: str, *, base: Btf | None = None, root: Path | str = SYSFS_BTF) -> Btf:
    """The split BTF of kernel module ``name`` on top of ``base`` (default: vmlinux).

    Raises `BtfError` when the module has no readable BTF.
    """
    if not name or "/" in name or name == "vmlinux":
        raise BtfError(f"not a module name: {name!r}")
    base = base if base is not None else vmlinux(str(Path(root) / "vmlinux"))
    return Btf.from_file(Path(root) / name, base=base)


@dataclass
class ModuleSet:
    """The module BTFs that could be read, by module name, and those skipped with why."""

    base: Btf
    btfs: dict[str, Btf] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def find(self, name: str, kind: Kind | int | str | None = None) -> tuple[str, int]:
        """``(module, type id)`` of the first module type named ``name`` ("vmlinux" if in base)."""
        try:
            return "vmlinux", self.base.find(name, kind)
        except BtfError:
            pass
        for mod, btf in self.btfs.items():
            ids = btf.find_all(name, kind)
            own = [i for i in ids if i >= btf.start_id]
            if own:
                return mod, own[0]
        raise BtfError(f"no type named {name!r} in vmlinux or {len(self.btfs)} module BTFs")


def modules(*, base: Btf | None = None, root: Path | str = SYSFS_BTF) -> ModuleSet:
    """Every module BTF under ``root`` (default ``/sys/kernel/btf``), unreadable ones skipped."""
    root = Path(root)
    base = base if base is not None else vmlinux(str(root / "vmlinux"))
    result = ModuleSet(base)
    try:
        names = sorted(os.listdir(root))
    except OSError as e:
        result.skipped["*"] = f"cannot list {root}: {e.strerror}"
        return result
    for name in names:
        if name == "vmlinux":
            continue
        try:
            result.btfs[name] = module(name, base=base, root=root)
        except BtfError as e:
            result.skipped[name] = str(e)
    return result
