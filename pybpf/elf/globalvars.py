"""`GlobalVars`: the variables of one global-data section of an object by name
(``obj.rodata["x"]``), read and written before load in the section's initial value and
after load in the live map. `pybpf.elf.loader.BpfObject.globals` makes them (this module
is imported then: the object's start-up does not build the class).
"""

from __future__ import annotations

from ..errors import PybpfError

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from ..isa import MapSpec
    from .loader import BpfObject


class GlobalVars:
    """Variables of one global-data section by name (``obj.rodata["x"]``).

    Before load, reads and writes go to the section's initial value; after load,
    to the live map (``.rodata`` is frozen then and reads only).
    """

    def __init__(self, obj: BpfObject, section: str, layout: dict[str, tuple[int, int, bool]]) -> None:
        self._obj = obj
        self._section = section
        self._layout = layout  # name -> (offset, size, signed)

    def _decl(self) -> MapSpec:
        return self._obj.spec.maps[self._section]

    def _buffer(self) -> bytes:
        m = self._obj.maps.get(self._section) if self._obj.loaded else None
        if m is not None:
            return bytes(m.lookup_raw((0).to_bytes(4, "little")) or b"")
        return bytes(self._decl().initial or b"")

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout)

    def __contains__(self, name: object) -> bool:
        return name in self._layout

    def _where(self, name: str) -> tuple[int, int, bool]:
        try:
            return self._layout[name]
        except KeyError:
            raise KeyError(f"{self._section} has no variable {name!r} (it has: "
                           f"{', '.join(self._layout) or 'none'})") from None

    def raw(self, name: str) -> bytes:
        off, size, _ = self._where(name)
        return self._buffer()[off:off + size]

    def __getitem__(self, name: str) -> Any:
        off, size, signed = self._where(name)
        data = self.raw(name)
        if size in (1, 2, 4, 8):
            return int.from_bytes(data, "little", signed=signed)
        return data

    def __setitem__(self, name: str, value: Any) -> None:
        off, size, signed = self._where(name)
        if isinstance(value, int):
            try:
                data = value.to_bytes(size, "little", signed=signed or value < 0)
            except OverflowError:
                raise ValueError(f"{name} is {size} bytes; {value} does not fit") from None
        else:
            data = bytes(value)
            if len(data) > size:
                raise ValueError(f"{name} is {size} bytes; got {len(data)}")
            data = data.ljust(size, b"\0")
        if self._obj.loaded:
            if self._decl().frozen:
                raise PybpfError(f"{self._section} is read-only after load (frozen like libbpf's "
                                 ".rodata); set {name} before obj.load()")
            m = self._obj.maps[self._section]
            buf = bytearray(self._buffer())
            buf[off:off + size] = data
            m.update((0).to_bytes(4, "little"), bytes(buf))
        else:
            decl = self._decl()
            buf = bytearray(decl.initial or bytes(decl.value_size))
            buf[off:off + size] = data
            decl.initial = bytes(buf)
