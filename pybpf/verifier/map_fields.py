"""Special fields of a map value, from the program's BTF: locks, timers, kptrs...

The kernel reads a map's value type (``btf_value_type_id``) and records the fields the program
may not touch with loads and stores (``btf_parse_fields``): ``struct bpf_spin_lock``,
``struct bpf_timer``, ``struct bpf_wq``, list and rbtree heads, refcounts, and kptrs (pointers
tagged ``kptr``, ``kptr_untrusted`` or ``percpu_kptr``).

>>> map_fields(object())
((), None, None)
"""
from __future__ import annotations

import weakref
from typing import Any

from ..btf.format import Kind

_MODIFIERS = (Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT)
_SPECIAL = {"bpf_spin_lock": "spin_lock", "bpf_res_spin_lock": "res_spin_lock",
            "bpf_timer": "timer", "bpf_wq": "wq", "bpf_list_head": "list_head",
            "bpf_list_node": "list_node", "bpf_rb_root": "rb_root", "bpf_rb_node": "rb_node",
            "bpf_refcount": "refcount", "bpf_task_work": "task_work"}
_KPTR_TAGS = {"kptr_untrusted": "kptr_unref", "kptr": "kptr_ref", "percpu_kptr": "kptr_percpu",
              "uptr": "uptr"}


def map_fields(src: Any, btf: Any = None) -> tuple[tuple[tuple[str, int], ...], Any, Any]:
    """``(fields, value type id, kptr targets)`` of a map declaration's value; a kptr target is
    ``(btf, type id)``: btf None for a kernel struct (its id in the kernel's BTF), else the
    program's BTF and its local struct (an object of ``bpf_obj_new``)."""
    tid = int(getattr(src, "btf_value_type_id", 0) or getattr(src, "btf_value_type", 0) or 0)
    btf = btf if btf is not None else getattr(src, "btf", None)
    if not tid or btf is None:
        return (), None, None
    from .kernel_profile import active

    kb = active()  # kptr targets are looked up in the BTF of the kernel judged
    try:
        memo = _MEMO.get(btf)
        if memo is None:
            memo = _MEMO[btf] = {}
    except TypeError:  # a BTF that cannot be weakly referenced: not remembered
        return _fields(btf, tid)
    key = (tid, id(kb))
    hit = memo.get(key)
    if hit is None or hit[0] is not kb:
        hit = memo[key] = (kb, _fields(btf, tid))
    return hit[1]


#: BTF -> {(value type id, id of the kernel's profile): (profile, result)}: a value type's
#: fields are walked once per BTF (a BTF does not change once parsed), not per verification
_MEMO: weakref.WeakKeyDictionary[Any, dict[tuple[int, int], tuple[Any, tuple]]] = \
    weakref.WeakKeyDictionary()


def _fields(btf: Any, tid: int) -> tuple[tuple[tuple[str, int], ...], Any, Any]:
    fields: list[tuple[str, int]] = []
    kptrs: dict[int, tuple[Any, int]] = {}
    try:
        _walk(btf, tid, 0, fields, kptrs, 0)
    except Exception:  # noqa: BLE001 - a value type pybpf cannot read has no special field
        return (), tid, None
    return tuple(sorted(fields, key=lambda f: f[1])), tid, kptrs or None


def _walk(btf: Any, tid: int, base: int, fields: list, kptrs: dict, depth: int) -> None:
    if depth > 8:
        return
    rec = btf[tid]
    while rec.kind in _MODIFIERS:
        rec = btf[rec.type]
    if rec.kind == Kind.ARRAY:
        elem = btf[rec.type]
        size = btf.size_of(rec.type) if rec.nelems else 0
        for k in range(min(rec.nelems, 64)):
            _walk(btf, rec.type, base + k * size, fields, kptrs, depth + 1)
        _ = elem
        return
    if rec.kind not in (Kind.STRUCT, Kind.UNION):
        return
    special = _SPECIAL.get(rec.name)
    if special is not None and depth > 0:
        fields.append((special, base))
        return
    for m in rec.members:
        off = base + m.bit_offset // 8
        mt = btf[m.type]
        if mt.kind == Kind.PTR:
            tag = btf[mt.type]
            while tag.kind in (Kind.CONST, Kind.VOLATILE, Kind.RESTRICT):
                tag = btf[tag.type]
            if tag.kind == Kind.TYPE_TAG and tag.name in _KPTR_TAGS:
                fields.append((_KPTR_TAGS[tag.name], off))
                kptrs[off] = _target(btf, tag.type)
            continue
        _walk(btf, m.type, off, fields, kptrs, depth + 1)


def _target(btf: Any, tid: int) -> tuple[Any, int]:
    rec = btf[tid]
    while rec.kind in _MODIFIERS or rec.kind == Kind.TYPE_TAG:
        tid = rec.type
        rec = btf[tid]
    from .btf_types import find, kernel

    try:
        return None, find(kernel(), rec.name, "struct")
    except Exception:  # noqa: BLE001 - a program-local type
        return btf, tid


__all__ = ["map_fields"]
