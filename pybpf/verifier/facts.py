"""What a run learns from a program's instructions alone, kept per instruction sequence.

Before exploring anything the engine decodes the instructions, runs the static checks
(`pybpf.verifier.cfg.check_cfg`), describes each call (`CallInfo`) and computes the analyses
(`pybpf.verifier.analysis.analyze`) and precision backtracking's tables
(`pybpf.verifier.precision.precision_tables`). All of it is a pure function of the resolved
instructions and of a few inputs named in the keys below: a program verified again (the
benchmarks' repeats, a fleet's kernels, a fast-forward confirmed step by step, the same
program in several objects) reuses it instead of deriving it again.

- `ProgramFacts` (per instruction sequence): the decoded instructions and their call sites;
- `ProgramFacts.cfg` (per kernel profile: which instruction forms it refuses): the `Cfg`;
- `ProgramFacts.analysis` (per kernel profile, program type, attach type and the names of
  kfuncs referred to by name): the calls, the `Analysis`, each function's size and the
  backtracking tables.

A refusal (a `Reject` from the static checks) is never kept: it is raised again each time.
Nothing here is changed by a run (the analyses' lists are read only; `Analysis.postorder_of`
fills its memo with pure answers).

>>> from pybpf.asm import assemble
>>> p = assemble("r0 = 0\\nexit")
>>> facts_of(p) is facts_of(assemble("r0 = 0\\nexit")), facts_of(p).call_sites
(True, [])
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ..isa import CALL, LDDW, CallSrc, PseudoSrc, RefKind
from .analysis import Analysis, CallInfo, analyze
from .cfg import Cfg, check_cfg
from .decoded import decode

if TYPE_CHECKING:
    from ..isa import Insn, ProgramSpec
    from .kernel_profile import KernelProfile

_KFUNC, _LOCAL, _FUNC = int(CallSrc.KFUNC), int(CallSrc.LOCAL), int(PseudoSrc.FUNC)
#: instruction sequences kept at most (the table is emptied past it)
_MAX_PROGRAMS = 1024
#: per program, the kernels / contexts kept at most
_MAX_VARIANTS = 16


class Analyzed(NamedTuple):
    """The analyses of one program in one context (see the module)."""

    calls: dict[int, CallInfo]
    aux: Analysis
    #: subprogram start -> its number of instructions
    sizes: dict[int, int]
    #: `pybpf.verifier.precision.precision_tables`, once made (empty before)
    tracker_tables: list[Any]


class ProgramFacts:
    """One instruction sequence's decoded instructions and what is derived from them."""

    __slots__ = ("insns", "call_sites", "kfunc_sites", "func_refs", "_cfgs", "_analyses")

    def __init__(self, resolved: list[Insn]) -> None:
        insns = decode(resolved)
        #: the decoded instructions (`pybpf.verifier.decoded`); never changed
        self.insns = insns
        #: the indices of the call instructions (helpers, kfuncs, subprograms)
        self.call_sites = [i for i, insn in enumerate(insns) if insn[0] == CALL]
        #: the indices of the kfunc calls
        self.kfunc_sites = [i for i in self.call_sites if insns[i].src == _KFUNC]
        #: whether an instruction calls a function of the program or takes its address
        self.func_refs = any(insns[i].src == _LOCAL for i in self.call_sites) or \
            any(insn[0] == LDDW and insn.src == _FUNC for insn in insns)
        self._cfgs: dict[int, tuple[Any, Cfg]] = {}
        self._analyses: dict[tuple, tuple[Any, Analyzed]] = {}

    def cfg(self, kernel: KernelProfile | None) -> Cfg:
        """`check_cfg` of the instructions under ``kernel`` (raises its `Reject`)."""
        hit = self._cfgs.get(id(kernel))
        if hit is not None and hit[0] is kernel:
            return hit[1]
        cfg = check_cfg(self.insns, kernel, decoded=True)
        if len(self._cfgs) >= _MAX_VARIANTS:
            self._cfgs.clear()
        self._cfgs[id(kernel)] = (kernel, cfg)  # (the profile is kept: its id is not reused)
        return cfg

    def analysis(self, cfg: Cfg, kernel: KernelProfile, prog_type: str, attach: str | None,
                 program: ProgramSpec, call_infos: Callable[[], dict[int, CallInfo]]) -> Analyzed:
        """The `Analyzed` of the instructions (whose `check_cfg` gave ``cfg``) as a
        ``prog_type`` program attached as ``attach`` under ``kernel``; ``call_infos`` makes
        the calls' `CallInfo` when they are not known yet. The calls depend on the program
        type (helper prototypes), the kernel (its BTF's kfuncs and what it allows) and, for a
        kfunc the program names instead of giving its BTF id, that name."""
        named: tuple = ()
        if self.kfunc_sites:
            refs = program.refs
            named = tuple(r.name if r is not None and r.kind is RefKind.KFUNC else None
                          for r in map(refs.get, self.kfunc_sites))
        key = (id(kernel), prog_type, attach, named)
        hit = self._analyses.get(key)
        if hit is not None and hit[0] is kernel:
            return hit[1]
        calls = call_infos()
        insns = self.insns
        aux = analyze(insns, cfg.slots, cfg.at_slot, cfg.subprogs, calls, cfg.succ, cfg.forward,
                      cfg.marks)
        starts = aux.subprog_starts
        n = len(insns)
        sizes = {s: (starts[k + 1] if k + 1 < len(starts) else n) - s
                 for k, s in enumerate(starts)}
        out = Analyzed(calls, aux, sizes, [])
        if len(self._analyses) >= _MAX_VARIANTS:
            self._analyses.clear()
        self._analyses[key] = (kernel, out)
        return out


#: resolved instruction sequence -> its facts
_FACTS: dict[tuple, ProgramFacts] = {}


def facts_of(program: ProgramSpec) -> ProgramFacts:
    """The `ProgramFacts` of ``program``'s resolved instructions (``ProgramSpec.resolve``:
    its label references may raise `pybpf.errors.IsaError`)."""
    resolved = program.resolve()
    key = tuple(resolved)
    facts = _FACTS.get(key)
    if facts is None:
        if len(_FACTS) >= _MAX_PROGRAMS:
            _FACTS.clear()
        facts = _FACTS[key] = ProgramFacts(resolved)
    return facts


def forget_programs() -> None:
    """Empty everything the verifier keeps per program or per instruction: the facts here,
    the decoded instructions (`pybpf.verifier.decoded`), the report texts of instructions,
    the map declarations' checks, the maps' `MapRef` (`pybpf.verifier.maprefs`) and the
    context access rules looked up (`pybpf.verifier.mem`). The next verification of any
    program derives them again, as the first verification of that program in a process
    does: benchmarks/verifier.py calls it before each timed run, so that a program verified
    again is not timed on what its earlier runs left behind.

    >>> from pybpf.asm import assemble
    >>> p = assemble("r0 = 0\\nexit"); f = facts_of(p); forget_programs()
    >>> facts_of(p) is f
    False
    """
    from ..uapi import map_rules
    from . import decoded, maprefs, mem, report

    _FACTS.clear()
    decoded._DECODED.clear()
    report._TEXTS.clear()
    map_rules._MEMO.clear()
    maprefs._BUILT.clear()
    mem._CTX_ACCESS.clear()


__all__ = ["Analyzed", "ProgramFacts", "facts_of", "forget_programs"]
