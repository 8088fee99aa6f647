"""pybpf's prediction for each kernel of the fleet, against the verdicts those kernels gave.

``tests/verifier/kernels/NAME.json`` holds what 6.1, 6.12 and 6.18 said about every program
of the assembly suite and of the kernel-difference cases (``tests/verifier/kernels/cases``),
recorded by the vmtest harness (``tests/vmtest`` checks, booting them, that they still say
it). Here, without a kernel: pybpf under each shipped profile gives the same verdict on >= 99%
of them and the same instruction and message lines on >= 95% of the rejections, and at least
30 programs get different verdicts from different kernels, each predicted right.
"""
from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pybpf.asm import assemble  # noqa: E402
from pybpf.errors import KernelProfileError  # noqa: E402
from pybpf.verifier import verify  # noqa: E402
from pybpf.verifier.kernel_profile import profile, shipped_kernels  # noqa: E402
from tools.vmtest import corpus  # noqa: E402

KERNELS = ["6.1", "6.12", "6.18"]


@cache
def _programs() -> dict[str, corpus.CorpusProgram]:
    return {p.key: p for p in corpus.all_programs()}


@cache
def _comparisons(kernel: str) -> list[corpus.Comparison]:
    recorded = corpus.recorded(kernel)
    progs = [p for k, p in _programs().items() if k in recorded]
    # the guests' profiles with their own BTF in the cache (a fresh machine copies it out of
    # the guest first), never silently the running kernel's BTF in its place
    from tools.vmtest import vm

    prof = corpus.judged_profile(kernel) if kernel in vm.KERNELS else profile(kernel)
    return corpus.compare(progs, recorded, prof)


def test_profiles_ship_for_the_fleet() -> None:
    assert shipped_kernels() == KERNELS
    for k in KERNELS:
        p = profile(k)
        assert p.version[:2] == tuple(int(x) for x in k.split("."))
        assert len(p.probed_prog_types) >= 25 and len(p.available_in) >= 150
    with pytest.raises(KernelProfileError, match="no kernel profile '5.4'"):
        profile("5.4")


@pytest.mark.parametrize("kernel", KERNELS)
def test_every_program_is_recorded(kernel: str) -> None:
    missing = sorted(set(_programs()) - set(corpus.recorded(kernel)))
    assert not missing, f"{kernel}: no recorded verdict for {missing[:10]} (run make vmtest with " \
                        "PYBPF_VMTEST_RECORD=1)"


@pytest.mark.parametrize("kernel", KERNELS)
def test_prediction_agrees_with_the_kernel(kernel: str) -> None:
    comps = _comparisons(kernel)
    s = corpus.Summary(kernel, profile(kernel).release, 0.0, comps)
    print(s.line())
    for c in comps:
        if not c.message_agrees:
            print(f"  {c.program.key}: kernel {c.kernel.short()} | pybpf {c.pybpf.short()}")
    assert s.verdicts_agreeing >= 0.99 * s.programs, s.line()
    assert s.messages_agreeing >= 0.95 * len(s.rejections), s.line()


def test_thirty_programs_differ_between_kernels_and_are_predicted() -> None:
    by_kernel = {k: corpus.recorded(k) for k in KERNELS}
    differing = [key for key in _programs()
                 if len({by_kernel[k][key].accepted for k in KERNELS if key in by_kernel[k]}) > 1]
    wrong = [f"{key} on {k}" for key in differing for k in KERNELS
             for c in _comparisons(k) if c.program.key == key and not c.verdict_agrees]
    print(f"{len(differing)} programs differ between kernels; mispredicted: {wrong}")
    assert len(differing) >= 30
    assert not wrong


def test_older_kernels_refuse_newer_instructions_in_their_words() -> None:
    prog = assemble("r0 = 7\nr0 s/= 2\nexit")
    assert verify(prog, "socket_filter", kernel=profile("6.18")).accepted
    r = verify(prog, "socket_filter", kernel=profile("6.1"))
    assert (r.accepted, r.insn, r.message) == (False, 1, "BPF_ALU uses reserved fields")
    helper = assemble("call bpf_get_current_pid_tgid\nr0 = 0\nexit")
    assert verify(helper, "socket_filter", kernel=profile("6.12")).accepted
    assert verify(helper, "socket_filter", kernel=profile("6.1")).message == \
        "unknown func bpf_get_current_pid_tgid#14"
