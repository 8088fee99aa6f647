"""Map type numbers (``enum bpf_map_type``) as the names pybpf uses everywhere.

The table itself is generated from the running kernel's BTF into
`pybpf.uapi` (a constant table; importing it does not touch the kernel).

>>> map_type_name(1)
'hash'
"""

from __future__ import annotations

from ..errors import ElfError


def map_type_name(number: int, *, where: str = "map") -> str:
    """The lower-case kernel name of map type ``number`` (``BPF_MAP_TYPE_HASH`` -> ``hash``)."""
    from ..uapi import MAP_TYPES

    for name, value in MAP_TYPES.items():
        if value == number:
            return name
    raise ElfError(f"{where}: unknown map type {number} (this kernel knows "
                   f"0..{max(MAP_TYPES.values())})")
