"""The maps a program refers to, as the verifier knows them (`MapRef`).

`map_refs` gives each map-referencing ``lddw`` of a program its `MapRef`: the kind, sizes,
flags, the inner map's template (map-in-map), the special fields of the value (from the
program's BTF, `pybpf.verifier.map_fields`) and a frozen ``.rodata``'s contents. A
`MapRef` is a frozen value; one built from a `MapSpec` is kept by what it was built from
(its fields, the BTF, the judged kernel's profile and the map's number in the program), so
a program verified again does not build its maps again.

>>> from pybpf.asm import assemble
>>> from pybpf.isa import MapSpec
>>> p = assemble("r1 = m ll\\nr0 = 0\\nexit")
>>> p.maps["m"] = MapSpec("m", "array", 4, 8, 1)
>>> refs = map_refs(p, None, None)
>>> refs[0].type, refs[0].value_size, refs[0] is map_refs(p, None, None)[0]
('array', 8, True)
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..isa import ProgramSpec, RefKind
from ..isa.mapspec import MapSpec
from .kernel_profile import active
from .map_fields import map_fields
from .report import Reject
from .state import MapRef

_RODATA_FLAG = 1 << 7  # BPF_F_RDONLY_PROG
#: (what a `MapSpec`'s `MapRef` is built from) -> (its BTF, the kernel profile, the MapRef)
_BUILT: dict[tuple, tuple[Any, Any, MapRef]] = {}
_MAX_BUILT = 4096


def map_refs(program: ProgramSpec, maps: Mapping[str, Any] | None, btf: Any) -> dict[int, MapRef]:
    """Instruction index of each map reference of ``program`` -> its `MapRef`; a map is looked
    up in ``maps`` (kernel `Map` objects or `MapSpec`s) first, then in the program's own
    declarations; ``btf``: the program's BTF (for the value's special fields). Raises the
    kernel's `Reject` for a reference to no map."""
    out: dict[int, MapRef] = {}
    built: dict[str, MapRef] = {}
    uids: dict[str, int] = {}
    given_maps = maps or {}
    decls = program.maps
    for idx, ref in program.refs.items():
        if ref.kind is not RefKind.MAP:
            continue
        name = ref.name
        m = built.get(name)
        if m is None:
            given = given_maps.get(name)
            src = given if given is not None else decls.get(name)
            if src is None:
                raise Reject(idx, f"fd {name} is not pointing to valid bpf_map", "helper_arg_type")
            m = built[name] = map_ref(name, src, given_maps, decls, uids, btf)
        out[idx] = m
    return out


def map_ref(name: str, src: Any, maps: Mapping[str, Any], decls: Mapping[str, Any],
            uids: dict[str, int], btf: Any = None) -> MapRef:
    """A `MapRef` from a `MapSpec` or a kernel `Map` (with its inner map, for map-in-map);
    ``uids`` numbers the maps of one program in the order they are met."""
    if type(src) is MapSpec and src.inner is None:
        key = _key(name, src, btf, uids)
        if key is not None:
            hit = _BUILT.get(key)
            kb = active()
            if hit is not None and hit[0] is btf and hit[1] is kb:
                uids.setdefault(name, len(uids) + 1)
                return hit[2]
            m = _build(name, src, maps, decls, uids, btf)
            if len(_BUILT) >= _MAX_BUILT:
                _BUILT.clear()
            _BUILT[key] = (btf, kb, m)  # (the BTF and profile kept: their ids are not reused)
            return m
    return _build(name, src, maps, decls, uids, btf)


def _key(name: str, src: MapSpec, btf: Any, uids: dict[str, int]) -> tuple | None:
    """What `_build` reads of a `MapSpec` without an inner map, when all of it is plain
    (a type name, integers, bytes), else None; with the BTF's and the judged profile's ids
    and the number the map gets (``uids``)."""
    t, ks, vs, me, fl = src.type, src.key_size, src.value_size, src.max_entries, src.flags
    tid = src.btf_value_type_id
    if type(t) is not str or type(ks) is not int or type(vs) is not int or \
            type(me) is not int or type(fl) is not int or type(tid) is not int:
        return None
    initial = None
    if fl & _RODATA_FLAG:
        initial = src.initial
        if initial is not None and type(initial) is not bytes:
            return None
    uid = uids.get(name, len(uids) + 1)
    return (name, t, ks, vs, me, fl, tid, initial, bool(src.frozen), id(btf), id(active()), uid)


def _build(name: str, src: Any, maps: Mapping[str, Any], decls: Mapping[str, Any],
           uids: dict[str, int], btf: Any = None) -> MapRef:
    info = src.info() if hasattr(src, "info") and not hasattr(src, "key_size") else src
    inner = None
    inner_src = getattr(src, "inner", None)  # a MapSpec's template: a MapSpec or a map's name
    if isinstance(inner_src, str):
        inner_src = maps.get(inner_src) or decls.get(inner_src)
    if inner_src is not None:
        inner = map_ref(getattr(inner_src, "name", "inner"), inner_src, maps, decls, uids, btf)
    flags = int(getattr(info, "flags", 0) or 0)
    frozen = None
    initial = getattr(src, "initial", None)
    if flags & _RODATA_FLAG and initial is not None and (getattr(src, "frozen", False)
                                                         or name.endswith(".rodata")
                                                         or ".rodata" in name):
        frozen = bytes(initial)
    fields, value_type, kptrs = map_fields(src, btf)
    uid = uids.setdefault(name, len(uids) + 1)
    return MapRef(name, str(info.type), int(info.key_size), int(info.value_size),
                  int(info.max_entries), flags, inner, fields, value_type, uid, frozen, kptrs)


__all__ = ["map_ref", "map_refs"]
