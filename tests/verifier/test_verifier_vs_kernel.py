"""Differential campaign in CI: pybpf's verdict against the kernel's on generated programs.

A short, deterministic version of fuzz/verifier_vs_kernel.py (300 programs): the
verdicts must agree on at least 95% of them; disagreements are printed by class.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fuzz.verifier_vs_kernel import cases, run, shrink, summary  # noqa: E402

EXAMPLES = 300


@pytest.mark.kernel
def test_verdicts_agree_with_kernel():
    st = run(EXAMPLES, seed=0)
    report = summary(st)
    for key, o in st.examples.items():  # the smallest program of each class
        report += (f"\n\n{key}\n  kernel: {o.kernel_message or 'accepts'}\n"
                   f"  pybpf: {o.pybpf_message or 'accepts'}\n{o.case.prog_type}:\n{o.case.text}")
    print(report)
    assert st.total == EXAMPLES
    accepted, agreement = st.kernel_accepted / st.total, st.agreement
    assert 0.3 <= accepted <= 0.7, f"the generator is unbalanced:\n{report}"
    assert agreement >= 0.95, f"verdict agreement {agreement:.2%} < 95%:\n{report}"


def test_generator_is_deterministic_and_varied():
    a = [c.text for c in cases(40, seed=3)]
    b = [c.text for c in cases(40, seed=3)]
    assert a == b
    tags = {t.split(":")[0] for c in cases(200, seed=3) for t in c.tags}
    assert {"map", "stack", "packet", "loop", "call", "helper", "ctx", "ptr_alu", "spill",
            "ld_abs", "tail_call", "ptr_arith"} <= tags, tags


def test_shrink_keeps_the_property():
    text = "".join(f"r{i % 10} = {i}\n" for i in range(30))
    out = shrink(text, lambda t: "r3 = 13" in t and "r7 = 27" in t)
    assert out == "r3 = 13\nr7 = 27\n"
