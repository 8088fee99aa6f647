"""The BTF conventions of kfunc parameters, and what a call's arguments told.

A parameter's name suffix (``__k``, ``__sz``, ``__szk``, ``__nullable``, ``__uninit``...) and
its pointee (a struct of scalars, a callback prototype, a ``struct bpf_iter_*``) say how the
kernel checks its argument; `KfuncMeta` is the kernel's ``bpf_kfunc_call_arg_meta``.
"""
from __future__ import annotations

from typing import Any

from ..btf.format import Kind
from . import btf_types
from .kfunc_table import Kfunc, Param
from .state import (
    RT,
    Dynptr,
    Reg,
)

SCALAR_KINDS = (Kind.INT, Kind.ENUM, Kind.ENUM64)


def has_suffix(p: Param, suffix: str) -> bool:
    return len(p.name) > len(suffix) and p.name.endswith(suffix)


def skip(tid: int) -> tuple[int, Any]:
    return btf_types.skip_modifiers(None, tid)


def is_scalar(rec: Any) -> bool:
    return rec.kind in SCALAR_KINDS


def ptr_to(p: Param, struct: str) -> bool:
    _, t = skip(p.type)
    if t.kind != Kind.PTR:
        return False
    _, t = skip(t.type)
    return t.kind == Kind.STRUCT and t.name == struct


def scalar_struct(rec: Any, depth: int = 0) -> bool:
    """__btf_type_is_scalar_struct: a struct of scalars (or arrays of them), nested ≤ 3."""
    if not btf_types.is_struct(rec):
        return False
    for m in rec.members:
        _, mt = skip(m.type)
        if btf_types.is_struct(mt):
            if depth >= 3 or not scalar_struct(mt, depth + 1):
                return False
            continue
        if mt.kind == Kind.ARRAY:
            if not mt.nelems:
                return False
            _, et = skip(mt.type)
            if not is_scalar(et):
                return False
            continue
        if not is_scalar(mt):
            return False
    return True


def is_callback(p: Param) -> bool:
    _, t = skip(p.type)
    if t.kind != Kind.PTR:
        return False
    _, t = skip(t.type)
    return t.kind == Kind.FUNC_PROTO


def is_mem_size(p: Param, reg: Reg, suffix: str) -> bool:
    _, t = skip(p.type)
    return is_scalar(t) and reg.type is RT.SCALAR and has_suffix(p, suffix)


def iter_arg_type(kf: Kfunc, n: int) -> int:
    """btf_check_iter_arg: the ``struct bpf_iter_*`` argument ``n`` points to (-1: none)."""
    if n >= len(kf.params):
        return -1
    _, t = skip(kf.params[n].type)
    if t.kind != Kind.PTR:
        return -1
    tid, t = skip(t.type)
    if not btf_types.is_struct(t) or not t.name.startswith("bpf_iter_"):
        return -1
    return tid


class KfuncMeta:
    """The kernel's bpf_kfunc_call_arg_meta (what the arguments told)."""

    __slots__ = ("kf", "ref_obj_id", "release_regno", "const_found", "const_value",
                 "r0_size", "r0_rdonly", "arg_btf", "arg_btf_id", "ret_btf_id", "subprog",
                 "dyn_id", "dyn_type", "dyn_ref", "iter_spi", "iter_frameno", "map", "map_uid",
                 "arg_owning_ref")

    def __init__(self, kf: Kfunc) -> None:
        self.kf = kf
        self.ref_obj_id = 0
        self.release_regno = 0
        self.const_found = False
        self.const_value = 0
        self.r0_size = 0
        self.r0_rdonly = False
        self.arg_btf: Any = None
        self.arg_btf_id = 0
        self.ret_btf_id = 0
        self.subprog = -1
        self.dyn_id = 0
        self.dyn_type = Dynptr.INVALID
        self.dyn_ref = 0
        self.iter_spi = -1
        self.iter_frameno = 0
        self.map: Any = None
        self.map_uid = 0
        self.arg_owning_ref = False
