"""What fuzz/c_vs_kernel.py found, kept as regression programs and judged by the live kernel.

Each file of ``fuzz/findings/c_vs_kernel`` named in `REGRESSIONS` is compiled as the
campaign compiled it (clang-19 -O2 -g, the ``-mcpu`` its header names) and every program
of it is loaded into the running kernel and verified by pybpf (`c_corpus.run_path`): the
verdict, the instruction and the message must be the kernel's. The kernel's answer is read
at test time; the header's ``kernel:`` line only says what it was when the file was filed.

The class kept here: loops that push a pending branch on every iteration until the kernel's
limit of 8,192 (``The sequence of 8193 jumps is too complex.``), where the fast-forward of
periodic loops (`pybpf.verifier.fastforward`) once jumped a loop past its exit and ended on
the instruction limit instead; and one (seed 1's ``f1551``) that pybpf walks to the kernel's
answer in 4-5 s of CPU (540,986 instructions, the kernel's 0.74 s), which the campaign's
former limit of 5 s cut into a "timeout": it must keep its answer within the corpus's limit;
and seed 2's ``f737``, a jumped loop then a rejection that is not a limit, which pybpf
verifies again step by step (11.5-12.3 s of CPU, the kernel's 0.82 s).
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from . import c_corpus as C

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

FINDINGS = Path(__file__).resolve().parents[2] / "fuzz" / "findings" / "c_vs_kernel"
#: the files checked (the others record disagreements of earlier campaigns, see
#: docs/verifier-differences.md)
REGRESSIONS = sorted([p.name for p in FINDINGS.glob("*jumps_is_too_complex*.bpf.c")]
                     + ["error_timeout_after_n_s_of_cpu_time_loop_then_unbounded_stack_read_b1e2a0.bpf.c"])


def _cpu(path: Path) -> str:
    m = re.search(r"-mcpu=(v\d)", path.read_text())
    return m.group(1) if m else "v3"


@pytest.mark.parametrize("name", REGRESSIONS)
def test_c_finding_agrees_with_the_kernel(name, tmp_path):
    src = FINDINGS / name
    cpu = _cpu(src)
    builder = C.Builder()
    obj = tmp_path / (src.stem + ".o")
    cmd = [C.CLANG, *builder.flags(cpu), "-include-pch", str(builder.pch(cpu)), "-c", str(src),
           "-o", str(obj)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    results = C.run_path(obj, {"source": name, "family": "fuzz", "cpu": cpu}, fresh_kernel=True)
    assert results
    for r in results:
        assert r.pybpf_error is None, r.describe()
        assert r.verdict_agrees, r.describe()
        if r.kernel_accepted is False:
            assert r.same_insn_message, r.describe()
