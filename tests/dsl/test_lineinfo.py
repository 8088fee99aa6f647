"""The Python line of each instruction reaches the kernel as BTF line info."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pybpf.dsl import Session, load_module, module_probes
from pybpf.dsl.lineinfo import LINE_INFO_REC, line_info_blobs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.tracefs
def test_line_records_start_at_zero_and_follow_line_changes():
    mod = load_module(str(EXAMPLES / "opensnoop.py"))
    prog = next(p for p in module_probes(mod) if p.name == "openat_exit").compile()
    _, func_info, line_info = line_info_blobs(prog)
    recs = [line_info[i:i + LINE_INFO_REC] for i in range(0, len(line_info), LINE_INFO_REC)]
    offs = [int.from_bytes(r[:4], "little") for r in recs]
    lines = [int.from_bytes(r[12:16], "little") >> 10 for r in recs]
    assert offs[0] == 0 and offs == sorted(set(offs))
    assert len(set(lines)) == len({ln.line for ln in prog.lines.values()})
    assert len(func_info) == 8


@pytest.mark.kernel
def test_bpftool_shows_the_python_lines_of_a_loaded_probe():
    if shutil.which("bpftool") is None:
        pytest.fail("bpftool is an installed oracle on this machine")
    mod = load_module(str(EXAMPLES / "opensnoop.py"))
    probes = module_probes(mod)
    with Session(probes, attach=False) as s:
        prog = s.progs[[p.name for p in probes].index("openat_exit")]
        out = subprocess.run(["bpftool", "prog", "dump", "xlated", "id", str(prog.id)],
                             capture_output=True, text=True, check=True).stdout
    assert "; e.lat_ns = ktime_ns() - s.ts" in out
    assert "; del start[t]" in out


@pytest.mark.kernel
def test_kernel_rejection_points_at_the_python_line():
    from pybpf.dsl import Probe
    from pybpf.errors import DslError

    from . import wrong_probes as W

    # pybpf's own check is skipped: the kernel's verifier rejects, at the same Python line
    p = Probe(W.xdp_stack_id, "xdp", options={"precheck": False})
    with pytest.raises(DslError) as info:
        Session([p], attach=False)
    err = info.value
    assert "the kernel rejects probe xdp_stack_id" in err.message
    assert "bpf_get_stackid" in err.message or "unknown func" in err.message
    assert err.source and "stacks.get_stackid(ctx)" in err.source
    assert err.__cause__ is not None and err.__cause__.log
