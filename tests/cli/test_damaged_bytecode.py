"""Damaged bytecode is listed to its end, each bad part marked ``<unknown>`` where
llvm-objdump-19 marks it: the same bytes go through both and the listings must agree.

Damage here is what corrupt files hold: a truncated tail (a cut slot, a cut ``lddw``),
slots whose opcode is no instruction, an ``lddw`` whose second slot is not zero.
"""
from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pybpf.asm import UNKNOWN, assemble, bad_slots, disassemble, llvm_print, walk_bytecode
from pybpf.cli import main

#: instructions that decode, one of each class
GOOD = assemble("""
    r0 = 1
    w1 += w2
    r3 = *(u32 *)(r1 + 8)
    *(u64 *)(r10 - 8) = r3
    if r1 > 5 goto +1
    r1 = 0x1122334455667788 ll
    call 1
    lock *(u64 *)(r10 - 8) += r1
    r0 = bswap32 r0
    exit
""", check_targets=False).insns
#: opcodes that are no instruction at all (llvm-objdump prints <unknown> whatever the fields)
BAD_OPCODES = [op for op in range(256) if all(
    llvm_print.FORMATTERS[op](d, s, o, i) == UNKNOWN for d, s, o, i in
    ((0, 0, 0, 0), (1, 2, 0, 0), (1, 0, 1, 1)))]

_slot = st.one_of(
    st.sampled_from([i.encode() for i in GOOD]),
    st.builds(lambda op, rest: bytes([op]) + rest, st.sampled_from(BAD_OPCODES),
              st.binary(min_size=7, max_size=7)),
    # an lddw whose second slot is not zero outside its immediate
    st.builds(lambda first, second: first + second,
              st.just(struct.pack("<BBhi", 0x18, 0x01, 0, 7)), st.binary(min_size=8, max_size=8)),
)


def _objdump(code: bytes, tmp: Path) -> list[str]:
    src, obj, text = tmp / "t.s", tmp / "t.o", tmp / "code.bin"
    src.write_text("exit\n")
    text.write_bytes(code)
    subprocess.run(["llvm-mc-19", "-triple", "bpfel", "-filetype=obj", "-o", str(obj), str(src)],
                   check=True)
    subprocess.run(["llvm-objcopy-19", "--update-section", f".text={text}", str(obj)], check=True)
    # -z: list zero slots too (objdump otherwise folds a run of zero bytes into "...")
    out = subprocess.run(["llvm-objdump-19", "-d", "-z", "--mcpu=v4", str(obj)], capture_output=True,
                         text=True, check=True).stdout
    lines = out.split("<.text>:\n", 1)[1].splitlines()
    return [re.sub(r" <\.text\+0x[0-9a-f]+>$", "", ln) for ln in lines if ln.strip()]


@pytest.mark.clang
@settings(max_examples=30)  # three tool runs an example
@given(slots=st.lists(_slot, min_size=1, max_size=8), cut=st.integers(0, 15))
@example(slots=[GOOD[0].encode(), bytes([0xff] + [0] * 7), GOOD[-1].encode()], cut=0)
@example(slots=[GOOD[5].encode()], cut=9)  # an lddw cut after its first slot and a byte
def test_listing_of_damaged_bytecode_matches_llvm_objdump(tmp_path_factory, slots, cut):
    code = b"".join(slots)
    code = code[:max(len(code) - cut, 1)]
    want = _objdump(code, tmp_path_factory.mktemp("objdump"))
    assert disassemble(code).splitlines() == want


def test_walk_marks_each_bad_part_and_reads_on():
    code = GOOD[0].encode() + bytes([0xff] + [0] * 7) + GOOD[-1].encode() + b"\x95\x00"
    parts = [(pos, n, insn is not None) for pos, n, insn in walk_bytecode(code)]
    assert parts == [(0, 8, True), (8, 8, False), (16, 8, True), (24, 1, False), (25, 1, False)]
    assert bad_slots(code) == [8, 24, 25]


@settings(max_examples=200)
@given(slots=st.lists(_slot, min_size=1, max_size=12), cut=st.integers(0, 15),
       listed=st.booleans())
def test_bad_slots_are_the_walks_bad_parts(slots, cut, listed):
    """bad_slots (whole slots read without an Insn each, or the parts the LLVM listing of the
    same bytes just marked) names exactly the parts walk_bytecode finds bad."""
    code = b"".join(slots)
    code = code[:max(len(code) - cut, 1)]
    if listed:
        disassemble(code)
    assert bad_slots(code) == [pos for pos, _, insn in walk_bytecode(code) if insn is None]


@pytest.mark.parametrize("syntax", ["llvm", "gas", "kernel"])
def test_every_syntax_lists_damaged_bytecode(syntax):
    code = GOOD[0].encode() + bytes([0xff] + [0] * 7) + b"\x18\x01\x00"
    lines = disassemble(code, syntax).splitlines()
    assert len(lines) == 5 and sum(UNKNOWN in ln for ln in lines) == 4


def test_cli_lists_damaged_bytecode_and_warns(tmp_path, capsys):
    bad = tmp_path / "cut.bin"
    bad.write_bytes(GOOD[0].encode() + b"\x95\x00\x00")
    assert main(["disasm", str(bad)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["       0:\tb7 00 00 00 01 00 00 00\tr0 = 0x1",
                                "       1:\t95\t<unknown>", "       1:\t00\t<unknown>",
                                "       1:\t00\t<unknown>"]
    assert err.strip() == (f"pybpf disasm: warning: {bad}: 3 part(s) of the bytecode are no "
                           "instruction (marked <unknown>)")


def test_commands_that_run_bytecode_name_the_damage(tmp_path, capsys):
    """disasm lists damage; run, verify and load refuse it, naming the byte and slot."""
    bad = tmp_path / "cut.bin"
    bad.write_bytes(GOOD[0].encode() + b"\x95\x00\x00")
    for argv in (["run", str(bad)], ["verify", str(bad), "--type", "xdp"], ["asm", str(bad)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert f"{bad}: byte 8 (slot 1): 11 bytes is not a whole number of 8-byte" in err, argv
