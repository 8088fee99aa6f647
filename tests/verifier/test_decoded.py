"""`DecodedInsn` answers from per-opcode tables what `problem`, `insn_form` and `insn_use_def`
answer: held to the functions over every opcode and a grid of the other fields."""
from __future__ import annotations

import itertools

from pybpf.isa import Insn, problem
from pybpf.verifier.analysis import insn_use_def
from pybpf.verifier.decoded import DecodedInsn
from pybpf.verifier.kernel_profile import insn_form

DSTS = (0, 1, 10, 11, 15)  # (r10, and registers that do not exist)
SRCS = (0, 1, 2, 6, 7, 10, 11, 15)  # (call sources 0-2, lddw sources 0-6)
OFFS = (0, 1, -1, 8, 16, 32, 0x7FFF)
IMMS = (0, 1, -1, 16, 32, 64, 0x100, 0xE1)


def test_tables_agree_with_the_functions():
    checked = 0
    for opcode in range(256):
        for dst, src, off, imm in itertools.product(DSTS, SRCS, OFFS, IMMS):
            insn = Insn(opcode, dst=dst, src=src, off=off, imm=imm)
            d = DecodedInsn(insn)
            assert d.encoding_problem == problem(insn), insn
            assert d.form == insn_form(insn), insn
            if opcode != 0x85:  # a call's reads depend on the function called
                assert d.use_def == insn_use_def(insn, None), insn
            checked += 1
    assert checked == 256 * len(DSTS) * len(SRCS) * len(OFFS) * len(IMMS)
