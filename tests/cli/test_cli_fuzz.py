"""The short, derandomized run of fuzz/cli_fuzz.py that `make test` does: every input parser
of the command line, through `pybpf.cli.main`, with a fixed seed; no uncaught exception, no
hang, no leaked file descriptor. Campaigns with fresh seeds: docs/fuzzing.md."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parents[2] / "fuzz" / "cli_fuzz.py"


def _harness():
    spec = importlib.util.spec_from_file_location("cli_fuzz", FUZZ)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cli_fuzz"] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def test_every_cli_parser_survives_a_fixed_fuzz_run():
    fuzz = _harness()
    stats = fuzz.run(examples=12, seed=13, subprocess_every=0, timeout=30)
    assert stats.tried.pop("_seed") == 13
    assert set(stats.tried) == {"asm-llvm", "asm-gas", "hex", "raw", "elf", "btf", "dsl",
                                "map-line", "mem"}
    assert all(n == 12 for n in stats.tried.values())
    assert [(f.target, f.kind, f.argv, f.detail) for f in stats.findings] == []


def test_the_harness_sees_what_it_looks_for(tmp_path, monkeypatch):
    """A finding of each kind is reported (the harness cannot pass by seeing nothing)."""
    import os

    import pybpf.cli

    fuzz = _harness()
    calls = iter(["boom", "leak", "hang"])

    def bad_main(argv):
        what = next(calls, "ok")
        if what == "boom":
            raise KeyError("not a PybpfError")
        if what == "leak":
            os.open(os.devnull, os.O_RDONLY)
        if what == "hang":
            import time

            time.sleep(5)
        return 0

    monkeypatch.setattr(fuzz, "main", bad_main)
    kinds = [fuzz.call_in_process(["x"], timeout=1) for _ in range(4)]
    assert [k[0] if k else None for k in kinds] == ["exception", "fd-leak", "hang", None]
    assert pybpf.cli.main is not bad_main


# -- what campaigns found (docs/fuzzing.md), kept as regressions ---------------------------------

DATA = Path(__file__).resolve().parent / "data" / "fuzz"


def test_btf_names_that_are_not_utf8_are_dumped_as_their_bytes(tmp_path, bpf_compile):
    """Found by a campaign: `pybpf btf dump` of BTF whose strings are not UTF-8 raised
    UnicodeEncodeError writing them; they are written back byte for byte."""
    import subprocess

    from pybpf.elf.reader import ElfReader

    reader = ElfReader(bpf_compile("cli_inputs").read_bytes(), "cli_inputs.o")
    btf = bytearray(reader.data(reader.section(".BTF")))
    hdr_len = int.from_bytes(btf[4:8], "little")
    str_off = int.from_bytes(btf[16:20], "little")
    name = btf.index(b"xdp_md\0", hdr_len + str_off)  # a struct's name in the string section
    btf[name + 1] = 0xFF
    f = tmp_path / "names.btf"
    f.write_bytes(bytes(btf))
    for fmt in ("raw", "c", "json"):
        res = subprocess.run([sys.executable, "-m", "pybpf", "btf", "dump", "--format", fmt, str(f)],
                             capture_output=True, timeout=60)
        assert res.returncode == 0 and b"Traceback" not in res.stderr, res.stderr
        assert (b"x\\udcffp_md" if fmt == "json" else b"x\xffp_md") in res.stdout, fmt


def test_a_loop_that_runs_to_the_limit_is_no_hang_under_the_harness_budget():
    """Found by a campaign: `pybpf verify` of a loop that only ends at the 1M-instruction limit
    runs for over a minute (the kernel: 5 s, same verdict); under the harness's verifier budget
    it ends with the same message, in seconds."""
    fuzz = _harness()
    from pybpf.verifier import explore

    saved = explore.MAX_PROCESSED
    explore.MAX_PROCESSED = fuzz.VERIFIER_BUDGET
    try:
        assert fuzz.call_in_process(["verify", str(DATA / "loop_to_the_limit.s"), "--type", "xdp"],
                                    timeout=30) is None
    finally:
        explore.MAX_PROCESSED = saved
