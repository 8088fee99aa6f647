"""ELF object parsing (no kernel): programs, subprogram linking, maps, globals."""
from __future__ import annotations

import re
import subprocess

import pytest

from pybpf.elf import read_object
from pybpf.elf.object import BPF_F_MMAPABLE, BPF_F_RDONLY_PROG
from pybpf.errors import ElfError
from pybpf.isa import LDDW, CallSrc, PseudoSrc, RefKind

pytestmark = pytest.mark.clang


def _objdump_functions(obj) -> dict[str, list[bytes]]:
    """function name -> raw instructions (8 or 16 bytes each), from llvm-objdump-19 (the oracle)."""
    out = subprocess.run(["llvm-objdump-19", "-d", "--mcpu=v4", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    funcs: dict[str, list[bytes]] = {}
    current = None
    for line in out.splitlines():
        m = re.match(r"^[0-9a-f]+ <(\w+)>:", line)
        if m:
            current = funcs.setdefault(m.group(1), [])
            continue
        m = re.match(r"^\s+\d+:\t((?:[0-9a-f]{2} ?)+)\t", line)
        if m and current is not None:
            current.append(bytes.fromhex(m.group(1).replace(" ", "")))
    return funcs


def test_subprograms_are_linked_after_the_main_body(bpf_compile):
    obj = bpf_compile("subprogs")
    spec = read_object(str(obj))
    assert set(spec.programs) == {"subprogs_xdp", "subprogs_sock"}
    funcs = _objdump_functions(obj)
    xdp = spec.programs["subprogs_xdp"]
    assert (xdp.spec.prog_type, xdp.section) == ("xdp", "xdp")
    prog = xdp.program
    # every function reachable from the entry is present, labelled, and called by label
    assert set(prog.labels) == {"add_base", "scale", "global_sum"}
    resolved = prog.resolve()
    slots = prog.slot_offsets()
    label_at_slot = {slots[i]: name for name, i in prog.labels.items()}
    for idx, ref in prog.refs.items():
        insn = resolved[idx]
        if ref.kind is RefKind.LABEL:
            assert insn.src == CallSrc.LOCAL
            assert label_at_slot[slots[idx] + 1 + insn.imm] == ref.name
    # bodies equal objdump's bytes, except the fields relocations fill in
    for name, start in list(prog.labels.items()) + [("subprogs_xdp", 0)]:
        theirs = funcs[name]
        ours = [i.encode() for i in prog.insns[start:start + len(theirs)]]
        assert len(ours) == len(theirs), name
        for a, b in zip(ours, theirs, strict=True):
            if a[0] in (0x85, LDDW):  # call / lddw: opcode and dst equal, src/imm relocated
                assert (a[0], a[1] & 0x0F) == (b[0], b[1] & 0x0F), name
            else:
                assert a == b, name


def test_global_data_becomes_array_maps(bpf_compile):
    spec = read_object(str(bpf_compile("subprogs")))
    names = set(spec.maps)
    assert {".rodata", ".bss", ".data", ".data.table"} <= names
    rodata = spec.maps[".rodata"]
    assert rodata.type == "array" and rodata.max_entries == 1 and rodata.frozen
    assert rodata.flags & BPF_F_RDONLY_PROG and rodata.flags & BPF_F_MMAPABLE
    assert rodata.initial == (3).to_bytes(4, "little")
    assert spec.maps[".data.table"].initial == b"".join(i.to_bytes(8, "little") for i in (1, 2, 3, 4))
    assert spec.maps[".bss"].initial == bytes(8)
    assert spec.maps[".rodata"].extra["kernel_name"] == "subprogs.rodata"
    # references to globals are map-value loads with the variable's offset
    prog = spec.programs["subprogs_xdp"].program
    value_refs = [(prog.insns[i].src, r.name) for i, r in prog.refs.items() if r.kind is RefKind.MAP]
    assert (PseudoSrc.MAP_VALUE, ".bss") in value_refs and (PseudoSrc.MAP_VALUE, ".rodata") in value_refs
    assert spec.license == "GPL"


def test_btf_defined_maps(bpf_compile):
    spec = read_object(str(bpf_compile("maps_btf")))
    m = spec.maps
    assert (m["events_by_pid"].type, m["events_by_pid"].key_size, m["events_by_pid"].value_size,
            m["events_by_pid"].max_entries, m["events_by_pid"].flags) == ("hash", 4, 16, 1024, 1)
    assert (m["counters"].key_size, m["counters"].value_size, m["counters"].btf_key_type_id) == (4, 8, 0)
    assert (m["rb"].type, m["rb"].max_entries) == ("ringbuf", 4096)
    assert m["pinned_map"].pinning == 1
    assert m["outer"].type == "array_of_maps" and m["outer"].inner.name == "outer.inner"
    assert m["outer"].inner.type == "array"
    assert m["outer"].extra["init"] == {0: "inner_a", 1: "inner_b"}
    prog = spec.programs["maps_prog"].program
    used = {r.name for r in prog.refs.values() if r.kind is RefKind.MAP}
    assert used == {"counters", "outer", "events_by_pid", "pinned_map", "rb"}
    for i, r in prog.refs.items():
        if r.kind is RefKind.MAP:
            assert prog.insns[i].src == PseudoSrc.MAP_FD


def test_legacy_maps(bpf_compile):
    spec = read_object(str(bpf_compile("maps_legacy")))
    assert (spec.maps["legacy_hash"].type, spec.maps["legacy_hash"].max_entries) == ("hash", 16)
    assert (spec.maps["legacy_array"].value_size, spec.maps["legacy_array"].type) == (4, "array")


def test_bad_inputs_name_file_and_section(tmp_path, bpf_compile):
    bad = tmp_path / "x.o"
    bad.write_bytes(b"not an elf at all")
    with pytest.raises(ElfError, match=r"x.o.*not an ELF file"):
        read_object(str(bad))
    with pytest.raises(ElfError, match="cannot read"):
        read_object(str(tmp_path / "missing.o"))
    data = bytearray(bpf_compile("subprogs").read_bytes())
    truncated = tmp_path / "trunc.o"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(ElfError):
        read_object(str(truncated))


def test_source_lines_from_line_info(bpf_compile):
    """Each linked function keeps its C lines (from .BTF.ext), at the right instructions."""
    spec = read_object(str(bpf_compile("subprogs")))
    prog = spec.programs["subprogs_xdp"].program
    texts = {i: ln.text.strip() for i, ln in prog.lines.items()}
    assert texts[0] == "calls++;"
    assert texts[prog.labels["scale"]] == "return x * factor;"
    assert all(ln.filename.endswith("subprogs.bpf.c") for ln in prog.lines.values())
    from pathlib import Path

    lines = (Path(__file__).parent.parent / "progs" / "subprogs.bpf.c").read_text().splitlines()
    for ln in prog.lines.values():
        assert lines[ln.line - 1].strip() == ln.text.strip()


def test_disasm_interleaves_c_source(bpf_compile, capsys):
    from pybpf.cli import main

    assert main(["disasm", str(bpf_compile("subprogs")), "--section", "subprogs_sock"]) == 0
    out = capsys.readouterr().out.splitlines()
    first = out.index("; calls += 2;")
    assert "r1 = map_value(.bss) ll" in out[first + 1]
    scale = next(i for i, line in enumerate(out) if line.endswith("<scale>:"))
    assert out[scale + 1] == "; return x * factor;"
    assert main(["disasm", str(bpf_compile("subprogs")), "--no-source"]) == 0
    assert not any(line.startswith("; ") for line in capsys.readouterr().out.splitlines())
