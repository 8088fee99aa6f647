"""The catalog of kernel rejection messages (docs/verifier-errors.md), against the live kernel.

Every program of tests/explain/catalog/ is loaded into the running kernel, which must reject
it with the message its header names; pybpf must name the same instruction and message
(>= 95%), the line marked FAIL (100%), the kind of problem (100%) and, where the root cause
lies before the failing line, the line marked ROOT (>= 90%); the fixed variant (the hint
applied) must be accepted by both. ``pybpf explain`` on the kernel's log must give the same
class and line as ``pybpf verify``; a counterexample, where pybpf finds one, must fault in
the VM at the instruction the kernel names.
"""
from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from pybpf.asm import assemble
from pybpf.errors import ProgLoadError
from pybpf.explain import Explanation, explain_program
from pybpf.explain.api import explain_object
from pybpf.explain.counterexample import NO_COUNTEREXAMPLE, counterexample_case
from pybpf.explain.fromlog import explain_log
from pybpf.explain.logparse import parse_log
from pybpf.verifier import messages

from .catalog_format import Entry, entries

ENTRIES = entries()
_ARCH_INCLUDE = f"/usr/include/{os.uname().machine}-linux-gnu"


@dataclass
class Outcome:
    entry: Entry
    kernel_log: str
    kernel_fixed_ok: bool
    explanation: Explanation
    fixed: Explanation
    from_log: Explanation
    from_log_bare: Explanation


def _compile(src: Path, out: Path, fixed: bool) -> Path:
    cmd = ["clang-19", "-O2", "-g", "-target", "bpf", f"-I{_ARCH_INCLUDE}", "-c", str(src),
           "-o", str(out)] + (["-DFIXED"] if fixed else [])
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise AssertionError(f"clang-19 failed on {src}:\n{res.stderr}")
    return out


def _kernel_c(obj_path: Path) -> str:
    from pybpf.elf.loader import BpfObject

    with BpfObject.open(str(obj_path)) as obj:
        try:
            obj.load()
        except ProgLoadError as e:
            return e.log or f"(no log) {e}"
    return ""


def _kernel_asm(src: str, ptype: str) -> str:
    from pybpf.kernel.prog import LoadOptions, load

    try:
        with load(assemble(src, check_targets=False), ptype, options=LoadOptions(log_level=1)):
            return ""
    except ProgLoadError as e:
        return e.log or f"(no log) {e}"


def _explain_c(obj_path: Path) -> Explanation:
    from pybpf.elf.loader import BpfObject

    with BpfObject.open(str(obj_path)) as obj:
        (e,) = explain_object(obj, counterexample=True)
        return e


def _outcome(e: Entry, tmp: Path) -> Outcome:
    if e.lang == "c":
        bad = _compile(e.path, tmp / f"{e.path.stem}.o", False)
        good = _compile(e.path, tmp / f"{e.path.stem}.fixed.o", True)
        klog = _kernel_c(bad)
        kfixed = _kernel_c(good) == ""
        ex = _explain_c(bad)
        fx = _explain_c(good)
        from pybpf.elf.loader import BpfObject

        with BpfObject.open(str(bad)) as obj:
            ps = next(iter(obj.spec.programs.values()))
            prog, _ = obj.prepare_program(ps)
            fl = explain_log(klog, prog, ps.spec.prog_type, maps=dict(obj.spec.maps),
                             func_info=True, name=ps.name)
    else:
        bad_src, good_src = e.asm_variant(False), e.asm_variant(True)
        ptype = e.prog_type or "socket_filter"
        klog = _kernel_asm(bad_src, ptype)
        kfixed = _kernel_asm(good_src, ptype) == ""
        prog = assemble(bad_src, filename=str(e.path), check_targets=False)
        ex = explain_program(prog, ptype, counterexample=True)
        fx = explain_program(assemble(good_src, filename=str(e.path), check_targets=False), ptype)
        fl = explain_log(klog, prog, ptype)
    bare = explain_log(klog)
    return Outcome(e, klog, kfixed, ex, fx, fl, bare)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> list[Outcome]:
    tmp = tmp_path_factory.mktemp("catalog")
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda e: _outcome(e, tmp), ENTRIES))


def _kernel_says(entry: Entry, log: str) -> bool:
    """The kernel's failing line is the message the entry names (a key of pybpf's message
    table, or a quoted kernel format such as ``"cannot write into packet"``)."""
    k = parse_log(log)
    if k.accepted:
        return False
    want = entry.message
    if want.startswith('"'):
        return any(messages._regex(want.strip('"')).match(ln.strip()) for ln in k.error_lines)
    return k.message_key == want


def test_catalog_shape():
    """>= 30 messages, each with a C program and a DSL or assembly program; >= 60 programs;
    >= 15 compiler-lowering cases (all C, built by clang-19 -O2)."""
    langs: dict[str, set[str]] = {}
    for e in ENTRIES:
        langs.setdefault(e.message, set()).add(e.lang)
    both = sorted(m for m, ls in langs.items() if "c" in ls and ls & {"asm", "python"})
    assert len(both) >= 30, (len(both), sorted(set(langs) - set(both)))
    assert len(ENTRIES) >= 60
    assert sum(e.kind == "compiler" and e.lang == "c" for e in ENTRIES) >= 15


@pytest.mark.kernel
@pytest.mark.clang
def test_kernel_rejects_each_with_its_message(outcomes):
    bad = [(o.entry.name, parse_log(o.kernel_log).failing_line) for o in outcomes
           if not _kernel_says(o.entry, o.kernel_log)]
    assert not bad


@pytest.mark.kernel
@pytest.mark.clang
def test_pybpf_names_the_same_instruction_and_message(outcomes):
    same = [o for o in outcomes
            if parse_log(o.kernel_log).insn == o.explanation.insn
            and parse_log(o.kernel_log).failing_line in (o.explanation.message or "").splitlines()]
    missed = [(o.entry.name, parse_log(o.kernel_log).insn, parse_log(o.kernel_log).failing_line,
               o.explanation.insn, o.explanation.message) for o in outcomes if o not in same]
    assert len(same) >= 0.95 * len(outcomes), missed


@pytest.mark.kernel
@pytest.mark.clang
def test_source_line_of_the_failing_instruction(outcomes):
    bad = []
    for o in outcomes:
        line = o.explanation.line
        if line != o.entry.fail_line:
            bad.append((o.entry.name, line, o.entry.fail_line))
        k = parse_log(o.kernel_log)
        if o.entry.lang == "c" and k.insn is not None:  # the kernel's own line info agrees
            if k.source_line is None or k.source_line[1] != o.entry.fail_line:
                bad.append((o.entry.name, "kernel", k.source_line))
    assert not bad


@pytest.mark.kernel
@pytest.mark.clang
def test_fixed_variants_are_accepted_by_both(outcomes):
    bad = [(o.entry.name, o.kernel_fixed_ok, o.fixed.message) for o in outcomes
           if not (o.kernel_fixed_ok and o.fixed.accepted)]
    assert not bad


@pytest.mark.clang
def test_hint_is_the_fix(outcomes):
    bad = [(o.entry.name, o.explanation.hint) for o in outcomes
           if o.entry.hint and o.entry.hint not in o.explanation.hint]
    assert not bad


@pytest.mark.kernel
@pytest.mark.clang
def test_kind_of_problem(outcomes):
    bad = [(o.entry.name, o.explanation.kind, o.entry.kind) for o in outcomes
           if o.explanation.kind != o.entry.kind]
    assert not bad


@pytest.mark.kernel
@pytest.mark.clang
def test_root_cause_before_the_failing_line(outcomes):
    before = [o for o in outcomes if o.entry.root_line and o.entry.root_line != o.entry.fail_line]
    named = [o for o in before if o.explanation.root_cause is not None
             and o.explanation.root_cause.line is not None
             and o.explanation.root_cause.line.line == o.entry.root_line]
    missed = [(o.entry.name, o.explanation.root_cause and o.explanation.root_cause.line,
               o.entry.root_line) for o in before if o not in named]
    assert len(before) >= 10
    assert len(named) >= 0.9 * len(before), missed


@pytest.mark.kernel
@pytest.mark.clang
def test_explain_on_the_kernel_log_agrees_with_verify(outcomes):
    bad = []
    for o in outcomes:
        for how, e in (("object", o.from_log), ("bare", o.from_log_bare)):
            if how == "bare" and (o.entry.lang != "c" or parse_log(o.kernel_log).insn is None):
                continue  # an assembly log has no line info of its own; nor has a rejection
                # that names no instruction (a combined stack size)
            if (e.error_class, e.line) != (o.explanation.error_class, o.explanation.line):
                bad.append((o.entry.name, how, e.error_class, e.line, o.explanation.error_class,
                            o.explanation.line))
    assert not bad


@pytest.mark.kernel
@pytest.mark.clang
def test_counterexamples_fault_where_the_kernel_says(outcomes):
    """Every error class of the catalog, program by program: either a counterexample whose
    replay in the VM faults at the instruction the kernel named, or a documented reason why
    there is none (`NO_COUNTEREXAMPLE`, listed in docs/verifier-errors.md)."""
    by_class: dict[str, list[str]] = {}
    bad = []
    replayed = 0
    for o in outcomes:
        e = o.explanation
        case = counterexample_case(e)
        by_class.setdefault(e.error_class or "?", []).append(case)
        ce = e.counterexample
        if case in NO_COUNTEREXAMPLE:
            if ce is not None or e.no_counterexample != NO_COUNTEREXAMPLE[case]:
                bad.append((o.entry.name, case, "documented as none", ce and ce.to_json()))
            continue
        if ce is None or not ce.replayed or ce.fault_insn != parse_log(o.kernel_log).insn:
            bad.append((o.entry.name, case, ce and ce.to_json()))
        else:
            replayed += 1
    assert not bad
    # the memory-safety classes the issue names all replay, in programs of their own
    must = {"null_deref", "map_value_oob", "unbounded_access", "negative_index", "packet_oob",
            "stack_oob", "mem_oob", "helper_arg_size", "unbounded_pointer_math"}
    assert must <= {c for c, cases in by_class.items() if c in cases}, by_class
    assert replayed >= 45, replayed


def test_every_reason_for_no_counterexample_is_documented():
    doc = (Path(__file__).parents[2] / "docs" / "verifier-errors.md").read_text()
    missing = [case for case, why in NO_COUNTEREXAMPLE.items() if why not in doc]
    assert not missing
