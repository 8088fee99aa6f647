"""A kernel's features as its own probes measure them, and the verifier consulting them.

- `build_profile` keeps what the probes measured on the kernel it profiles: a shipped profile
  of the same name never overrides it (a user's own node is judged by its own answers), and a
  feature its probes did not answer is listed as unknown, judged as the newest kernels are.
- The features measured from a probe's log (``FEATURE_PROBES_LOG``: the ring buffer dynptr's
  id) read the kernel's line, and no line leaves the feature unknown.
- ``movsx_subreg_range`` (a 64-bit (s8)/(s16) move keeping its subregister's range): pybpf
  predicts its probe on a kernel with it and on one without it, and the live kernel answers
  its probe as the running kernel's measured profile says.
"""
from __future__ import annotations

import dataclasses

import pytest

from pybpf.asm import assemble
from pybpf.verifier import verify
from pybpf.verifier.kernel_profile import KernelProfile, profile
from pybpf.verifier.profile_probes import (
    FEATURE_EVIDENCE,
    FEATURE_PROBES,
    FEATURE_PROBES_BTF,
    FEATURE_PROBES_GLOBAL,
    FEATURE_PROBES_LOG,
    Outcome,
    all_probes,
    build_profile,
)


def _judge(prof: KernelProfile, feature: str) -> bool:
    ptype, asm = FEATURE_PROBES[feature]
    return verify(assemble(asm), ptype, kernel=prof).accepted


def test_a_fresh_measurement_is_kept_over_the_shipped_profile() -> None:
    # "6.18" ships global_funcs_lazy and dynptr_ids as True: a node of that name whose probes
    # answer otherwise is judged by its answers
    outcomes = {"feature:global_funcs_lazy": Outcome(False, 13, "0: R1=ctx() R10=fp0\nR2 !read_ok"),
                "feature:dynptr_ids": Outcome(False, 22, "Unreleased reference id=1 alloc_insn=6\n"),
                "feature:movsx_subreg_range": Outcome(False, 13, "R0 min value is negative")}
    assert profile("6.18").features["global_funcs_lazy"] is True
    prof = build_profile("6.18", "6.18.0-test", outcomes)
    assert prof.features["global_funcs_lazy"] is False
    assert prof.features["dynptr_ids"] is False
    assert prof.features["movsx_subreg_range"] is False
    # every other feature went unanswered: unknown, judged as the newest kernels are
    everything = {*FEATURE_PROBES, *FEATURE_PROBES_BTF, *FEATURE_PROBES_GLOBAL, *FEATURE_PROBES_LOG, *FEATURE_EVIDENCE}
    assert "alu_safe_range" in prof.unknown_features
    assert prof.unknown_features == everything - set(prof.features)
    assert prof.has_feature("alu_safe_range") is True
    back = KernelProfile.from_json(prof.to_json())
    assert back.unknown_features == prof.unknown_features and back.features == prof.features


def test_every_evidence_feature_has_a_probe() -> None:
    """No feature is left to be carried over from a shipped profile: each has a probe."""
    probed = {p.key.removeprefix("feature:") for p in all_probes() if p.key.startswith("feature:")}
    assert set(FEATURE_EVIDENCE) <= probed


@pytest.mark.parametrize(("log", "value"), [
    ("Unreleased reference id=2 alloc_insn=6\nBPF_EXIT instruction in main prog would lead to reference leak\n", True),
    ("Unreleased reference id=1 alloc_insn=6\n", False),
    ("unknown func bpf_ringbuf_reserve_dynptr#198\n", None),
])
def test_a_feature_read_from_the_probes_log(log: str, value: bool | None) -> None:
    prof = build_profile("test", "", {"feature:dynptr_ids": Outcome(False, 22, log)})
    assert prof.features.get("dynptr_ids") is value
    assert ("dynptr_ids" in prof.unknown_features) == (value is None)


def test_movsx_subreg_range_is_consulted() -> None:
    base = profile("6.18")
    on = dataclasses.replace(base, features={**base.features, "movsx_subreg_range": True})
    off = dataclasses.replace(base, features={**base.features, "movsx_subreg_range": False})
    assert _judge(on, "movsx_subreg_range") is True
    assert _judge(off, "movsx_subreg_range") is False
    report = verify(assemble(FEATURE_PROBES["movsx_subreg_range"][1]), "socket_filter", kernel=off)
    assert "min value is negative" in (report.message or ""), report.message


@pytest.mark.kernel
@pytest.mark.parametrize("feature", ["movsx_subreg_range", "global_funcs_lazy", "dynptr_ids"])
def test_the_live_kernel_answers_its_probe_as_measured(feature: str) -> None:
    from pybpf.kernel.features import _run_probe, running_kernel_profile

    measured = running_kernel_profile()
    probe = next(p for p in all_probes() if p.key == f"feature:{feature}")
    o = _run_probe(probe)
    assert feature in measured.features, f"the running kernel's profile does not say whether it has {feature}"
    if feature in FEATURE_PROBES_LOG:
        assert not o.loaded
        assert ("Unreleased reference id=2 " in o.log) == measured.features[feature], o.log
    else:
        assert o.loaded == measured.features[feature], o.log
    if feature in FEATURE_PROBES:
        assert _judge(measured, feature) == o.loaded


def test_the_fleet_says_what_was_not_measured() -> None:
    """A rejection on a kernel whose probes did not answer a feature the program uses says the
    feature was not measured there, and a measured one says what the kernel does."""
    from pybpf.verifier.fleet import lacks

    program = assemble(FEATURE_PROBES["movsx_subreg_range"][1])
    base = profile("6.12")
    node = dataclasses.replace(base, name="node-a", features={
        k: v for k, v in base.features.items() if k != "movsx_subreg_range"},
        unknown_features=frozenset({"movsx_subreg_range"}))
    lines = lacks(program, "socket_filter", "node-a", node, [("6.18", profile("6.18"))], ["6.18"])
    assert any(ln.startswith("node-a: not measured whether it keeps a 64-bit (s8)/(s16) move's range")
               for ln in lines), lines
    lines = lacks(program, "socket_filter", "6.12", base, [("6.18", profile("6.18"))], ["6.18"])
    assert any("6.12 gives a 64-bit (s8)/(s16) move" in ln and "6.18: keeps" in ln for ln in lines), lines
