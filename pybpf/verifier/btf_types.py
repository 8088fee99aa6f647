"""BTF for the verifier: names of kernel types and the walk of a struct by offset.

A load through a BTF-typed kernel pointer (``PTR_TO_BTF_ID``: a tp_btf argument, the task
``bpf_get_current_task_btf`` returns, a field of one) is checked against the struct's layout
in BTF (the kernel's ``btf_struct_walk``): the bytes must lie within one member; an integer
member (or part of an array of them) loads a scalar; a pointer member loaded whole gives a
new BTF pointer (or untrusted memory when it does not point to a struct), flagged by its
``__user``/``__percpu``/``__rcu`` type tag.

Types live in the running kernel's BTF (`pybpf.btf.vmlinux`) unless a register names
another `pybpf.btf.Btf` (an object's own types, for its allocated objects).

>>> walk = struct_walk(None, 0, 0, 8)   # doctest: +SKIP
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from ..btf import types as T
from ..btf.format import Kind

_MODIFIERS = (Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG)

SCALAR, PTR, UNTRUSTED_MEM = "scalar", "ptr", "untrusted_mem"


class WalkError(Exception):
    """The access does not fit the struct: the kernel's message."""


_KERNEL_BTF: dict[int, tuple[Any, Any]] = {}


_active: Any = None  # kernel_profile.active, imported on first use


def kernel() -> Any:
    """The BTF of the kernel judged (`pybpf.verifier.kernel_profile.active`)."""
    global _active
    if _active is None:
        from .kernel_profile import active as _active
    prof = _active()
    hit = _KERNEL_BTF.get(id(prof))
    if hit is None or hit[0] is not prof:
        hit = _KERNEL_BTF[id(prof)] = (prof, prof.vmlinux_btf())
    return hit[1]


#: Btf -> {(name, kind): type id}: a name's lookup scans the string section (~2 ms in vmlinux)
_FOUND: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], int]] = weakref.WeakKeyDictionary()


def find(b: Any, name: str, kind: str) -> int:
    """``b.find(name, kind)``, remembered per BTF (a `pybpf.btf.Btf` does not change once
    parsed); a name that is absent raises `BtfError` each time, as ``find`` does.

    >>> class Types:
    ...     def find(self, name, kind): return 7
    >>> find(Types(), "task_struct", "struct")
    7
    """
    memo = _FOUND.get(b)
    if memo is None:
        memo = _FOUND[b] = {}
    tid = memo.get((name, kind))
    if tid is None:
        tid = memo[(name, kind)] = b.find(name, kind)
    return tid


_KIND_STR = ("UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF",
             "VOLATILE", "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT",
             "DECL_TAG", "TYPE_TAG", "ENUM64")


def kind_str(rec: Any) -> str:
    """The kernel's btf_type_str: the kind's name as its log prints it."""
    k = int(rec.kind)
    return _KIND_STR[k] if 0 <= k < len(_KIND_STR) else "UNKNOWN"


def btf_of(btf: Any) -> Any:
    return kernel() if btf is None else btf


def type_name(btf: Any, tid: int) -> str:
    try:
        return btf_of(btf)[tid].name
    except Exception:  # noqa: BLE001 - a name is for messages only
        return ""


#: Btf -> {type id: what `skip_modifiers` gives}
_SKIPPED: weakref.WeakKeyDictionary[Any, dict[int, tuple[int, Any]]] = weakref.WeakKeyDictionary()


def skip_modifiers(btf: Any, tid: int) -> tuple[int, Any]:
    """btf_type_skip_modifiers: through typedefs and const/volatile/restrict/type tags
    (remembered per BTF)."""
    b = btf_of(btf)
    try:
        memo = _SKIPPED.get(b)
        if memo is None:
            memo = _SKIPPED[b] = {}
    except TypeError:  # a BTF that cannot be weakly referenced: not remembered
        return _skip_modifiers(b, tid)
    hit = memo.get(tid)
    if hit is None:
        hit = memo[tid] = _skip_modifiers(b, tid)
    return hit


def _skip_modifiers(b: Any, tid: int) -> tuple[int, Any]:
    rec = b[tid]
    for _ in range(64):
        if rec.kind not in _MODIFIERS:
            return tid, rec
        tid = rec.type
        rec = b[tid]
    return tid, rec


def is_struct(rec: Any) -> bool:
    return isinstance(rec, T.Composite)


@dataclass(frozen=True, slots=True)
class Walk:
    """What a load at an offset of a struct finds."""

    kind: str  # SCALAR, PTR (to a struct: ``btf_id``) or UNTRUSTED_MEM
    btf_id: int = 0
    tag: str = ""  # "user", "percpu" or "rcu" from the pointer's type tag
    field: str = ""
    union: bool = False  # a union with several members was crossed (untrusted)


def _resolve_size(b: Any, tid: int) -> tuple[int, Any, int, Any, int]:
    """__btf_resolve_size: (size, type, elem id, elem type, total elements) through arrays."""
    nelems = 1
    rec = b[tid]
    elem_id, elem = tid, rec
    is_array = False
    for _ in range(64):
        k = rec.kind
        if k in _MODIFIERS:
            tid = rec.type
            rec = b[tid]
            continue
        if k == Kind.ARRAY:
            is_array = True
            nelems *= rec.nelems
            tid = rec.type
            rec = b[tid]
            continue
        break
    elem_id, elem = tid, rec
    size = b.size_of(tid) if rec.kind != Kind.PTR else 8
    if is_array:
        return size * nelems, "array", elem_id, elem, nelems
    return size, rec, elem_id, elem, 1


#: Btf -> {(type id, off, size, untrusted): the Walk, or the WalkError's message}: a walk
#: depends on the types alone, and programs load the same fields again and again
_WALKS: weakref.WeakKeyDictionary[Any, dict[tuple[int, int, int, bool], Walk | str]] = \
    weakref.WeakKeyDictionary()


def struct_walk(btf: Any, tid: int, off: int, size: int, untrusted: bool = False) -> Walk:
    """btf_struct_access on a struct type: what ``size`` bytes at ``off`` are, or WalkError
    (each answer remembered per BTF)."""
    b = btf_of(btf)
    try:
        memo = _WALKS.get(b)
        if memo is None:
            memo = _WALKS[b] = {}
    except TypeError:  # a BTF that cannot be weakly referenced: not remembered
        return _struct_walk(b, tid, off, size, untrusted)
    key = (tid, off, size, untrusted)
    hit = memo.get(key)
    if hit is None:
        try:
            hit = _struct_walk(b, tid, off, size, untrusted)
        except WalkError as e:
            hit = str(e)
        memo[key] = hit
    if isinstance(hit, str):
        raise WalkError(hit)
    return hit


def _struct_walk(b: Any, tid: int, off: int, size: int, untrusted: bool) -> Walk:
    union_seen = untrusted
    _, rec = skip_modifiers(b, tid)
    for _ in range(256):
        if not is_struct(rec):
            raise WalkError(f"Type '{rec.name}' is not a struct")
        tname = rec.name
        members = rec.members
        if rec.kind == Kind.UNION and len(members) != 1:
            union_seen = True
        if off + size > rec.size:
            last = members[-1] if members else None
            ok = False
            if last is not None:
                _, mt = skip_modifiers(b, last.type)
                if mt.kind == Kind.ARRAY and mt.nelems == 0 and off >= last.bit_offset // 8:
                    _, et = skip_modifiers(b, mt.type)
                    if et.kind == Kind.INT:
                        return Walk(SCALAR, union=union_seen)
                    if is_struct(et):
                        off = (off - last.bit_offset // 8) % et.size
                        rec = et
                        ok = True
            if ok:
                continue
            raise WalkError(f"access beyond struct {tname} at off {off} size {size}")
        found = None
        for m in members:
            moff = m.bit_offset // 8
            if off + size <= moff:
                break
            if m.bitfield_size:
                end_bit = m.bit_offset + m.bitfield_size
                if off <= moff and (end_bit + 7) // 8 <= off + size:
                    return Walk(SCALAR, union=union_seen)
                continue
            if off < moff:
                break
            msize, mtype, elem_id, elem, nelems = _resolve_size(b, m.type)
            mid = m.type
            mtrue_end = moff + msize
            if off >= mtrue_end:
                continue
            if mtype == "array":
                if moff == mtrue_end:
                    continue
                msize //= nelems
                moff += (off - moff) // msize * msize
                mtype, mid = elem, elem_id
            if is_struct(mtype):
                if off == moff:
                    found = ("struct", mid)
                    break
                off -= moff
                rec = mtype
                found = ("again", None)
                break
            if mtype.kind == Kind.PTR:
                if msize != size or off != moff:
                    raise WalkError(f"cannot access ptr member {m.name} with moff {moff} in struct "
                                    f"{tname} with off {off} size {size}")
                tag = ""
                target = b[mtype.type]
                if target.kind == Kind.TYPE_TAG and not getattr(target, "attribute", False):
                    if target.name in ("user", "percpu", "rcu"):
                        tag = target.name
                sid, stype = skip_modifiers(b, mtype.type)
                if is_struct(stype):
                    return Walk(PTR, sid, tag, m.name, union_seen)
                return Walk(UNTRUSTED_MEM, union=union_seen)
            if off + size > mtrue_end and not union_seen:
                raise WalkError(f"access beyond the end of member {m.name} (mend:{mtrue_end}) in "
                                f"struct {tname} with off {off} size {size}")
            return Walk(SCALAR, union=union_seen)
        if found is None:
            raise WalkError(f"struct {tname} doesn't have field at offset {off}")
        if found[0] == "struct":
            rec = b[found[1]]
            _, rec = skip_modifiers(b, found[1])
            off = 0
            continue
        # "again": keep walking the nested struct
    raise WalkError("struct nesting too deep")


def func_proto(btf: Any, func_id: int) -> Any:
    """The FUNC_PROTO of a FUNC (or of a typedef'd function pointer such as btf_trace_*)."""
    b = btf_of(btf)
    rec = b[func_id]
    if rec.kind == Kind.FUNC:
        return b[rec.type]
    _, rec = skip_modifiers(b, func_id)
    if rec.kind == Kind.PTR:
        _, rec = skip_modifiers(b, rec.type)
    return rec


__all__ = ["kind_str", "PTR", "SCALAR", "UNTRUSTED_MEM", "Walk", "WalkError", "btf_of", "func_proto",
           "is_struct", "kernel", "skip_modifiers", "struct_walk", "type_name"]
