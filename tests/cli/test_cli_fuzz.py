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
    calls = iter(["boom", "leak", "spin", "wait"])

    def bad_main(argv):
        what = next(calls, "ok")
        if what == "boom":
            raise KeyError("not a PybpfError")
        if what == "leak":
            os.open(os.devnull, os.O_RDONLY)
        if what == "spin":  # a second of CPU
            while True:
                pass
        if what == "wait":  # no CPU, but past the wall clock's limit
            import time

            time.sleep(5)
        return 0

    monkeypatch.setattr(fuzz, "main", bad_main)
    # the CPU second of "spin" may take many seconds of wall clock on a loaded machine
    found = [fuzz.call_in_process(["x"], timeout=1, wall=2 if i == 3 else 120) for i in range(5)]
    assert [f[0] if f else None for f in found] == ["exception", "fd-leak", "hang", "hang", None]
    assert [f[1] for f in found[2:4] if f] == ["still running after 1s of CPU",
                                                "still waiting after 2s (wall clock, less the time "
                                                "spent waiting for a CPU)"]
    assert pybpf.cli.main is not bad_main


def test_a_child_is_a_hang_after_its_cpu_time_not_the_machines_load():
    """A child spinning for the timeout's CPU seconds is a hang, and so is one blocked for
    six times that; the campaigns' children were killed after 10 s of wall clock under load
    while they ran (docs/fuzzing.md)."""
    fuzz = _harness()
    saved = fuzz._CHILD
    try:
        fuzz._CHILD = "while True: pass"
        assert fuzz.call_in_child(["x"], timeout=1) == ("hang", "child used 1s of CPU")
        fuzz._CHILD = "import time; time.sleep(60)"
        assert fuzz.call_in_child(["x"], timeout=0.5) == (
            "hang", "child still waiting after 3s (wall clock, less the time spent waiting "
            "for a CPU)")
    finally:
        fuzz._CHILD = saved


def test_time_waiting_for_a_cpu_is_no_hang(monkeypatch):
    """Blocked time is the wall clock less the time on a CPU and on a run queue: a task
    that ran 0.2 s and queued 1.7 s of 2 s was blocked 0.1 s (the clocks are given, so the
    answer does not depend on the machine's load)."""
    fuzz = _harness()
    busy = iter([10.0, 11.9])  # schedstat's run + queue seconds at the start, then now
    monkeypatch.setattr(fuzz, "_busy", lambda pid="self": next(busy))
    monkeypatch.setattr(fuzz.time, "monotonic", lambda: 102.0)
    assert abs(fuzz._blocked(100.0, fuzz._busy()) - 0.1) < 1e-9
    monkeypatch.setattr(fuzz, "_busy", lambda pid="self": None)  # the kernel does not say
    assert fuzz._blocked(100.0, None) == 2.0


def test_schedstat_counts_cpu_time_and_not_sleep():
    """What `_blocked` subtracts, read from this process's /proc/self/schedstat: at least
    the CPU time it burnt; a sleep is not in it (elapsed 0.3 s, blocked at least 0.2 s
    whatever the load: waking up may queue, sleeping does not run)."""
    import time

    fuzz = _harness()
    busy0, cpu0 = fuzz._busy(), time.thread_time()
    assert busy0 is not None  # the kernels pybpf runs on have schedstat
    while time.thread_time() < cpu0 + 0.05:
        pass
    assert fuzz._busy() - busy0 >= time.thread_time() - cpu0 - 0.01
    start, busy1 = time.monotonic(), fuzz._busy()
    time.sleep(0.3)
    assert fuzz._blocked(start, busy1) > 0.2


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


def test_a_map_no_line_declares_is_a_rejection_at_its_instruction(capsys):
    """Found by a campaign: `pybpf verify` of a program whose ``r1 = m ll`` names a map no
    ``.map`` line declares raised the verifier's internal Reject out of the explainer (it
    set the verifier up a second time, to trace the run); now the kernel's message at the
    instruction and its line."""
    f = DATA / "map_never_declared.s"
    fuzz = _harness()
    assert fuzz.call_in_process(["verify", str(f), "--type", "xdp"], timeout=30) is None
    from pybpf.cli import main

    assert main(["verify", str(f), "--type", "xdp"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("map_never_declared: rejected at insn 0 (r1 = 0x0): fd m is not pointing "
                      "to valid bpf_map")
    assert out[1] == f"  at {f}:2:1: r1 = m ll"


def test_a_map_size_that_is_no_integer_is_the_maps_problem(capsys):
    """Found by a campaign: a probe file declaring ``HashMap(u32, u64, max_entries=u32)``
    raised TypeError in the map rules (``IntType > 0``); now a rejection naming the map and
    the field."""
    from pybpf.cli import main
    from pybpf.isa import MapSpec
    from pybpf.uapi.map_rules import field_problem

    assert main(["verify", str(DATA / "max_entries_a_type.probe")]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "count: rejected at program: map 'seen': a hash map needs max_entries as an integer, "
        "not u32")
    assert field_problem(MapSpec("m", "array", 4, 8, 1.5)) == (
        "max_entries", "an array map needs max_entries as an integer, not 1.5")
    assert field_problem(MapSpec("m", "array", True, 8, 1)) == (
        "key", "an array map needs key as an integer, not True")
