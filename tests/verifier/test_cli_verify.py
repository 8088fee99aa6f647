"""``pybpf verify``: assembly, raw bytecode and objects; exit status; JSON lines."""
from __future__ import annotations

import json

import pytest

from pybpf.asm import assemble
from pybpf.cli import main

BAD = (".map m hash key=4 value=8 max_entries=4\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\n"
       "r1 = m ll\ncall bpf_map_lookup_elem\nr0 = *(u64 *)(r0 + 0)\nexit\n")


def test_rejection_is_explained(tmp_path, capsys):
    f = tmp_path / "bad.s"
    f.write_text(BAD)
    assert main(["verify", str(f), "--type", "socket_filter"]) == 1
    out = capsys.readouterr().out
    assert "R0 invalid mem access 'map_value_or_null'" in out
    assert "how it got there:" in out and "insn 5    call bpf_map_lookup_elem#1" in out
    assert "bad.s:6" in out and "root cause: insn 5" in out and "fix (assembly):" in out


def test_json_lines_and_raw_bytecode(tmp_path, capsys):
    raw = tmp_path / "ok.bin"
    raw.write_bytes(assemble("r0 = 0\nexit").encode())
    assert main(["verify", str(raw), "--type", "xdp", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["accepted"] is True and doc["insn"] is None and doc["processed_insns"] == 2
    assert set(doc) >= {"program", "accepted", "insn", "message", "class", "explanation", "hint",
                        "processed_insns"}


def test_needs_a_type_for_assembly(tmp_path, capsys):
    f = tmp_path / "a.s"
    f.write_text("r0 = 0\nexit\n")
    assert main(["verify", str(f)]) == 1
    assert "give --type" in capsys.readouterr().err


@pytest.mark.clang
def test_object_types_from_sections(bpf_compile, capsys):
    assert main(["verify", str(bpf_compile("subprogs")), "--json"]) == 0
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {d["program"] for d in docs} == {"subprogs_xdp", "subprogs_sock"}
    assert all(d["accepted"] for d in docs)
