"""One program, every kernel of a fleet: a verdict per kernel, and what each refusing kernel lacks.

`verify_fleet` verifies a program under several kernel profiles (``"6.1"``, ``"6.12"``,
``"6.18"``, ``"running"`` or a profile's path, see `pybpf.verifier.kernel_profile.profile`).
Each rejection is explained by what the profiles say the kernel lacks and the others have:
a helper not available to the program type there, an instruction form it does not know, a map
type it cannot create, a verifier feature it does not have. These facts come from the
profiles (measured on each kernel), not from a table of versions.

>>> from pybpf.asm import assemble
>>> fr = verify_fleet(assemble("call bpf_get_current_pid_tgid\\nr0 = 0\\nexit"), "socket_filter",
...                   ["6.1", "6.12"])
>>> [(v.kernel, v.report.accepted) for v in fr.verdicts]
[('6.1', False), ('6.12', True)]
>>> fr.verdicts[0].lacks[0]
'bpf_get_current_pid_tgid is not available to socket_filter programs on 6.1 (it is on 6.12)'
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ElfError
from ..isa.helpers import helper_name
from ..isa.opcodes import CALL, LDDW, AluOp, CallSrc, Class, JmpOp
from .kernel_profile import FEATURE_TEXT, FORM_TEXT, KernelProfile, insn_form, profile
from .report import Report

#: features whose presence makes a kernel refuse more (the others make it accept more)
STRICTER_FEATURES = frozenset({"map_ptr_read_refused", "global_func_null_arg_refused"})
#: the kernels `verify_fleet` checks when given none
DEFAULT_KERNELS = ("6.1", "6.12", "6.18")


@dataclass
class KernelVerdict:
    """pybpf's verdict for one kernel, with what that kernel lacks when it refuses."""

    kernel: str
    profile: KernelProfile
    report: Report
    lacks: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**self.report.to_json(), "kernel": self.kernel, "release": self.profile.release,
                "lacks": self.lacks}


@dataclass
class FleetReport:
    """The verdicts of one program on every kernel asked about."""

    program: str
    prog_type: str
    verdicts: list[KernelVerdict]

    @property
    def accepted_everywhere(self) -> bool:
        return all(v.report.accepted for v in self.verdicts)

    @property
    def accepted_on(self) -> list[str]:
        return [v.kernel for v in self.verdicts if v.report.accepted]

    def table(self) -> str:
        """The verdicts side by side, one line per kernel, each refusal followed by its reasons.

        >>> from pybpf.asm import assemble
        >>> print(verify_fleet(assemble("r0 = 0\\nexit"), "xdp", ["6.1", "6.18"], name="ok").table())
        ok (xdp)
          6.1   accepted (2 instructions processed)
          6.18  accepted (2 instructions processed)
        """
        width = max(len(v.kernel) for v in self.verdicts)
        out = [f"{self.program} ({self.prog_type})" if self.program else f"({self.prog_type})"]
        for v in self.verdicts:
            out.append(f"  {v.kernel:<{width}}  {v.report.summary}")
            out += [f"  {'':<{width}}    - {why}" for why in v.lacks]
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        return {"program": self.program, "type": self.prog_type, "accepted_on": self.accepted_on,
                "kernels": {v.kernel: v.to_json() for v in self.verdicts}}


def _names(kernels: Sequence[str]) -> str:
    return kernels[0] if len(kernels) == 1 else ", ".join(kernels[:-1]) + " and " + kernels[-1]


def _calls_lookup(program: Any) -> bool:
    return any(i.opcode == CALL and i.src == 0 and i.imm == 1 for i in program.insns)


def _compares_registers(program: Any) -> bool:
    return any(i.opcode & 0x07 in (Class.JMP, Class.JMP32) and i.opcode & 0x08 and i.opcode & 0xF0
               not in (JmpOp.JA, JmpOp.CALL, JmpOp.EXIT) for i in program.insns)


def _reads_map_pointer(program: Any) -> bool:
    return any(i.opcode == LDDW for i in program.insns) and any(
        i.opcode & 0x07 == Class.LDX for i in program.insns)


def _calls_subprogram(program: Any) -> bool:
    return any(i.opcode == CALL and i.src == CallSrc.LOCAL for i in program.insns)


def _alu_op(op: int) -> Callable[[Any], bool]:
    return lambda program: any(i.cls in (Class.ALU, Class.ALU64) and i.op == op for i in program.insns)


def _alu_range_differs(program: Any) -> bool:
    """An operation whose bounds 6.1 computes otherwise (`alu_safe_range`): one with a
    register operand other than add/sub/and/mov, or a 32-bit division or modulo."""
    return any(i.cls in (Class.ALU, Class.ALU64) and (
        i.uses_src_reg and i.op not in (AluOp.ADD, AluOp.SUB, AluOp.AND, AluOp.MOV, AluOp.END, AluOp.NEG)
        or i.cls == Class.ALU and i.op in (AluOp.DIV, AluOp.MOD)) for i in program.insns)


def _calls_helper_on_stack(program: Any) -> bool:
    # a helper call and a register spilled to the stack (a constant stored there is no spill)
    return any(i.opcode == CALL and i.src == 0 for i in program.insns) and any(
        i.opcode & 0x07 == Class.STX and i.dst == 10 for i in program.insns)


def _adds_32(program: Any) -> bool:
    return any(i.opcode & 0x07 == Class.ALU and i.opcode & 0xF0 in (AluOp.ADD, AluOp.SUB)
               for i in program.insns)


def _loads(program: Any) -> bool:
    return any(i.opcode & 0x07 == Class.LDX for i in program.insns)


def _movsx_narrow_64(program: Any) -> bool:
    # a 64-bit (s8)/(s16) move (the ISA's MOV with a sign-extension offset)
    return any(i.opcode & 0x07 == Class.ALU64 and i.opcode & 0xF0 == AluOp.MOV and i.off in (8, 16)
               for i in program.insns)


#: features about the typed context of BTF-attached programs
_BTF_CTX_FEATURES = frozenset({"btf_ctx_modified_void_ptr"})
#: feature -> whether a program uses what the feature is about (unlisted: always relevant)
_USES: dict[str, Callable[[Any], bool]] = {
    "array_lookup_const_key_nonnull": _calls_lookup,
    "reg_reg_refinement": _compares_registers,
    "map_ptr_read_refused": _reads_map_pointer,
    "byte_swap_bounds": _alu_op(AluOp.END),
    "neg_bounds": _alu_op(AluOp.NEG),
    "alu_safe_range": _alu_range_differs,
    "global_funcs_lazy": _calls_subprogram,
    "global_func_arg_tags": _calls_subprogram,
    "helper_read_keeps_spill": _calls_helper_on_stack,
    "btf_ctx_modified_void_ptr": _loads,
    "global_func_null_arg_refused": _calls_subprogram,
    "linked_reg_add_const32": _adds_32,
    "movsx_subreg_range": _movsx_narrow_64,
}


def _kfunc_name(insn: Any, prof: KernelProfile) -> str | None:
    """The name of the kfunc a ``call`` (src 2) names by its BTF id in ``prof``'s kernel."""
    try:
        return prof.vmlinux_btf()[insn.imm].name or None
    except Exception:  # noqa: BLE001 - no BTF, or no such id: nothing to say
        return None


def _kfunc_lack(name: str, prog_type: str, attach: str | None, kernel: str, prof: KernelProfile,
                others: Sequence[tuple[str, KernelProfile]]) -> str | None:
    """What ``prof`` lacks about kfunc ``name`` for the program kind (None: nothing)."""
    if prof.kfunc_probed and name not in prof.kfuncs:
        # the running kernel's profile measures kfuncs when asked instead of listing them
        have = [k for k, p in others if name in p.kfuncs
                or (p.kfunc_probe is not None and p.kfunc_allowed(name, prog_type, attach))]
        return f"{kernel} has no kfunc {name}" + (f" ({_names(have)} {'has' if len(have) == 1 else 'have'})"
                                                  if have else "")
    if prof.kfunc_allowed(name, prog_type, attach):
        return None
    have = [k for k, p in others if p.kfunc_probed and p.kfunc_allowed(name, prog_type, attach)]
    kind = f"{prog_type}/{attach}" if attach and f"{prog_type}/{attach}" in prof.kfunc_probed else prog_type
    return (f"kfunc {name} is not available to {kind} programs on {kernel}"
            + (f" (it is on {_names(have)})" if have else " (nor on any other kernel checked)"))


def missing_kfunc_report(name: str, kernel: str, program: Any = None) -> Report:
    """The verdict for a program calling a kfunc its kernel's BTF does not hold: libbpf
    refuses to load it (the extern cannot be resolved) before the verifier sees it. The
    rejected instruction is the first call of it in ``program`` (when given)."""
    from ..isa.program import RefKind

    refs = getattr(program, "refs", {}) or {}
    at = min((i for i, r in refs.items() if r.kind is RefKind.KFUNC and r.name == name), default=None)
    return Report(False, insn=at, insn_text=f"call {name}" if at is not None else None,
                  message=f"extern kfunc {name} is not in the BTF of {kernel}",
                  error_class="unknown_kfunc",
                  explanation=f"{kernel} has no kernel function {name}: the loader cannot resolve "
                              "the program's extern, so the program never reaches the verifier",
                  hint="declare the kfunc __weak and test bpf_ksym_exists() before calling it, or "
                       "deploy this program only to kernels that have it")


def lacks(program: Any, prog_type: str, kernel: str, prof: KernelProfile,
          others: Sequence[tuple[str, KernelProfile]], accepted_by: Sequence[str] = (),
          attach: str | None = None, changes_verdict: Callable[[KernelProfile], bool] | None = None
          ) -> list[str]:
    """What ``prof`` lacks that ``program`` uses, in words, naming the other kernels that have it.

    Helpers and instruction forms are listed whenever the program uses one the kernel does not
    have; verifier features only where they differ from a kernel of ``accepted_by`` (the
    kernels that accept the program: the features explain a different verdict, not a use).
    ``changes_verdict(variant)``, when given, says whether the program is judged otherwise
    under ``prof`` with one feature as an accepting kernel has it: of several candidate
    features only those whose change alone changes the verdict are named (all of them when
    none does alone: then they act together)."""
    out: list[str] = []
    seen: set[str] = set()
    for insn in program.insns:
        if insn.opcode == CALL and insn.src == CallSrc.KFUNC:
            kname = _kfunc_name(insn, prof)
            if kname and kname not in seen:
                seen.add(kname)
                text = _kfunc_lack(kname, prog_type, attach, kernel, prof, others)
                if text:
                    out.append(text)
            continue
        if insn.opcode == CALL and insn.src == 0:
            h = insn.imm
            if not prof.allows(h, prog_type):
                name = helper_name(h) or f"helper #{h}"
                if name in seen:
                    continue
                seen.add(name)
                have = [k for k, p in others if p.allows(h, prog_type)]
                known = bool(prof.available_in.get(h))
                if not known:
                    text = f"{kernel} does not know {name}"
                else:
                    text = f"{name} is not available to {prog_type} programs on {kernel}"
                out.append(text + (f" (it is on {_names(have)})" if have else
                                   " (nor on any other kernel checked)"))
            continue
        form = insn_form(insn)
        if form is not None and form not in seen and prof.refuses_insn(insn) is not None:
            seen.add(form)
            have = [k for k, p in others if p.refuses_insn(insn) is None]
            text = f"{kernel} does not know {FORM_TEXT.get(form, form)}"
            out.append(text + (f" ({_names(have)} {'does' if len(have) == 1 else 'do'})" if have else ""))
    for decl in getattr(program, "maps", {}).values():
        if prof.map_types is not None and decl.type not in prof.map_types and decl.type not in seen:
            seen.add(decl.type)
            have = [k for k, p in others if p.map_types is not None and decl.type in p.map_types]
            if have:
                out.append(f"{kernel} cannot create {decl.type} maps ({_names(have)} can)")
    if out:
        return out  # a missing helper or instruction is reason enough
    accepting = [(k, p) for k, p in others if k in accepted_by]
    candidates: list[tuple[str, bool, str]] = []  # (feature, its value where accepted, text)
    for feat, (has_text, lacks_text) in FEATURE_TEXT.items():
        used = _USES.get(feat)
        if used is not None and not used(program):
            continue
        if feat in _BTF_CTX_FEATURES and prog_type not in ("tracing", "lsm"):
            continue
        stricter = feat in STRICTER_FEATURES  # having it refuses more
        if feat in prof.unknown_features:  # its probe gave no answer there: judged as the newest do
            out.append(f"{kernel}: not measured whether it {has_text} (judged as the newest kernels are)")
            continue
        if prof.has_feature(feat, not stricter) != stricter:
            continue
        differ = [k for k, p in accepting if p.has_feature(feat, stricter) != stricter]
        if differ:
            mine, theirs = (has_text, lacks_text) if stricter else (lacks_text, has_text)
            candidates.append((feat, not stricter, f"{kernel} {mine} ({_names(differ)}: {theirs})"))
    if changes_verdict is not None and len(candidates) > 1:
        alone = [text for feat, value, text in candidates if changes_verdict(dataclasses.replace(
            prof, features={**prof.features, feat: value}))]
        if alone:
            return out + alone
    return out + [text for _, _, text in candidates]


def verify_fleet(program: Any, prog_type: str | None = None, kernels: Sequence[str] = DEFAULT_KERNELS, *,
                 maps: Any = None, expected_attach_type: str | None = None, func_info: bool = False,
                 name: str = "", prepare: Callable[[KernelProfile], Any] | None = None,
                 program_btf: Callable[[Any], Any] | None = None, sleepable: bool = False) -> FleetReport:
    """Verify ``program`` (a `ProgramSpec`) as ``prog_type`` under each kernel of ``kernels``.

    ``prepare(profile)``, when given, returns the program to verify for that kernel (an object's
    program with its CO-RE relocations resolved against that kernel's BTF).
    ``program_btf(program)``, when given, returns its `ProgramBtf` (an object's function info
    and attach target); it is called with that kernel's profile active, so the attach target is
    looked up in that kernel's BTF. ``sleepable`` is the BPF_F_SLEEPABLE load flag.
    """
    from .engine import verify
    from .kernel_profile import using

    ptype = prog_type or program.prog_type
    if ptype is None:
        raise ValueError("verify_fleet: give prog_type (e.g. 'socket_filter', 'xdp')")
    profs = [(k, profile(k)) for k in kernels]
    verdicts = []
    missing: dict[str, str] = {}
    for k, prof in profs:
        try:
            prog = prepare(prof) if prepare is not None else program
        except ElfError as e:  # an extern the kernel does not have: libbpf refuses the object
            m = re.search(r"extern func '([^']+)'", str(e))
            if m is None:
                raise
            missing[k] = m.group(1)
            report = missing_kfunc_report(m.group(1), k, program)
            report.program = name or report.program
            verdicts.append(KernelVerdict(k, prof, report))
            continue
        pbtf = None
        if program_btf is not None:
            with using(prof):
                pbtf = program_btf(prog)
        report = verify(prog, ptype, maps=maps, expected_attach_type=expected_attach_type,
                        func_info=func_info, kernel=prof, btf=pbtf, sleepable=sleepable)
        report.program = name or report.program
        verdicts.append(KernelVerdict(k, prof, report))
    accepted = [v.kernel for v in verdicts if v.report.accepted]
    for v in verdicts:
        others = [(k, p) for k, p in profs if k != v.kernel]
        if v.kernel in missing:
            text = _kfunc_lack(missing[v.kernel], ptype, expected_attach_type, v.kernel, v.profile, others)
            v.lacks = [text or f"{v.kernel} has no kfunc {missing[v.kernel]}"]
        elif not v.report.accepted:
            prog = prepare(v.profile) if prepare is not None else program
            rejected = (v.report.insn, v.report.message)

            def changes_verdict(variant: KernelProfile, prog: Any = prog,
                                rejected: tuple[Any, Any] = rejected) -> bool:
                pbtf = None
                if program_btf is not None:
                    with using(variant):
                        pbtf = program_btf(prog)
                r = verify(prog, ptype, maps=maps, expected_attach_type=expected_attach_type,
                           func_info=func_info, kernel=variant, btf=pbtf, sleepable=sleepable)
                return r.accepted or (r.insn, r.message) != rejected

            v.lacks = lacks(prog, ptype, v.kernel, v.profile, others, accepted, expected_attach_type,
                            changes_verdict)
    return FleetReport(name or getattr(program, "name", "") or "", ptype, verdicts)


__all__ = ["DEFAULT_KERNELS", "FleetReport", "KernelVerdict", "lacks", "missing_kfunc_report", "verify_fleet"]
