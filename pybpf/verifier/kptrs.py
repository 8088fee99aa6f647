"""Kptrs: kernel-object pointers stored in map values (``__kptr``, ``__kptr_untrusted``,
``__percpu_kptr``).

A load of a kptr field gives a BTF pointer that may be NULL: RCU-protected (``rcu_ptr_``) for a
referenced kptr of a type the kernel frees after an RCU grace period, inside an RCU section
(every non-sleepable program is one), else untrusted (the kernel's ``btf_ld_kptr_type``).
Only an unreferenced kptr may be stored directly, with a pointer of its type
(``map_kptr_match_type``); a referenced one is exchanged with ``bpf_kptr_xchg``, which
releases the reference it stores and acquires the one it takes out (``process_kptr_func``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import btf_types
from .locks import struct_ids_match_id
from .report import Reject
from .state import ALLOC, MAYBE_NULL, PERCPU, RCU, RT, TRUSTED, UNTRUSTED, Reg, State, type_str

if TYPE_CHECKING:
    from .session import Session

#: the kernel structs whose referenced kptrs are RCU-protected (the kernel's
#: ``rcu_protected_types``; program-local objects always are)
RCU_PROTECTED_TYPES = frozenset({"prog_test_ref_kfunc", "cgroup", "bpf_cpumask", "task_struct",
                                 "bpf_crypto_ctx"})
KINDS = ("kptr_unref", "kptr_ref", "kptr_percpu", "uptr")


@dataclass(frozen=True)
class KptrField:
    """One kptr field of a map value: its kind, offset and pointee ``(btf, type id)``."""

    kind: str
    off: int
    btf: Any
    btf_id: int

    @property
    def local(self) -> bool:
        return self.btf is not None


def field_at(reg: Reg, at: int) -> KptrField | None:
    """The kptr field at byte ``at`` of the map value ``reg`` points into."""
    m = reg.map
    if m is None:
        return None
    for kind, off in m.fields:
        if off == at and kind in KINDS:
            btf, tid = (m.kptr_types or {}).get(off, (None, 0))
            return KptrField(kind, off, btf, tid)
    return None


def _rcu_safe(f: KptrField) -> bool:
    if f.kind == "kptr_percpu":
        return True
    return f.kind == "kptr_ref" and (
        f.local or btf_types.type_name(None, f.btf_id) in RCU_PROTECTED_TYPES)


def load_flags(v: Session, st: State, f: KptrField) -> int:
    """btf_ld_kptr_type."""
    flags = MAYBE_NULL
    if _rcu_safe(f) and v.in_rcu_cs(st):
        flags |= RCU
        if f.kind == "kptr_percpu":
            flags |= PERCPU
        elif f.local:
            flags |= ALLOC
    else:
        flags |= UNTRUSTED
    return flags


def access(v: Session, st: State, reg: Reg, regno: int, value_regno: int, insn: int,
           f: KptrField, write: bool, want: bool) -> Reg | None:
    """check_map_kptr_access: a load gives the typed pointer; a store must fit the field."""
    ins = v.insns[insn]
    from ..isa import Class, Mode

    if ins.mode != Mode.MEM:
        raise Reject(insn, "kptr in map can only be accessed using BPF_MEM instruction mode",
                     "bad_pointer_deref", reg=regno)
    if write:
        if f.kind in ("kptr_ref", "kptr_percpu"):
            raise Reject(insn, "store to referenced kptr disallowed", "bad_pointer_deref",
                         reg=regno)
        if f.kind == "uptr":
            raise Reject(insn, "store to uptr disallowed", "bad_pointer_deref", reg=regno)
        if ins.cls == Class.ST:
            if ins.imm:
                raise Reject(insn, f"BPF_ST imm must be 0 when storing to kptr at off={f.off}",
                             "bad_pointer_deref")
            return None
        val = st.regs[value_regno]
        if not val.is_null_const:
            match_type(insn, f, val, value_regno)
        return None
    if not want:
        return None
    if f.kind == "uptr":
        raise Reject(insn, "uptr loads are not modelled", "unsupported")
    return Reg.ptr(RT.PTR_TO_BTF_ID, btf=f.btf, btf_id=f.btf_id, flags=load_flags(v, st, f),
                   id=v.new_id())


def match_type(insn: int, f: KptrField, reg: Reg, regno: int) -> None:
    """map_kptr_match_type: ``reg`` may be stored into (or exchanged with) the field."""
    targ = btf_types.type_name(f.btf, f.btf_id)
    if reg.btf is None:  # a kernel object
        perm = MAYBE_NULL | TRUSTED | RCU | (UNTRUSTED if f.kind == "kptr_unref" else 0)
    else:
        perm = MAYBE_NULL | ALLOC | (PERCPU if f.kind == "kptr_percpu" else 0)
    reg_name = ""
    ok = reg.type is RT.PTR_TO_BTF_ID and not reg.flags & ~perm
    if ok:
        reg_name = btf_types.type_name(reg.btf, reg.btf_id)
        from .calls import check_ptr_off

        check_ptr_off(insn, regno, reg, True)
        ok = (reg.btf is None) == (f.btf is None) and (
            reg.btf is f.btf or reg.btf is None) and struct_ids_match_id(
                reg.btf, reg.btf_id, reg.off, f.btf_id, f.kind != "kptr_unref")
    if not ok:
        tail = (f" or {type_str(RT.PTR_TO_BTF_ID, UNTRUSTED)}{targ}"
                if f.kind == "kptr_unref" else "")
        raise Reject(insn, f"invalid kptr access, R{regno} type={reg.type_label()}{reg_name} "
                     f"expected={type_str(RT.PTR_TO_BTF_ID, 0)}{targ}{tail}",
                     "bad_pointer_deref", reg=regno)


def process_dest(i: int, regno: int, reg: Reg) -> KptrField:
    """process_kptr_func: the ``bpf_kptr_xchg`` destination is a referenced kptr field."""
    if reg.type is RT.PTR_TO_MAP_VALUE:
        m = reg.map
        if m is not None and m.value_type is None and not m.fields:
            raise Reject(i, f"map '{m.name}' has to have BTF in order to use bpf_kptr_xchg",
                         "helper_arg_type", reg=regno)
    else:
        raise Reject(i, "kptrs inside allocated objects are not modelled", "unsupported")
    if not reg.var.is_const:
        raise Reject(i, f"R{regno} doesn't have constant offset. kptr has to be at the "
                     "constant offset", "helper_arg_type", reg=regno)
    if not any(k in KINDS for k, _ in (reg.map.fields if reg.map else ())):
        raise Reject(i, f"R{regno} has no valid kptr", "helper_arg_type", reg=regno)
    at = reg.off + reg.var.value
    f = field_at(reg, at)
    if f is None:
        raise Reject(i, f"off={at} doesn't point to kptr", "helper_arg_type", reg=regno)
    if f.kind not in ("kptr_ref", "kptr_percpu"):
        raise Reject(i, f"off={at} kptr isn't referenced kptr", "helper_arg_type", reg=regno)
    return f


def xchg_ret(f: KptrField) -> Reg:
    """R0 of ``bpf_kptr_xchg``: what the field held (maybe NULL; acquired by the caller)."""
    flags = MAYBE_NULL
    if f.local:
        flags |= ALLOC | (PERCPU if f.kind == "kptr_percpu" else 0)
    return Reg.ptr(RT.PTR_TO_BTF_ID, btf=f.btf, btf_id=f.btf_id, flags=flags)


__all__ = ["KINDS", "RCU_PROTECTED_TYPES", "KptrField", "access", "field_at", "load_flags",
           "match_type", "process_dest", "xchg_ret"]
