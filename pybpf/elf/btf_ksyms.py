"""The kernel's copy of the BTF of an object with ``.ksyms`` (kernel variables and kfuncs),
re-encoded with `pybpf.btf.writer.BtfBuilder` as libbpf rewrites it: each entry a 4-byte
int variable, kernel functions through one added ``dummy_ksym`` variable. Objects without
``.ksyms`` have their BTF fixed in place by `pybpf.elf.btf_load` (this module, the record
classes and the writer are then never imported).
"""

from __future__ import annotations

from .btf_load import datasec_layout

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from typing import Any

    from ..btf import Btf


def reencoded(local: Btf, ext: Any, section_sizes: dict[str, int],
               section_symbols: dict[str, dict[str, int]], kconfig: dict[str, int]) -> Any:
    """The `BtfBuilder` of the kernel's copy of an object's BTF with ``.ksyms`` (libbpf's
    rewrite of them) and the other fix-ups of `pybpf.elf.btf_load` (which fixes the
    other objects' BTF in place)."""
    from ..btf import Linkage
    from ..btf import types as T  # noqa: N812
    from ..btf.writer import BtfBuilder

    b = BtfBuilder()
    records = list(local)  # (decoded once for the three passes below)
    ksyms = next((rec for rec in records
                  if isinstance(rec, T.Datasec) and rec.name == ".ksyms"), None)
    ksym_funcs = {vs.type for vs in ksyms.vars if isinstance(local[vs.type], T.Func)} \
        if ksyms is not None else set()
    # libbpf's way with .ksyms: every entry becomes a 4-byte int variable (kernel
    # functions through one added "dummy_ksym" variable), the functions themselves
    # global, their unnamed parameters named after the dummy variable
    int_id = next((rec.id for rec in records if isinstance(rec, T.Int) and rec.bits == 32), 0)
    dummy_id = local.nr_types if ksym_funcs else 0
    protos = {rec.type for f in ksym_funcs if isinstance(rec := local[f], T.Func)}
    for rec in records:
        if isinstance(rec, T.Var) and rec.linkage == Linkage.EXTERN:
            in_ksyms = ksyms is not None and any(vs.type == rec.id for vs in ksyms.vars)
            b.add(T.Var(rec.id, rec.kind, rec.name, int_id if in_ksyms and int_id else rec.type,
                        Linkage.GLOBAL))
        elif isinstance(rec, T.Func) and rec.id in ksym_funcs:
            b.add(T.Func(rec.id, rec.kind, rec.name, rec.type, Linkage.GLOBAL))
        elif isinstance(rec, T.Func) and rec.linkage == Linkage.EXTERN:
            b.add(T.Func(rec.id, rec.kind, rec.name, rec.type, Linkage.STATIC))
        elif isinstance(rec, T.FuncProto) and rec.id in protos:
            params = tuple(T.Param(p.name or ("dummy_ksym" if p.type else ""), p.type)
                           for p in rec.params)
            b.add(T.FuncProto(rec.id, rec.kind, rec.name, rec.type, params))
        elif isinstance(rec, T.Datasec) and rec is ksyms:
            b.add(T.Datasec(rec.id, rec.kind, rec.name, 4 * len(rec.vars), tuple(
                T.VarSecinfo(dummy_id if vs.type in ksym_funcs else vs.type, 4 * i, 4)
                for i, vs in enumerate(rec.vars))))
        elif isinstance(rec, T.Datasec):
            size, vars_ = datasec_layout(local, rec.name, rec.size,
                                          [(vs.type, vs.offset, vs.size) for vs in rec.vars],
                                          section_sizes, section_symbols, kconfig)
            b.add(T.Datasec(rec.id, rec.kind, rec.name, size,
                            tuple(T.VarSecinfo(*v) for v in vars_)))
        else:
            b.add(rec)
    if dummy_id:
        got = b.add_var("dummy_ksym", int_id, Linkage.GLOBAL)
        assert got == dummy_id, (got, dummy_id)
    if ext is not None:
        for infos in ext.line_info.values():
            for li in infos:
                b.add_string(li.file_name)
                b.add_string(li.source)
    return b
