"""The C differential fuzzer in CI: a short derandomized run of fuzz/c_vs_kernel.py.

100 generated C programs (seed 0, so the same programs on every run), compiled with
clang-19 and compared with the live kernel's verdicts. The figures go to the run's
summary. Issue 15's target for the fuzzer (verdict agreement >= 99%) is live, and so is
a floor under the figure that the first test holds.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fuzz.c_vs_kernel import Campaign, Stats  # noqa: E402

from .conftest import SUMMARY  # noqa: E402

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

EXAMPLES = 100
#: live floor under the verdict agreement (raise it as the model improves)
FLOOR = 0.95


@pytest.fixture(scope="module")
def campaign() -> Stats:
    camp = Campaign(seed=0, batch=25, out=None)
    try:
        st = camp.run(EXAMPLES, None)
    finally:
        camp.close()
    lines = st.lines() + [f"  {n} x {cls}" for cls, n in st.classes.most_common()]
    SUMMARY.extend([f"fuzz/c_vs_kernel.py --examples {EXAMPLES} --seed 0:",
                    *("  " + ln for ln in lines)])
    return st


def _report(st: Stats) -> str:
    return "\n".join(st.lines() + [f"  {n} x {cls}" for cls, n in st.classes.most_common()])


def test_generated_c_compiles_and_runs(campaign):
    st = campaign
    assert st.compile_errors == 0, _report(st)
    assert st.total == EXAMPLES, _report(st)
    # both verdicts in quantity, or the generator measures nothing
    assert 0.25 <= st.kernel_accepted / st.total <= 0.85, _report(st)
    assert st.verdict >= FLOOR, _report(st)


def test_generated_c_verdicts_reach_the_target(campaign):
    assert campaign.verdict >= 0.99, _report(campaign)
