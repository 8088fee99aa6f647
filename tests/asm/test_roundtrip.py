"""Round trips and a differential test against llvm-objdump-19, with hypothesis.

- every valid instruction: assemble(format(x)) == x, in the LLVM and gas syntaxes;
- every generated program (labels, map/kfunc/global refs, .map declarations):
  assemble(disassemble(p, listing=False)) has the same instructions, labels,
  references and maps; raw bytecode comes back byte for byte;
- random valid instructions encoded and disassembled by llvm-objdump-19 print
  exactly as pybpf prints them (except the forms LLVM 19 cannot spell, listed
  in pybpf.asm.llvm.printer).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble, disassemble, format_insn
from pybpf.asm.llvm.parser import parse_insn
from pybpf.isa import LDDW, AtomicOp, CallSrc, Class, Insn, JmpOp, Mode, ProgramSpec
from pybpf.testing import insns, programs


@given(insns())
@settings(max_examples=600)
def test_llvm_insn_round_trip(insn: Insn) -> None:
    text = format_insn(insn)
    assert parse_insn(text) == insn, text


def _same(a: ProgramSpec, b: ProgramSpec) -> None:
    assert b.insns == a.insns
    assert b.labels == a.labels
    assert b.refs == a.refs
    assert b.maps == a.maps


@given(programs())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_llvm_program_round_trip(prog: ProgramSpec) -> None:
    text = disassemble(prog, listing=False)
    _same(prog, assemble(text))


@given(programs(symbols=False))
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_llvm_bytes_round_trip(prog: ProgramSpec) -> None:
    code = prog.encode()
    assert assemble(disassemble(code, listing=False)).encode() == code
    # the listing carries the same text after its second tab
    texts = [ln.split("\t", 2)[2] for ln in disassemble(code).splitlines()]
    assert texts == disassemble(code, listing=False).splitlines()


@given(insns())
@settings(max_examples=400)
def test_gas_insn_round_trip(insn: Insn) -> None:
    text = format_insn(insn, "gas")
    prog = assemble(text, "gas")
    assert prog.insns == [insn], text


@given(programs(symbols=False))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_gas_program_round_trip(prog: ProgramSpec) -> None:
    code = prog.encode()
    assert assemble(disassemble(code, "gas", listing=False), "gas").encode() == code


@given(programs())
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_llvm_and_gas_agree(prog: ProgramSpec) -> None:
    gas = assemble(disassemble(prog, "gas", listing=False), "gas")
    llvm = assemble(disassemble(gas, "llvm", listing=False))
    assert llvm.encode() == prog.encode()


# -- differential: llvm-objdump-19 ----------------------------------------------------------


def llvm_spells(insn: Insn) -> bool:
    """False for the forms whose objdump text pybpf deliberately prints otherwise."""
    op = insn.opcode
    if op == Class.JMP | JmpOp.CALL and insn.src in (CallSrc.LOCAL, CallSrc.KFUNC):
        return False
    if op == LDDW and insn.src and insn.imm >> 32 not in (0,):
        return False
    if op & 7 == Class.LD and op & 0xE0 == Mode.IND and insn.imm:
        return False
    if op & 7 == Class.STX and op & 0xE0 == Mode.ATOMIC and insn.imm in (AtomicOp.LOAD_ACQ,
                                                                          AtomicOp.STORE_REL):
        return False
    return True


_LINE = re.compile(r"^\s*\d+:\t[0-9a-f ]+\t(.*?)(?: <[^<>]*>)?$")


def objdump_texts(code: bytes, tmp: Path) -> list[str]:
    src = tmp / "x.s"
    src.write_text(".text\n" + "".join(
        f".byte {','.join(str(b) for b in code[i:i + 8])}\n" for i in range(0, len(code), 8)))
    obj = tmp / "x.o"
    subprocess.run(["llvm-mc-19", "-triple", "bpfel", "-mcpu=v4", "-filetype=obj", str(src),
                    "-o", str(obj)], check=True, capture_output=True)
    out = subprocess.run(["llvm-objdump-19", "-d", "--mcpu=v4", str(obj)], check=True,
                         capture_output=True, text=True).stdout
    return [m.group(1) for ln in out.splitlines() if (m := _LINE.match(ln))]


@pytest.mark.clang
@given(st.lists(insns().filter(llvm_spells), min_size=1, max_size=60))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_objdump_prints_what_pybpf_prints(tmp_path_factory: pytest.TempPathFactory,
                                          xs: list[Insn]) -> None:
    code = b"".join(i.encode() for i in xs)
    theirs = objdump_texts(code, tmp_path_factory.mktemp("objdump"))
    ours = disassemble(code, listing=False).splitlines()
    assert ours == theirs
