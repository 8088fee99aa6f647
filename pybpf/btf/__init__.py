"""BTF: parse kernel and object BTF, look types up, print C, write and load BTF.

>>> from pybpf.btf import vmlinux
>>> btf = vmlinux()                          # doctest: +SKIP
>>> btf.find("task_struct", "struct")        # doctest: +SKIP
131
"""
from __future__ import annotations

from .format import IntEncoding, Kind, Linkage
from .parse import VMLINUX_PATH, Btf, vmlinux

__all__ = ["VMLINUX_PATH", "Btf", "IntEncoding", "Kind", "Linkage", "vmlinux"]
