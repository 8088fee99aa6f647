"""The Python builder API: every builder against the LLVM text that means the same."""

from __future__ import annotations

import inspect

import pytest

from pybpf.asm import assemble, disassemble
from pybpf.asm.builder import (
    JGT,
    JSLE,
    R0,
    R1,
    R2,
    R3,
    R10,
    Add,
    And,
    ArSh,
    Atomic,
    Call,
    Div,
    Exit,
    GotoL,
    Ja,
    JEq,
    JSet,
    LdAbs,
    LdInd,
    Ldsx,
    Ldx,
    LoadFunc,
    LoadImm64,
    LoadKsym,
    LoadMapPtr,
    LoadMapValue,
    LSh,
    MayGoto,
    Mod,
    Mov,
    Mul,
    Neg,
    Op,
    Or,
    ProgramBuilder,
    RSh,
    SDiv,
    SMod,
    St,
    Stx,
    Sub,
    Swap,
    Xor,
)
from pybpf.errors import AsmError
from pybpf.isa import Ref, RefKind

CASES: list[tuple[Op, str]] = [
    (Mov.imm(R0, 1), "r0 = 1"), (Mov.imm32(R1, -1), "w1 = -1"), (Mov.reg(R1, R2), "r1 = r2"),
    (Mov.reg32(R1, R2), "w1 = w2"), (Mov.sx(R1, R2, 8), "r1 = (s8)r2"),
    (Mov.sx(R1, R2, 32), "r1 = (s32)r2"), (Mov.sx32(R1, R2, 16), "w1 = (s16)w2"),
    (Add.imm(R1, 8), "r1 += 8"), (Sub.reg(R1, R2), "r1 -= r2"), (Mul.imm32(R3, 3), "w3 *= 3"),
    (Div.reg32(R1, R2), "w1 /= w2"), (SDiv.reg(R1, R2), "r1 s/= r2"), (Mod.imm(R1, 7), "r1 %= 7"),
    (SMod.imm32(R1, 5), "w1 s%= 5"), (Or.imm(R1, 0x10), "r1 |= 16"), (And.reg(R1, R2), "r1 &= r2"),
    (Xor.imm32(R1, 1), "w1 ^= 1"), (LSh.imm(R1, 3), "r1 <<= 3"), (RSh.reg32(R1, R2), "w1 >>= w2"),
    (ArSh.imm(R1, 63), "r1 s>>= 63"), (Neg.reg(R3), "r3 = -r3"), (Neg.reg32(R3), "w3 = -w3"),
    (Swap.le(R1, 16), "r1 = le16 r1"), (Swap.be(R1, 32), "r1 = be32 r1"),
    (Swap.bswap(R1, 64), "r1 = bswap64 r1"),
    (Ldx.w(R0, R1, 8), "w0 = *(u32 *)(r1 + 8)"), (Ldx.dw(R0, R10, -8), "r0 = *(u64 *)(r10 - 8)"),
    (Ldsx.b(R0, R1, 3), "r0 = *(s8 *)(r1 + 3)"), (St.dw(R10, -8, 5), "*(u64 *)(r10 - 8) = 5"),
    (St.b(R1, 0, -1), "*(u8 *)(r1 + 0) = -1"), (Stx.w(R10, -4, R1), "*(u32 *)(r10 - 4) = w1"),
    (Atomic.add(R10, -8, R1), "lock *(u64 *)(r10 - 8) += r1"),
    (Atomic.or_(R10, -4, R1, size="w"), "lock *(u32 *)(r10 - 4) |= w1"),
    (Atomic.and_(R10, -8, R2, fetch=True), "r2 = atomic_fetch_and((u64 *)(r10 - 8), r2)"),
    (Atomic.xor(R10, -4, R2, size="w", fetch=True), "w2 = atomic_fetch_xor((u32 *)(r10 - 4), w2)"),
    (Atomic.xchg(R10, -8, R1), "r1 = xchg_64(r10 - 8, r1)"),
    (Atomic.cmpxchg(R1, 8, R2), "r0 = cmpxchg_64(r1 + 8, r0, r2)"),
    (Atomic.cmpxchg(R1, 8, R2, size="w"), "w0 = cmpxchg32_32(r1 + 8, w0, w2)"),
    (Atomic.load_acquire(R1, R2, 0, size="b"), "w1 = load_acquire((u8 *)(r2 + 0))"),
    (Atomic.store_release(R1, 0, R2), "store_release((u64 *)(r1 + 0), r2)"),
    (Call.helper("map_lookup_elem"), "call 1"), (Call.helper(5), "call bpf_ktime_get_ns"),
    (Call.reg(R2), "callx r2"), (Call.kfunc(1234), "call kfunc(1234)"), (Exit(), "exit"),
    (LoadImm64(R1, 0x1122334455667788), "r1 = 0x1122334455667788 ll"),
    (LdAbs.h(12), "r0 = *(u16 *)skb[12]"), (LdInd.w(R3, 0), "r0 = *(u32 *)skb[r3]"),
]


@pytest.mark.parametrize("op, text", CASES, ids=[t for _, t in CASES])
def test_builder_encodes_like_the_llvm_text(op: Op, text: str) -> None:
    assert op.insn == assemble(text, check_targets=False).insns[0]


def test_labels_maps_and_symbols() -> None:
    b = ProgramBuilder(name="demo", prog_type="socket_filter")
    b.map("counts", "array", 4, 8, 16)
    b.emit(LoadMapPtr(R1, "counts"), LoadMapValue(R2, "counts", 8), LoadKsym(R3, "bpf_prog_active"))
    b.emit(Mov.imm(R0, 0), JEq.imm(R1, 0, "out"), JGT.reg32(R1, R2, "out"),
           JSet.imm(R1, 4, +1), JSLE.reg(R1, R2, "out"))
    b.emit([Call.local("sub"), LoadFunc(R1, "sub"), Call.kfunc("bpf_task_acquire")])
    b.emit(GotoL("out"), MayGoto("out"), Ja("out"))
    b.label("out").emit(Exit())
    b.label("sub")(Mov.imm(R0, 2), Exit())
    prog = b.build()
    text = """
        .map counts array key=4 value=8 max_entries=16
        r1 = counts ll
        r2 = map_value(counts) + 8 ll
        r3 = btf_id(bpf_prog_active) ll
        r0 = 0
        if r1 == 0 goto out
        if w1 > w2 goto out
        if r1 & 4 goto +1
        if r1 s<= r2 goto out
        call sub
        r1 = sub ll
        call bpf_task_acquire
        gotol out
        may_goto out
        goto out
    out:
        exit
    sub:
        r0 = 2
        exit
    """
    ref = assemble(text)
    assert prog.insns == ref.insns
    assert prog.refs == ref.refs and prog.labels == ref.labels and prog.maps == ref.maps
    assert (prog.name, prog.prog_type) == ("demo", "socket_filter")
    assert prog.refs[0] == Ref.map("counts") and prog.refs[2] == Ref(RefKind.KSYM, "bpf_prog_active")
    assert "goto +0x1 <out>" in disassemble(prog)


def test_lines_name_the_python_line_of_each_instruction() -> None:
    here = inspect.currentframe()
    assert here is not None
    first = here.f_lineno + 2
    b = ProgramBuilder()
    b.emit(Mov.imm(R0, 0))
    b.emit(Exit())
    prog = b.build()
    assert [(sl.filename, sl.line) for sl in prog.lines.values()] == [
        (__file__, first), (__file__, first + 1)]
    assert prog.lines[1].text == "b.emit(Exit())"


def test_errors_name_the_python_line() -> None:
    line = inspect.currentframe().f_lineno  # type: ignore[union-attr]
    with pytest.raises(AsmError) as exc:
        Mov.imm(R0, 1 << 40)
    assert (exc.value.filename, exc.value.line) == (__file__, line + 2)
    assert "32 bits" in exc.value.message

    with pytest.raises(AsmError, match="sign-extending MOV"):
        Mov.sx(R1, R2, 7)
    with pytest.raises(AsmError, match="unknown helper 'no_such_helper'"):
        Call.helper("no_such_helper")
    with pytest.raises(AsmError, match="register R0-R10"):
        Mov.reg(R1, 16)
    with pytest.raises(AsmError, match="size must be"):
        Atomic.add(R10, -8, R1, size="q")

    b = ProgramBuilder()
    line = inspect.currentframe().f_lineno  # type: ignore[union-attr]
    b.emit(JEq.imm(R1, 0, "nowhere"), Exit())
    with pytest.raises(AsmError) as exc:
        b.build()
    assert (exc.value.filename, exc.value.line) == (__file__, line + 1)
    assert "unknown label 'nowhere'" in exc.value.message

    b = ProgramBuilder()
    b.emit(Ja(+5), Exit())
    with pytest.raises(AsmError, match="jump out of the program"):
        b.build()
    b = ProgramBuilder().label("x")
    with pytest.raises(AsmError, match="defined twice"):
        b.label("x")
