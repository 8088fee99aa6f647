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

Three verifier behaviours, measured by the profile's probes, are shown by C corpus programs
too (``profile_probes.FEATURE_EVIDENCE``: 6.1 verifies every global function before the
program, ignores the ``arg:`` tags of their arguments and gives a ring buffer dynptr its
reference's id): each kernel's measured value of the feature predicts its answers, and the
other value mispredicts at least one.
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
from pybpf.verifier.profile_probes import FEATURE_EVIDENCE, REWORDINGS, RewordingCandidate  # noqa: E402
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

    keys = {k for c in EVIDENCED for k in c.evidence} | {k for ks in FEATURE_EVIDENCE.values() for k in ks}
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


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("feature", sorted(FEATURE_EVIDENCE))
def test_feature_is_what_the_kernel_does(kernel: str, feature: str) -> None:
    b = _boot(kernel)
    prof = profile(b.name)
    assert feature in prof.features, f"{b.name}'s profile does not say whether it has {feature}"
    flipped = dataclasses.replace(prof, features={**prof.features, feature: not prof.features[feature]})
    mispredicted = []
    for key in FEATURE_EVIDENCE[feature]:
        theirs = b.verdicts.get(key)
        assert theirs is not None, f"{b.name} gave no verdict for {key}: {b.skipped.get(key, '')}"
        ours, err = corpus.predict(_programs()[key], prof)
        assert err is None, err
        assert ours == theirs, f"{b.name}: {key}: kernel {theirs.short()} | pybpf {ours.short()}"
        other, _ = corpus.predict(_programs()[key], flipped)
        if other != theirs:
            mispredicted.append(key)
    assert mispredicted, f"{b.name}: {feature}={not prof.features[feature]} predicts its evidence as well"


#: programs whose first failing check differs between the kernels because a number keeps its
#: bounds on one and not on another (features byte_swap_bounds, neg_bounds, alu_safe_range)
ORDERING_CASES = {
    "byte_swap_then_fp_math": "r2 = 0\nr2 = be16 r2\nr1 = r10\nr1 += -8\nr1 += r2\n"
                              "*(u64 *)(r1 + 0) = 0\nr0 = 0\nexit",
    "neg_then_fp_math": "r2 = 0\nr2 = -r2\nr1 = r10\nr1 += -8\nr1 += r2\n*(u64 *)(r1 + 0) = 0\nr0 = 0\nexit",
    # 6.1 zero-extends a 32-bit modulo it cannot bound: fp + it passes, the read does not
    "mod32_then_fp_read": "call bpf_get_prandom_u32\nw0 %= 5\nr1 = r10\nr1 += -8\nr1 += r0\n"
                          "r0 = *(u8 *)(r1 + 0)\nexit",
    # 6.1 leaves a 32-bit or of two unknown numbers unknown in all 64 bits
    "or32_unknown_then_fp_math": "call bpf_get_prandom_u32\nw6 = w0\ncall bpf_get_prandom_u32\n"
                                 "w0 |= w6\nr1 = r10\nr1 += r0\nr0 = 0\nexit",
}


@pytest.mark.parametrize("kernel", KERNELS)
def test_which_check_fires_first(kernel: str) -> None:
    from pybpf.asm import assemble
    from pybpf.verifier import verify

    progs = [corpus.CorpusProgram(name, "ordering", assemble(asm), "socket_filter")
             for name, asm in ORDERING_CASES.items()]
    try:
        b = corpus.boot(kernel, progs)
    except vm.VmtestSkip as e:
        pytest.skip(f"QEMU cannot be used here: {e}")
    prof = profile(b.name)
    wrong = []
    for p in progs:
        rep = verify(p.spec, p.prog_type, kernel=prof)
        ours = corpus.Verdict(True) if rep.accepted else corpus.Verdict(False, rep.insn, (rep.message or "").split("\n"))
        if ours != b.verdicts[p.key]:
            wrong.append(f"{p.key}: kernel {b.verdicts[p.key].short()} | pybpf {ours.short()}")
    assert not wrong, f"{b.name}:\n" + "\n".join(wrong)
