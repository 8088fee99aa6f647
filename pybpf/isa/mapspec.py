"""`MapSpec`: a map as described before it exists in the kernel.

One description for every front end: the assembler's ``.map`` directive, an ELF
``.maps`` section (BTF-defined or legacy) and a DSL declaration all produce a
`MapSpec`, which `ProgramSpec.maps` holds by name; `pybpf.Map.create(spec)` makes the
live map from it (cilium/ebpf's ``MapSpec``/``Map`` split). Nothing here touches the
kernel: the verifier reads the sizes, the VM creates its own maps from the same value.

``type`` is the kernel's map type name without prefix, lower case (``"hash"``,
``"array"``, ``"ringbuf"``...) or its number. ``inner`` is the template of the inner map of
a map-in-map: a `MapSpec`, or the name of another map of the same program. ``initial`` is
the value of entry 0 for global-data maps (``.data``, ``.rodata``...) and ``frozen`` asks
for the map to be frozen once written (``.rodata``). ``pinning`` is libbpf's
``LIBBPF_PIN_BY_NAME`` (1) or none (0). ``btf_key_type_id``/``btf_value_type_id`` are type
ids in the BTF the map is created with (an object's own BTF).
``key_type``/``value_type`` say how the live map shows keys and values to Python (``int``,
a struct format such as ``"<Q"``, a ctypes type or a numpy dtype, see
`pybpf.kernel.maps.codec`); a zero ``key_size``/``value_size`` is then taken from them.

>>> spec = MapSpec("counts", "hash", key_size=4, value_size=8, max_entries=1024)
>>> spec.type, spec.key_size, spec.inner is None
('hash', 4, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["MapSpec"]


@dataclass(slots=True)
class MapSpec:
    """A map as a program or a user describes it (see the module docstring)."""

    name: str = ""
    type: str | int = ""
    key_size: int = 0
    value_size: int = 0
    max_entries: int = 0
    flags: int = 0
    inner: MapSpec | str | None = None
    extra: dict[str, object] = field(default_factory=dict)
    initial: bytes | None = None
    frozen: bool = False
    pinning: int = 0
    numa_node: int | None = None
    map_extra: int = 0
    btf_key_type_id: int = 0
    btf_value_type_id: int = 0
    btf_vmlinux_value_type_id: int = 0
    key_type: Any = None
    value_type: Any = None
