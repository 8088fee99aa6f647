"""The C corpus against the live kernel: issue 15's figures, printed on every run.

Every program of every object of ``tests/verifier/c`` (clang-19 -O2 -g, -mcpu=v2/v3/v4)
is loaded into the running kernel the way libbpf does and verified by pybpf on the
same instructions (`tests.verifier.c_corpus`). The kernel's verdict, instruction,
message and processed-instruction count are read at test time; nothing is typed in.

The figures go to the terminal summary of every run; ``tools/c_corpus_report.py``
prints the same with each disagreement.
"""
from __future__ import annotations

import pytest

from . import c_corpus as C
from .conftest import SUMMARY

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

#: floors the figures may not fall below (raise them as the model improves): a live check
#: that nothing regresses while the targets themselves are still expected failures
FLOORS = {"verdict": 0.995, "insn_message": 0.98, "processed": 0.98, "no_error": 1.0}

@pytest.fixture(scope="module")
def corpus():
    builder = C.Builder()
    srcs = C.sources()
    objs = builder.build(srcs)
    failed = {k: v for k, v in objs.items() if isinstance(v, C.CompileError)}
    results = []
    for s in srcs:
        for cpu in C.CPUS:
            results += C.run_object(s, cpu, objs[(s.rel, cpu)])
    fig = C.figures(results)
    SUMMARY.extend([*fig.lines(), *fig.family_lines(),
                  f"  ({builder.compiled} objects compiled this run, the rest from "
                  f"{builder.cache}; the kernel's answers of {C.KernelAnswers.reused} programs "
                  "read from its answer files there, the others loaded)"])
    return srcs, failed, results, fig


def test_corpus_compiles_and_is_large(corpus):
    srcs, failed, results, fig = corpus
    assert not failed, "\n".join(str(e) for e in failed.values())
    assert len(srcs) >= 20
    # every source gives programs for every CPU version, and the kernel answered each
    assert {(r.source, r.cpu) for r in results} == {(s.rel, c) for s in srcs for c in C.CPUS}
    assert all(r.kernel_accepted is not None for r in results)
    # the corpus shows both verdicts in quantity (a corpus of one verdict measures nothing)
    assert fig.accepted >= fig.programs // 4 and fig.rejections >= fig.programs // 4


def test_kernel_answers_are_current(corpus):
    """Answers read from the answer files are still the kernel's: a sample of them (every
    40th program, the same each run) is loaded again now and must get the same answer."""
    _srcs, _failed, results, _fig = corpus
    builder = C.Builder()
    sample = results[::40]
    by_obj: dict[tuple[str, str], list[C.Result]] = {}
    for r in sample:
        by_obj.setdefault((r.source, r.cpu), []).append(r)
    srcs = {s.rel: s for s in C.sources()}
    objs = builder.build([srcs[rel] for rel, _cpu in by_obj], C.CPUS)
    for (rel, cpu), rs in by_obj.items():
        fresh = C.run_path(objs[(rel, cpu)], {"source": rel, "family": rs[0].family, "cpu": cpu},
                           names=[r.program for r in rs], fresh_kernel=True)
        for old, new in zip(rs, fresh, strict=True):
            assert (old.kernel_accepted, old.kernel_insn, old.kernel_message) == \
                (new.kernel_accepted, new.kernel_insn, new.kernel_message), old.key


def test_results_are_consistent(corpus):
    _srcs, _failed, results, _fig = corpus
    for r in results:
        if r.kernel_accepted:
            assert r.kernel_processed and r.kernel_processed > 0, r.key
        else:
            assert r.kernel_message, r.key


def test_no_pybpf_error(corpus):
    _srcs, _failed, results, fig = corpus
    errors = [r.describe() for r in results if r.pybpf_error]
    assert not errors, f"{len(errors)} programs: " + "\n".join(errors[:30])


def test_verdict_agreement(corpus):
    _srcs, _failed, results, fig = corpus
    bad = [r.describe() for r in results if not r.verdict_agrees]
    assert fig.verdict >= C.TARGETS["verdict"], "\n".join(bad[:30])


def test_same_instruction_and_message(corpus):
    _srcs, _failed, results, fig = corpus
    bad = [r.describe() for r in results if r.kernel_accepted is False and not r.same_insn_message]
    assert fig.insn_message >= C.TARGETS["insn_message"], "\n".join(bad[:30])


def test_processed_within_ten_percent(corpus):
    _srcs, _failed, results, fig = corpus
    bad = [r.describe() for r in results if r.kernel_accepted and not r.processed_close]
    assert fig.processed >= C.TARGETS["processed"], "\n".join(bad[:30])


def test_figures_do_not_regress(corpus):
    _srcs, _failed, _results, fig = corpus
    got = {"verdict": fig.verdict, "insn_message": fig.insn_message, "processed": fig.processed,
           "no_error": fig.no_error}
    low = {k: f"{got[k]:.1%} < floor {v:.0%}" for k, v in FLOORS.items() if got[k] < v}
    assert not low, low
