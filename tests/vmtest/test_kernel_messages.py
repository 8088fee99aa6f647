"""Each kernel's wording of the verifier's messages, checked against the kernels themselves.

A profile's rewordings (`pybpf.verifier.kernel_profile.Rewording`) say how an older kernel
words a message that 6.18 words otherwise. Most are measured by assembly probes
(``pybpf.verifier.profile_probes.REWORDINGS``), which ``tests/vmtest/test_fleet.py`` loads into
every kernel with the rest of the profile. The others need what an assembly probe cannot give
(a map with a spin lock or a timer in its BTF, a global function's BTF, an RCU kfunc): their
evidence is C corpus programs (``tests/verifier/c``). This file loads those programs into 6.1
and 6.12 (QEMU guests) and the running 6.18, and holds, for every kernel, that

- pybpf, judging under that kernel's profile, names the kernel's instruction and prints its
  message lines exactly;
- the profile holds the rewording exactly where it is needed: without it, pybpf's message
  would differ from the kernel's, and a kernel printing 6.18's wording does not hold it.
"""
from __future__ import annotations

import dataclasses
import functools
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pybpf.verifier.kernel_profile import KernelProfile, profile  # noqa: E402
from pybpf.verifier.profile_probes import REWORDINGS, RewordingCandidate  # noqa: E402
from tools.vmtest import corpus, vm  # noqa: E402

pytestmark = [pytest.mark.kernel, pytest.mark.vmtest, pytest.mark.clang]

KERNELS = ["6.1", "6.12", vm.NATIVE]
EVIDENCED = [c for c in REWORDINGS if c.evidence]


@functools.cache
def _programs() -> dict[str, corpus.CorpusProgram]:
    """The evidence programs, compiled for -mcpu=v3 as the fleet's C corpus is."""
    import shutil

    if shutil.which("clang-19") is None:
        pytest.skip("no clang-19 to build the C corpus's evidence programs")
    from tests.verifier import c_corpus

    keys = {k for c in EVIDENCED for k in c.evidence}
    wanted = {k.split(":")[0] for k in keys}
    sources = [s for s in c_corpus.sources() if s.rel.removesuffix(".bpf.c") in wanted]
    built = c_corpus.Builder().build(sources, ["v3"])
    labels = {p: rel.removesuffix(".bpf.c") for (rel, _cpu), p in built.items() if isinstance(p, Path)}
    progs = corpus.object_programs(list(labels), "c", compiled=True, labels=labels)
    found = {p.key: p for p in progs if p.key in keys}
    assert set(found) == keys, f"evidence programs missing from the C corpus: {sorted(keys - set(found))}"
    return found


_BOOTS: dict[str, corpus.Boot] = {}


def _boot(kernel: str) -> corpus.Boot:
    if kernel not in _BOOTS:
        try:
            _BOOTS[kernel] = corpus.boot(kernel, list(_programs().values()))
        except vm.VmtestSkip as e:
            pytest.skip(f"QEMU cannot be used here: {e}")
    return _BOOTS[kernel]


def _without(prof: KernelProfile, c: RewordingCandidate) -> KernelProfile:
    return dataclasses.replace(prof, rewordings=tuple(r for r in prof.rewordings if r != c.rewording))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("candidate", EVIDENCED, ids=lambda c: c.name)
def test_rewording_is_what_the_kernel_prints(kernel: str, candidate: RewordingCandidate) -> None:
    b = _boot(kernel)
    prof = profile(b.name)
    has = candidate.rewording in prof.rewordings
    shown = [key for key in candidate.evidence if key not in b.skipped]
    # a program the kernel never verifies (an extern kfunc its BTF lacks) shows no wording:
    # a kernel that verifies none of the evidence cannot have the rewording measured
    assert shown or not has, f"{b.name} holds {candidate.name} but verifies none of its evidence"
    for key in shown:
        theirs = b.verdicts.get(key)
        assert theirs is not None, f"{b.name} gave no verdict for {key}"
        assert not theirs.accepted, f"{b.name} accepts {key}: it shows no message"
        ours, err = corpus.predict(_programs()[key], prof)
        assert err is None, err
        assert (ours.insn, ours.messages) == (theirs.insn, theirs.messages), \
            f"{b.name}: {key}: kernel {theirs.short()} | pybpf {ours.short()}"
        plain, _ = corpus.predict(_programs()[key], _without(prof, candidate))
        assert (plain.messages != theirs.messages) == has, (
            f"{b.name}: {key}: the profile {'holds' if has else 'lacks'} {candidate.name}, but without it "
            f"pybpf prints {plain.short()} and the kernel {theirs.short()}")
