"""Map type numbers (``enum bpf_map_type``) as the names pybpf uses everywhere.

The table itself is generated from the running kernel's BTF into
`pybpf.uapi` (a constant table; importing it does not touch the kernel).
`map_type_name` lives in `pybpf.elf.object` (loaded with every object: one module less on
an object's start-up) and is re-exported here.

>>> map_type_name(1)
'hash'
"""

from __future__ import annotations

from .object import map_type_name

__all__ = ["map_type_name"]
