"""Apply an object's CO-RE relocations (from ``.BTF.ext``) to one linked program.

The records give byte offsets inside the *section* of the function they belong
to; `apply_core` maps them to the program's instruction indices through the
linker's placement (`ObjectProgramSpec.placement`) and patches or poisons each
instruction (`pybpf.elf.core`).
"""

from __future__ import annotations

from typing import Any

from ..btf import Btf
from ..isa import ProgramSpec
from .core import CoreKind, CoreRelo, patch_insn, poison_insns, resolve_relo


def core_relos_by_section(ext: Any) -> dict[str, list[CoreRelo]]:
    """``section name -> CO-RE records`` of a parsed `pybpf.btf.ext.BtfExt`."""
    return {sec: [CoreRelo(r.insn_off, r.type_id, r.access, CoreKind(int(r.kind))) for r in recs]
            for sec, recs in ext.core_relos.items()}


def apply_core(local: Btf, ext: Any, ps: Any, prog: ProgramSpec, target: Btf) -> list[tuple[int, str]]:
    """Resolve and apply the CO-RE relocations that fall in ``prog``'s code.

    Returns ``[(insn index, reason)]`` for poisoned instructions (no kernel match),
    which the verifier rejects only if they are reachable.
    """
    relos = core_relos_by_section(ext)
    if not relos:
        return []
    slots = prog.slot_offsets()
    poisoned: list[tuple[int, str]] = []
    for sec_name, fstart, flen, first_idx in ps.placement:
        for relo in relos.get(sec_name, ()):
            if not fstart <= relo.insn_off < fstart + flen:
                continue
            idx = prog.index_of_slot(slots[first_idx] + (relo.insn_off - fstart) // 8)
            where = f"{ps.name}: insn {idx} ({sec_name}+{relo.insn_off:#x})"
            res = resolve_relo(local, target, relo)
            patched = None if res.poison else patch_insn(prog.insns[idx], res, relo, where)
            if patched is None:
                poisoned.append((idx, res.reason or "the kernel field's size or signedness "
                                 "differs and the load cannot be adjusted"))
            else:
                prog.insns[idx] = patched
    for idx, _reason in sorted(poisoned, reverse=True):
        prog.splice(idx, poison_insns(prog.insns[idx]))
    return poisoned
