"""Every command that reads programs takes every kind of input the others take, told apart
by content (never by the file name): assembly in both syntaxes, hex, raw bytecode, a
bpf_conformance vector, an ELF object and a Python probe file."""
from __future__ import annotations

from pathlib import Path

import pytest

from pybpf.cli import main
from pybpf.cli._input import detect

DATA = Path(__file__).resolve().parent / "data"
LLVM = ".section xdp\n    r0 = 2\n    r1 = 5\n    if r1 > 3 goto out\n    r0 = 1\nout:\n    exit\n"
GAS = "mov %r0, 2\nmov %r1, 5\njgt %r1, 3, +1\nmov %r0, 1\nexit\n"
CODE = bytes.fromhex("b700000002000000" "b701000005000000" "2501010003000000"
                     "b700000001000000" "9500000000000000")
VECTOR = "-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, bpf_compile) -> dict[str, Path]:
    """One file of each kind, named so that no name gives its kind away."""
    d = tmp_path_factory.mktemp("inputs")
    files = {"llvm": LLVM, "gas": GAS, "hex": CODE.hex(" ", 8).replace(" ", "\n"),
             "vector": VECTOR}
    out = {}
    for kind, text in files.items():
        (d / f"{kind}.input").write_text(text)
        out[kind] = d / f"{kind}.input"
    (d / "raw.input").write_bytes(CODE)
    out["raw"] = d / "raw.input"
    (d / "elf.input").write_bytes(bpf_compile("cli_inputs").read_bytes())
    out["elf"] = d / "elf.input"
    (d / "dsl.input").write_text((DATA / "probe_inputs.py").read_text())
    out["dsl"] = d / "dsl.input"
    return out


KIND = {"llvm": "asm", "gas": "asm", "hex": "hex", "raw": "raw", "vector": "vector", "elf": "elf",
        "dsl": "dsl"}
#: the type of a program when nothing in the input says it
EXTRA = {"hex": ["--type", "xdp"], "raw": ["--type", "xdp"], "gas": ["--type", "xdp"],
         "vector": ["--type", "xdp"]}


@pytest.mark.clang
@pytest.mark.parametrize("kind", list(KIND))
def test_the_kind_is_told_by_content(inputs, kind):
    assert detect(inputs[kind].read_bytes()) == KIND[kind]


@pytest.mark.clang
@pytest.mark.parametrize("kind", list(KIND))
@pytest.mark.parametrize("verb", ["asm", "disasm", "run", "verify"])
def test_every_offline_command_takes_every_kind(inputs, kind, verb, capsys):
    argv = [verb, str(inputs[kind])]
    if kind == "elf":  # two programs: choose one
        argv += ["--section" if verb == "disasm" else "--program", "pass_all"]
    if verb == "verify" and kind in ("hex", "raw", "gas", "vector"):  # nothing says the type
        argv += ["--type", "xdp"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    if verb == "run":
        assert out.startswith("r0 = 0x") and ("r0 = 0x2 (2)" in out or kind == "dsl"), out
    elif verb == "verify":
        assert "accepted" in out and "rejected" not in out, out
    elif verb == "disasm":
        assert "exit" in out
    else:
        assert out.splitlines()[-1] == "95 00 00 00 00 00 00 00"


@pytest.mark.clang
@pytest.mark.kernel
@pytest.mark.parametrize("kind", list(KIND))
def test_load_takes_every_kind(inputs, kind, capsys):
    assert main(["load", str(inputs[kind]), *EXTRA.get(kind, []), "--json"]) == 0, \
        capsys.readouterr().err
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["loaded"] and doc["programs"] and all(p["id"] > 0 for p in doc["programs"])


def test_run_reads_an_object_as_an_object_not_as_bytecode(tmp_path, bpf_compile, capsys):
    """Was: `pybpf run obj.bpf.o` decoded the ELF file as instructions."""
    obj = bpf_compile("cli_inputs")
    assert main(["run", str(obj)]) == 1
    assert "2 programs: choose one with --program NAME (pass_all (xdp), count_getppid " \
           "(tp/syscalls/sys_enter_getppid))" in capsys.readouterr().err
    assert main(["run", str(obj), "--program", "pass_all"]) == 0
    assert capsys.readouterr().out.startswith("r0 = 0x2 (2)")


def test_verify_reads_python_as_python_not_as_assembly(capsys):
    """Was: `pybpf verify probe.py` parsed the Python source as assembly."""
    assert main(["verify", str(DATA / "probe_inputs.py")]) == 0
    assert capsys.readouterr().out.strip() == "count_syscalls: accepted (10 instructions processed)"


def test_a_python_mistake_is_reported_at_its_line(tmp_path, capsys):
    bad = tmp_path / "bad_probe.py"
    bad.write_text("from pybpf.dsl import probe\n\nx = 1 +\n")
    assert main(["verify", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3:8: not valid Python: invalid syntax" in err
    bad.write_text("from pybpf.dsl import probe\n\nraise RuntimeError('no')\n")
    assert main(["disasm", str(bad)]) == 1
    assert f"{bad}:3: cannot import the probe file: RuntimeError: no" in capsys.readouterr().err


def test_input_can_be_forced(tmp_path, capsys):
    f = tmp_path / "looks_hex"
    f.write_text("exit\n")
    assert main(["disasm", str(f), "--input", "hex"]) == 1
    assert f"{f}:1:2: 'x' is not a hex digit" in capsys.readouterr().err
