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

TYPE_CHECKING = False  # (not typing's: pybpf.isa is on every command's start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MapSpec"]

class MapSpec:
    """A map as a program or a user describes it (see the module docstring).

    A plain record (what a dataclass would generate, written out: importing `dataclasses`
    costs more than a probe's whole start-up): compares by value, prints its fields, and
    `replace` returns a changed copy.

    >>> MapSpec("m", "array", 4, 8, 1).replace(name="n")
    MapSpec(name='n', type='array', key_size=4, value_size=8, max_entries=1, flags=0, \
inner=None, extra={}, initial=None, frozen=False, pinning=0, numa_node=None, map_extra=0, \
btf_key_type_id=0, btf_value_type_id=0, btf_vmlinux_value_type_id=0, key_type=None, \
value_type=None)
    """

    __slots__ = __match_args__ = (
        "name", "type", "key_size", "value_size", "max_entries", "flags", "inner", "extra",
        "initial", "frozen", "pinning", "numa_node", "map_extra", "btf_key_type_id",
        "btf_value_type_id", "btf_vmlinux_value_type_id", "key_type", "value_type")

    name: str
    type: str | int
    key_size: int
    value_size: int
    max_entries: int
    flags: int
    inner: MapSpec | str | None
    extra: dict[str, object]
    initial: bytes | None
    frozen: bool
    pinning: int
    numa_node: int | None
    map_extra: int
    btf_key_type_id: int
    btf_value_type_id: int
    btf_vmlinux_value_type_id: int
    key_type: Any
    value_type: Any

    def __init__(self, name: str = "", type: str | int = "", key_size: int = 0,
                 value_size: int = 0, max_entries: int = 0, flags: int = 0,
                 inner: MapSpec | str | None = None, extra: dict[str, object] | None = None,
                 initial: bytes | None = None, frozen: bool = False, pinning: int = 0,
                 numa_node: int | None = None, map_extra: int = 0, btf_key_type_id: int = 0,
                 btf_value_type_id: int = 0, btf_vmlinux_value_type_id: int = 0,
                 key_type: Any = None, value_type: Any = None) -> None:
        self.name = name
        self.type = type
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.flags = flags
        self.inner = inner
        self.extra = {} if extra is None else extra
        self.initial = initial
        self.frozen = frozen
        self.pinning = pinning
        self.numa_node = numa_node
        self.map_extra = map_extra
        self.btf_key_type_id = btf_key_type_id
        self.btf_value_type_id = btf_value_type_id
        self.btf_vmlinux_value_type_id = btf_vmlinux_value_type_id
        self.key_type = key_type
        self.value_type = value_type

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, f) for f in _FIELDS)

    def __repr__(self) -> str:
        return "MapSpec(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in _FIELDS) + ")"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, MapSpec)
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def replace(self, **changes: Any) -> MapSpec:
        """A copy with ``changes`` applied (as ``dataclasses.replace``)."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise TypeError(f"MapSpec has no field {sorted(unknown)[0]!r}")
        values = {f: getattr(self, f) for f in _FIELDS}
        values.update(changes)
        return MapSpec(**values)

    __replace__ = replace  # copy.replace (Python 3.13)

    def _repr_html_(self) -> str | None:
        """The declaration as a table in a notebook, drawn by `pybpf.viewer` (see `pybpf.isa.display`)."""
        from .display import html_of

        return html_of(self)


#: the fields in order (the positional order of the constructor)
_FIELDS = MapSpec.__match_args__
