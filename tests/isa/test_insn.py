"""`Insn` encode/decode and the validation rules of `pybpf.isa`."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.errors import IsaError
from pybpf.isa import LDDW, Insn, decode_all, encode_all, problem, validate
from pybpf.testing.strategies import insns

fields = st.tuples(st.integers(0, 255), st.integers(0, 15), st.integers(0, 15),
                   st.integers(-0x8000, 0x7FFF), st.integers(-(1 << 31), (1 << 31) - 1))


@given(fields)
@settings(max_examples=300)
def test_encode_is_the_documented_layout(f: tuple[int, int, int, int, int]) -> None:
    op, dst, src, off, imm = f
    if op == LDDW:
        op = 0xB7
    raw = Insn(op, dst, src, off, imm).encode()
    assert raw == struct.pack("<BBhi", op, src << 4 | dst, off, imm)
    assert Insn.decode(raw) == Insn(op, dst, src, off, imm)


@given(st.integers(0, 10), st.integers(0, 15), st.integers(-(1 << 63), (1 << 64) - 1))
def test_lddw_is_one_insn_of_two_slots(dst: int, src: int, imm: int) -> None:
    insn = Insn(LDDW, dst, src, 0, imm)
    raw = insn.encode()
    assert len(raw) == 16 and insn.slots == 2
    u = imm & ((1 << 64) - 1)
    assert raw[4:8] == (u & 0xFFFFFFFF).to_bytes(4, "little")
    assert raw[8:12] == bytes(4) and raw[12:16] == (u >> 32).to_bytes(4, "little")
    assert Insn.decode(raw) == insn
    assert insn.imm == (u - (1 << 64) if u >= 1 << 63 else u)


def test_unsigned_spellings_fold_to_signed_values() -> None:
    assert Insn(0xB7, imm=0xFFFFFFFF) == Insn(0xB7, imm=-1)
    assert Insn(0x05, off=0xFFFF).off == -1
    assert Insn(0xB7, imm=0xFFFFFFFF).uimm == 0xFFFFFFFF
    with pytest.raises(IsaError, match="32 bits"):
        Insn(0xB7, imm=1 << 32)
    with pytest.raises(IsaError, match="16 bits"):
        Insn(0x05, off=0x10000)
    with pytest.raises(IsaError, match="4 bits"):
        Insn(0xB7, dst=16)


def test_decode_errors_name_the_slot() -> None:
    with pytest.raises(IsaError, match="truncated"):
        Insn.decode(b"\xb7\x00\x00")
    with pytest.raises(IsaError, match="lddw needs 16 bytes"):
        Insn.decode(Insn(LDDW, imm=1).encode()[:8])
    bad = bytearray(Insn(LDDW, imm=1).encode())
    bad[8] = 0xB7
    with pytest.raises(IsaError, match="second slot"):
        decode_all(bytes(bad))
    with pytest.raises(IsaError, match="multiple of 8"):
        decode_all(b"\x95" * 9)


@given(st.lists(insns(), max_size=20))
@settings(max_examples=100)
def test_encode_all_decode_all_round_trip(xs: list[Insn]) -> None:
    assert decode_all(encode_all(xs)) == xs


@given(insns())
@settings(max_examples=500)
def test_generated_insns_are_valid(insn: Insn) -> None:
    assert problem(insn) is None, (insn, problem(insn))


@pytest.mark.parametrize("insn, reason", [
    (Insn(0xB7, src=1, imm=1), "src=0"),
    (Insn(0xBF, dst=1, src=2, imm=1), "imm=0"),
    (Insn(0x87, imm=1), "NEG"),
    (Insn(0xD4, dst=1, imm=8), "16, 32 or 64"),
    (Insn(0xDF, dst=1, imm=16), "K source"),
    (Insn(0x3F, dst=1, src=2, off=2), "off=1"),
    (Insn(0xBC, dst=1, src=2, off=32), "sign-extending MOV"),
    (Insn(0x05, imm=1), "imm must be 0"),
    (Insn(0x06, off=1), "off must be 0"),
    (Insn(0x96), "JMP class"),
    (Insn(0x85, src=3), "call src"),
    (Insn(0x95, dst=1), "exit"),
    (Insn(0x10), "lddw"),
    (Insn(LDDW, src=7), "pseudo source"),
    (Insn(0x38), "B, H and W"),
    (Insn(0x99), "sign-extending loads"),
    (Insn(0x62, src=1), "ST must have src=0"),
    (Insn(0xC3, imm=0x02), "unknown atomic"),
    (Insn(0xD3, imm=0x00), "sizes W and DW"),
    (Insn(0xB7, dst=11), "r11"),
    (Insn(0xBF, dst=1, src=12), "r12"),
    (Insn(0xE0), "unknown"),
])
def test_invalid_encodings_are_explained(insn: Insn, reason: str) -> None:
    msg = problem(insn)
    assert msg is not None and reason in msg
    with pytest.raises(IsaError, match="opcode"):
        validate(insn)


@pytest.mark.parametrize("insn", [
    Insn(0xDB, dst=1, src=2, imm=0x100),  # load-acquire 64
    Insn(0xD3, dst=1, src=2, imm=0x100),  # load-acquire 8
    Insn(0xCB, dst=1, src=2, imm=0x110),  # store-release 16
    Insn(0xE5, off=3),  # may_goto
    Insn(0x06, imm=1 << 20),  # gotol with a long target
    Insn(0x8D, dst=2),  # callx
    Insn(0x85, src=2, off=1, imm=1234),  # kfunc in a module BTF
])
def test_newer_forms_are_valid(insn: Insn) -> None:
    assert problem(insn) is None
