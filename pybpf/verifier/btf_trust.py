"""Which pointer fields of kernel structs keep their parent's trust.

Walking a trusted kernel pointer normally yields an untrusted one; the kernel lists the
fields that stay trusted (or RCU-protected, maybe NULL) as structs it emits into its own BTF:
``task_struct__safe_rcu``, ``socket__safe_trusted_or_null``... (``btf_nested_type_is_trusted``).
So the facts are read from the running kernel's BTF, not typed in here.

>>> field_trust_named("task_struct", "real_parent", 0)   # doctest: +SKIP
'rcu'
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import btf_types

#: the kernel's suffixes, in the order check_ptr_to_btf_access asks
SUFFIXES = (("__safe_trusted", "trusted"), ("__safe_trusted_or_null", "trusted_or_null"),
            ("__safe_rcu", "rcu"), ("__safe_rcu_or_null", "rcu_or_null"))


def _safe_fields(struct: str, suffix: str) -> tuple[tuple[str, int], ...]:
    """The pointer fields of ``struct + suffix`` in the judged kernel's BTF (their type ids are
    that BTF's: the cache is per BTF, a fleet check judges several kernels in one process)."""
    return _safe_fields_in(btf_types.kernel(), struct, suffix)


@lru_cache(maxsize=4096)
def _safe_fields_in(b: Any, struct: str, suffix: str) -> tuple[tuple[str, int], ...]:
    try:
        rec = b[btf_types.find(b, struct + suffix, "struct")]
    except Exception:  # noqa: BLE001 - no such list in this kernel
        return ()
    out = []
    for m in rec.members:
        mt = b[m.type]
        if mt.kind.name != "PTR":
            continue
        tid, _ = btf_types.skip_modifiers(b, mt.type)
        out.append((m.name, tid))
    return tuple(out)


def field_trust_named(struct: str, field: str, btf_id: int) -> str:
    """"trusted", "trusted_or_null", "rcu", "rcu_or_null" or "" for ``struct.field``
    pointing to type ``btf_id`` (0: any type)."""
    for suffix, kind in SUFFIXES:
        for name, tid in _safe_fields(struct, suffix):
            if name == field and (not btf_id or tid == btf_id):
                return kind
    return ""


def field_trust(reg: Any, field: str, btf_id: int) -> str:
    """The trust a pointer loaded from ``field`` of the struct ``reg`` points to keeps.

    The kernel checks each list on its own (a field may be in more than one); this returns
    every kind the field has, joined by ``|``, the caller testing them in the kernel's order.
    """
    if reg.btf is not None:
        return ""
    struct = reg.btf_name()
    kinds = [kind for suffix, kind in SUFFIXES
             if any(n == field and t == btf_id for n, t in _safe_fields(struct, suffix))]
    return "|".join(kinds)


__all__ = ["SUFFIXES", "field_trust", "field_trust_named"]
