"""The verifier suite against the live kernel: each header documents the kernel's truth.

Every ``tests/verifier/suite/*.s`` file is loaded into the running kernel (root,
log_level 1). The verdict, the instruction index and the message lines the
kernel prints must equal the file's header, so a kernel whose verifier words or
decides things differently shows up here as a precise diff.
"""
from __future__ import annotations

import pytest

from pybpf.verifier.report import EXPLAIN

from .suite_format import SUITE_DIR, kernel_error, load_suite, parse_case

CASES = load_suite()


def test_suite_shape() -> None:
    """At least 300 cases, about half rejections, over at least 25 error classes."""
    rejects = [c for c in CASES if not c.accepted]
    classes = {c.error_class for c in rejects}
    assert len(CASES) >= 300
    assert 0.4 <= len(rejects) / len(CASES) <= 0.6
    assert len(classes) >= 25, sorted(classes)
    unknown = sorted(str(c) for c in classes - set(EXPLAIN))
    assert not unknown, f"classes that are not keys of EXPLAIN: {unknown}"
    for case in CASES:
        assert case.about, case.name
        assert case.path.name == f"{case.name}.s"


def test_format_rejects_bad_headers(tmp_path) -> None:
    """A rejection without message lines, or an unknown header key, is a format error."""
    from .suite_format import SuiteFormatError

    with pytest.raises(SuiteFormatError, match="needs at least one"):
        parse_case(tmp_path / "x.s", "# type: xdp\n# expect: reject\n# class: ctx_access\n"
                                     "# insn: 0\n# about: a\nexit\n")
    with pytest.raises(SuiteFormatError, match="unknown header key"):
        parse_case(tmp_path / "x.s", "# type: xdp\n# expect: accept\n# colour: red\n# about: a\nexit\n")
    assert SUITE_DIR.is_dir()


def test_kernel_error_extraction() -> None:
    """Error lines come after the last instruction line, without register-state lines."""
    log = ("0: R1=ctx() R10=fp0\n0: (b7) r0 = 0                      ; R0=0\n"
           "1: (bf) r2 = r10\n2: (07) r2 += 8\n3: (7a) *(u64 *)(r2 +0) = 0\n"
           "invalid write to stack R2 off=8 size=8\n"
           "processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0\n")
    assert kernel_error(log) == (3, ["invalid write to stack R2 off=8 size=8"])
    assert kernel_error("unreachable insn 5\nprocessed 0 insns (limit 1000000)\n") == (5, ["unreachable insn 5"])
    glued = "1: (85) call bpf_tail_call#12\nexpected prog array map for tail callprocessed 3 insns (limit 1)"
    assert kernel_error(glued) == (1, ["expected prog array map for tail call"])


@pytest.mark.kernel
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_kernel_agrees_with_header(case) -> None:
    from .suite_format import kernel_outcome

    out = kernel_outcome(case)
    got = "accept" if out.accepted else "reject"
    assert got == case.expect, f"{case.name}: kernel says {got}\n{out.log[-2000:]}"
    if not case.accepted:
        assert (out.insn, out.messages) == (case.insn, case.messages), out.log[-2000:]
