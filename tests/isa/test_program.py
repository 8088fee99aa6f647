"""ProgramSpec: slot arithmetic, label resolution, and its errors."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pybpf.errors import IsaError
from pybpf.isa import LDDW, Insn, ProgramSpec, Ref, target_field

MOV = Insn(0xB7, imm=1)
WIDE = Insn(LDDW, imm=1 << 40)
EXIT = Insn(0x95)


@given(st.lists(st.booleans(), min_size=1, max_size=40), st.data())
def test_jump_offsets_count_slots(wides, data):
    """A forward/backward label jump lands on the labelled slot, lddw counting twice."""
    body = [WIDE if w else MOV for w in wides]
    src = data.draw(st.integers(0, len(body)), label="jump index")
    dst = data.draw(st.integers(0, len(body)), label="target index")
    insns = body[:src] + [Insn(0x05)] + body[src:] + [EXIT]
    target = dst if dst <= src else dst + 1  # index after inserting the jump
    prog = ProgramSpec(insns, labels={"t": target}, refs={src: Ref.label("t")})
    resolved = prog.resolve()
    slots = prog.slot_offsets()
    assert slots[src] + 1 + resolved[src].off == slots[target]
    assert prog.index_of_slot(slots[target]) == target
    # decode(encode) keeps every instruction
    assert ProgramSpec.from_bytes(prog.encode()).insns == resolved


def test_index_of_slot_rejects_middle_of_lddw():
    prog = ProgramSpec([WIDE, EXIT])
    assert prog.index_of_slot(2) == 1
    with pytest.raises(IsaError, match="second half of an lddw"):
        prog.index_of_slot(1)


def test_unknown_label_names_instruction():
    prog = ProgramSpec([Insn(0x05), EXIT], refs={0: Ref.label("nowhere")})
    with pytest.raises(IsaError, match=r"insn 0: unknown label 'nowhere'"):
        prog.encode()


def test_jump_out_of_16bit_range_suggests_gotol():
    prog = ProgramSpec([Insn(0x05)] + [MOV] * 40000 + [EXIT], labels={"far": 40001},
                   refs={0: Ref.label("far")})
    with pytest.raises(IsaError, match="use gotol"):
        prog.resolve()
    far = ProgramSpec([Insn(0x06)] + [MOV] * 40000 + [EXIT], labels={"far": 40001},
                  refs={0: Ref.label("far")})
    assert far.resolve()[0].imm == 40000


def test_target_fields():
    assert target_field(Insn(0x15, dst=1)) == "off"  # jeq
    assert target_field(Insn(0x06)) == "imm"  # gotol
    assert target_field(Insn(0x85, src=1)) == "imm"  # local call
    assert target_field(Insn(0x85, imm=1)) is None  # helper call
    assert target_field(Insn(LDDW, src=4)) == "imm"  # lddw of a function
    assert target_field(EXIT) is None


def test_strict_resolution_needs_bound_maps():
    prog = ProgramSpec([Insn(LDDW, dst=1, src=1), EXIT], refs={0: Ref.map("counts")})
    assert prog.resolve()[0].imm == 0
    with pytest.raises(IsaError, match="map 'counts' is not bound"):
        prog.resolve(strict=True)


def test_label_defined_twice():
    prog = ProgramSpec()
    prog.label("a")
    prog.append(EXIT)
    with pytest.raises(IsaError, match="defined twice"):
        prog.label("a")
