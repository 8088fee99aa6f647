"""BTF-defined maps: the ``.maps`` section and libbpf's ``__uint``/``__type``/``__array`` macros.

In C a map is a variable of an anonymous struct whose members *encode values in
their types*, which only BTF records::

    struct {
        __uint(type, BPF_MAP_TYPE_HASH);   // int (*type)[1]        -> array length
        __uint(max_entries, 128);          // int (*max_entries)[128]
        __type(key, __u32);                // __u32 *key            -> pointee size/type
        __type(value, struct event);
        __array(values, struct inner);     // struct inner *values[] -> inner map template
    } counts SEC(".maps");

`parse_btf_maps` walks the ``.maps`` DATASEC of an object's BTF and returns one
`MapSpec` per variable with the variable's offset in the section.
"""

from __future__ import annotations

from ..btf import Btf, Kind
from ..errors import BtfError, ElfError
from ..isa import MapSpec
from .object import map_type_name
from .reader import Reloc

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from collections.abc import Iterator

_UINT_FIELDS = {"type", "max_entries", "map_flags", "numa_node", "key_size", "value_size",
                "pinning", "map_extra"}


def _uint_value(btf: Btf, type_id: int, where: str) -> int:
    """The N of ``int (*name)[N]``."""
    if btf.kind(type_id) != Kind.PTR:
        raise ElfError(f"{where} must be declared with __uint() (a pointer to an array)",
                       section=".maps")
    arr = btf.resolve(btf.ref(type_id))
    if btf.kind(arr) != Kind.ARRAY:
        raise ElfError(f"{where} must be declared with __uint() (a pointer to an array)",
                       section=".maps")
    return btf.array(arr)[2]


def _pointee(btf: Btf, type_id: int, where: str) -> int:
    """The T of ``T *name``."""
    if btf.kind(type_id) != Kind.PTR:
        raise ElfError(f"{where} must be declared with __type() (a pointer)", section=".maps")
    return btf.ref(type_id)


def _decl_from_struct(btf: Btf, name: str, struct_id: int, path: str | None,
                      inner_ok: bool = True) -> tuple[MapSpec, MapSpec | None]:
    st = btf.resolve(struct_id)
    if btf.kind(st) != Kind.STRUCT:
        raise ElfError(f"map {name!r} must be a struct (found {btf.kind(st).name.lower()})",
                       path=path, section=".maps")
    values: dict[str, int] = {}
    key_type = value_type = 0
    inner: MapSpec | None = None
    for m_name, m_type, _bit, _bits in btf.members(st):
        where = f"map {name!r} field {m_name!r}"
        if m_name in _UINT_FIELDS:
            values[m_name] = _uint_value(btf, m_type, where)
        elif m_name == "key":
            key_type = _pointee(btf, m_type, where)
        elif m_name == "value":
            value_type = _pointee(btf, m_type, where)
        elif m_name == "values":
            values["value_size"] = 4  # slots hold fds (inner maps or programs), like libbpf
            if not inner_ok:
                raise ElfError(f"{where}: nested map-in-map is not supported", path=path,
                               section=".maps")
            arr = btf.resolve(m_type)
            if btf.kind(arr) != Kind.ARRAY:
                raise ElfError(f"{where} must be declared with __array()", path=path,
                               section=".maps")
            ptr = btf.resolve(btf.array(arr)[0])
            if btf.kind(ptr) != Kind.PTR:
                raise ElfError(f"{where}: __array() elements must be pointers", path=path,
                               section=".maps")
            if btf.kind(btf.resolve(btf.ref(ptr))) != Kind.FUNC_PROTO:  # prog arrays hold programs
                inner, _ = _decl_from_struct(btf, f"{name}.inner", btf.ref(ptr), path,
                                             inner_ok=False)
        else:
            raise ElfError(f"{where}: unknown map definition field (libbpf knows type, "
                           "max_entries, map_flags, numa_node, key, value, key_size, value_size, "
                           "pinning, map_extra, values)", path=path, section=".maps")
    if "type" not in values:
        raise ElfError(f"map {name!r} has no type", path=path, section=".maps")
    key_size = btf.size_of(key_type) if key_type else values.get("key_size", 0)
    value_size = btf.size_of(value_type) if value_type else values.get("value_size", 0)
    for field, tid, explicit in (("key_size", key_type, "key_size"),
                                 ("value_size", value_type, "value_size")):
        if tid and explicit in values and values[explicit] != btf.size_of(tid):
            raise ElfError(f"map {name!r}: {field} {values[explicit]} disagrees with the size "
                           f"of its __type() ({btf.size_of(tid)})", path=path, section=".maps")
    decl = MapSpec(
        name=name,
        type=map_type_name(values["type"], where=f"map {name}"),
        key_size=key_size,
        value_size=value_size,
        max_entries=values.get("max_entries", 0),
        flags=values.get("map_flags", 0),
        inner=inner,
        pinning=values.get("pinning", 0),
        numa_node=values.get("numa_node"),
        map_extra=values.get("map_extra", 0),
        btf_key_type_id=key_type,
        btf_value_type_id=value_type,
    )
    return decl, inner


def parse_btf_maps(btf_data: bytes | Btf, section: bytes, relocs: list[Reloc], *,
                   path: str | None = None,
                   offsets: dict[str, tuple[int, int]] | None = None) -> Iterator[tuple[MapSpec, int]]:
    """Yield ``(MapSpec, offset in .maps)`` for every map variable of the ``.maps`` section.

    ``relocs`` are the section's own relocations (``R_BPF_64_ABS64`` in ``values``
    arrays name the initial inner maps or programs); they are recorded in
    ``MapSpec.extra["init"]`` as ``{slot: symbol name}``. ``offsets`` (symbol name
    -> (offset, size) from the ELF symbol table) overrides the DATASEC offsets, which
    an object may leave at 0 for the loader to fill in, and the BTF size, which
    leaves out a flexible ``values`` array. ``btf_data`` may be the `Btf` already parsed.
    """
    try:
        btf = btf_data if isinstance(btf_data, Btf) else Btf(btf_data,
                                                              name=f"{path or '<object>'}:.BTF")
        sec_id = btf.find(".maps", "datasec")
    except BtfError as exc:
        raise ElfError(f"cannot read the .maps variables from BTF: {exc}", path=path,
                       section=".maps") from None
    for vs_type, vs_offset, _vs_size in btf.datasec_vars(sec_id):
        if btf.kind(vs_type) != Kind.VAR:
            raise ElfError(f"entry at offset {vs_offset} is not a variable", path=path,
                           section=".maps", offset=vs_offset)
        var_name, var_type = btf.type_name(vs_type), btf.ref(vs_type)
        decl, _inner = _decl_from_struct(btf, var_name, var_type, path)
        start, size = (offsets or {}).get(var_name, (vs_offset, btf.size_of(var_type)))
        init = {}
        for rel in relocs:
            if start <= rel.offset < start + size:
                # (a struct: _decl_from_struct checked it)
                values_off = next((bit // 8 for m_name, _t, bit, _b
                                   in btf.members(btf.resolve(var_type)) if m_name == "values"),
                                  None)
                if values_off is None:
                    raise ElfError(f"map {var_name!r} has a relocation outside a values array",
                                   path=path, section=".maps", offset=rel.offset)
                init[(rel.offset - start - values_off) // 8] = rel.symbol.name
        if init:
            decl.extra["init"] = init
        yield decl, start
