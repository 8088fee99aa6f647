"""pybpf's verifier against the suite: same verdict as the kernel on every case, and the
same instruction and message lines on at least 95% of the rejections.

The headers of ``tests/verifier/suite/*.s`` hold the live kernel's verdicts
(checked by ``test_suite_kernel.py``), so this test needs no kernel.
"""
from __future__ import annotations

import pytest

from .suite_format import Agreement, compare, load_suite

CASES = load_suite()
#: per case, the most CPU seconds pybpf may take (a hang is a failure, not a stuck CI job)
CASE_SECONDS = 5
#: the share of rejections whose instruction and message lines must match the kernel's
MESSAGE_TARGET = 0.95

_RESULTS: dict[str, Agreement] = {}


def _agreement(case) -> Agreement:
    got = _RESULTS.get(case.name)
    if got is None:
        got = compare(case, CASE_SECONDS)
        _RESULTS[case.name] = got
    return got


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict_agrees_with_kernel(case) -> None:
    got = _agreement(case)
    assert got.error is None, got.describe()
    assert got.verdict, got.describe()


def test_insn_and_message_agree_on_rejections() -> None:
    rejects = [c for c in CASES if not c.accepted]
    results = [_agreement(c) for c in rejects]
    bad = [r for r in results if not r.exact]
    share = 1 - len(bad) / len(results)
    detail = "\n".join(r.describe() for r in bad)
    print(f"insn+message agreement: {len(results) - len(bad)}/{len(results)} = {share:.1%}\n{detail}")
    assert share >= MESSAGE_TARGET, (f"{len(bad)} of {len(results)} rejections disagree on insn or message "
                                     f"({share:.1%} < {MESSAGE_TARGET:.0%}):\n{detail}")
