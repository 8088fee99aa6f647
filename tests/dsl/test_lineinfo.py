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


def _builder_blob(prog) -> bytes:
    """The BTF of `line_info_blobs` as `pybpf.btf.writer.BtfBuilder` writes it."""
    from pybpf.btf.format import IntEncoding, Linkage
    from pybpf.btf.writer import BtfBuilder

    b = BtfBuilder()
    int_t = b.add_int("int", 4, IntEncoding.SIGNED)
    void_ptr = b.add_ptr(0)
    proto = b.add_func_proto(int_t, [("ctx", void_ptr)])
    b.add_func(prog.name or "probe", proto, Linkage.GLOBAL)
    for label in sorted(prog.labels, key=prog.labels.__getitem__):
        if label.startswith("fn:"):
            sub = b.add_func_proto(int_t, [("a", void_ptr), ("b", void_ptr)])
            b.add_func(label[3:], sub, Linkage.STATIC)
    for idx in range(len(prog.insns)):
        src = prog.lines.get(idx)
        if src is not None:
            b.add_string(src.filename or "?"), b.add_string(src.text or "")
    return b.encode()


def test_blob_is_what_the_btf_writer_writes():
    """lineinfo writes its four kinds itself (no writer import): the same bytes, subprograms
    and a non-ASCII source line included, and the blob parses back."""
    from pybpf.btf import Btf
    from pybpf.isa import Insn
    from pybpf.isa.program import ProgramSpec, SourceLine

    ret = [Insn(0xb7, 0, 0, 0, 0), Insn(0x95)]
    prog = ProgramSpec(ret + ret, name="p")
    prog.labels = {"fn:helper": 2}
    prog.lines = {0: SourceLine("probe.py", 3, 5, "return 0"),
                  2: SourceLine("probe.py", 9, 1, "x = 'é'  # ünïcode"),
                  3: SourceLine("probe.py", 9, 1, "x = 'é'  # ünïcode")}
    blob, func_info, _ = line_info_blobs(prog)
    assert blob == _builder_blob(prog)
    btf = Btf(blob)
    assert btf[btf.find("helper")].name == "helper" and len(func_info) == 16
