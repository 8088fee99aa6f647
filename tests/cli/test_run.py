"""``pybpf run``: assembly or bytecode in, r0/mem/insns (or the fault) out."""
from __future__ import annotations

import json

from pybpf.asm import assemble
from pybpf.cli import main

PROG = "r0 = 1\nr2 = *(u8 *)(r1 + 1)\nr0 += r2\n*(u8 *)(r1 + 0) = w0\nexit\n"


def test_run_json(tmp_path, capsys):
    f = tmp_path / "p.s"
    f.write_text(PROG)
    assert main(["run", str(f), "--mem", "0102", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"r0": 3, "mem": "0302", "insns": 5}


def test_run_gas_and_bytecode(tmp_path, capsys):
    g = tmp_path / "p.asm"
    g.write_text("mov %r0, %r2\nexit\n")
    assert main(["run", str(g), "--mem", "000000", "--json", "--syntax", "gas"]) == 0
    assert json.loads(capsys.readouterr().out)["r0"] == 3
    b = tmp_path / "p.bin"
    b.write_bytes(assemble(PROG).encode())
    assert main(["run", str(b), "--mem", "0a0b", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"r0": 12, "mem": "0c0b", "insns": 5}


def test_run_fault_json(tmp_path, capsys):
    f = tmp_path / "p.s"
    f.write_text(PROG)
    assert main(["run", str(f), "--mem", "01", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["region"] == "mem" and doc["offset"] == 1 and doc["pc"] == 1
    assert "out of bounds of 'mem'" in doc["error"]


def test_run_trace_text_and_json(tmp_path, capsys):
    f = tmp_path / "p.s"
    f.write_text(PROG)
    assert main(["run", str(f), "--mem", "0102", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "mem+0: 01 -> 03" in out and "r0 = 0x3 (3)" in out
    assert main(["run", str(f), "--mem", "0102", "--trace", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["trace"]) == 5
    assert doc["trace"][3]["changes"] == [{"region": "mem", "offset": 0, "old": "01",
                                           "new": "03"}]


def test_run_errors(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.s"), "--json"]) == 1
    assert "cannot read" in json.loads(capsys.readouterr().out)["error"]
    f = tmp_path / "bad.s"
    f.write_text("r0 = = 1\n")
    assert main(["run", str(f)]) == 1
    assert "bad.s:1" in capsys.readouterr().err
    f.write_text("exit\n")
    assert main(["run", str(f), "--mem", "zz", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"].startswith("--mem:1:1: 'z' is not a hex digit")


def test_run_xdp_packet(tmp_path, capsys):
    f = tmp_path / "xdp.s"
    f.write_text("r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 2\n"
                 "if r4 > r3 goto +2\n*(u8 *)(r2 + 1) = 0xee\nr0 = 2\nexit\n")
    assert main(["run", str(f), "--prog-type", "xdp", "--packet", "00112233", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["r0"] == 2 and doc["packet"] == "00ee2233"
    assert main(["run", str(f), "--prog-type", "xdp", "--packet", "00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["packet"] == "00"  # the bounds check held
