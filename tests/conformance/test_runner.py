"""All bpf_conformance vectors pass in the VM; the runner and CLI report them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pybpf.cli import main
from pybpf.conformance import load_vectors, parse_vector
from pybpf.conformance.runner import run_directory, run_vector_vm, summary
from pybpf.vm import VM

EXPECTED_VECTORS = 313


def test_every_vector_passes_in_the_vm(conformance_dir):
    outcomes = run_directory(conformance_dir, "vm")
    assert len(outcomes) == EXPECTED_VECTORS
    bad = [(o.name, o.reason) for o in outcomes if o.status != "pass"]
    assert bad == []


def test_vectors_writing_memory_leave_it_changed(conformance_dir):
    vm = VM()
    changed = 0
    for v in load_vectors(conformance_dir):
        out = run_vector_vm(v, vm)
        assert out.status == "pass", (v.name, out.reason)
        assert out.mem is not None and len(out.mem) == len(v.mem)
        changed += out.mem != v.mem
    assert changed > 0  # e.g. the st*/stx* vectors store into mem


def test_wrong_result_and_error_vectors_are_judged():
    wrong = parse_vector("-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n", name="wrong")
    out = run_vector_vm(wrong)
    assert (out.status, out.got, out.expected) == ("fail", 1, 2)
    fault = parse_vector("-- asm\nldxdw %r0, [%r1+8]\nexit\n-- mem\n00\n-- error\n"
                         "out of bounds\n", name="fault")
    out = run_vector_vm(fault)
    assert out.status == "pass" and "out of bounds of 'mem'" in out.reason
    ran = parse_vector("-- asm\nmov %r0, 1\nexit\n-- error\nshould fail\n", name="ran")
    assert run_vector_vm(ran).status == "fail"


def test_cli_conformance_json(tmp_path: Path, capsys):
    (tmp_path / "ok.data").write_text("-- asm\nmov %r0, %r2\nexit\n-- mem\n01 02 03\n"
                                      "-- result\n0x3\n")
    (tmp_path / "bad.data").write_text("-- asm\nmov %r0, 7\nexit\n-- result\n0x8\n")
    assert main(["conformance", str(tmp_path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["passed"], doc["failed"], doc["skipped"]) == (1, 1, 0)
    by = {r["name"]: r for r in doc["results"]}
    assert by["bad"] == {"name": "bad", "status": "fail", "expected": 8, "got": 7,
                         "reason": "r0 = 0x7, expected 0x8"}
    assert set(by["ok"]) == {"name", "status", "expected", "got", "reason"}


def test_cli_conformance_table(conformance_dir, capsys):
    assert main(["conformance", str(conformance_dir)]) == 0
    out = capsys.readouterr().out
    assert f"{EXPECTED_VECTORS} passed, 0 failed, 0 skipped (vm)" in out
    assert summary([])["results"] == []


def test_cli_conformance_missing_dir(tmp_path, capsys):
    assert main(["conformance", str(tmp_path / "nope")]) == 1
    assert "not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["callx", "call_local", "lock_cmpxchg", "prime"])
def test_selected_vectors(conformance_dir, name):
    v = next(x for x in load_vectors(conformance_dir) if x.name == name)
    assert VM().run(v.program(), mem=v.mem).r0 == v.result
