"""The gas-like syntax: oracle pairs against llvm-mc-19, round trips, labels, errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.asm.gas import MNEMONICS, format_insn, format_program, parse
from pybpf.errors import AsmError
from pybpf.isa import (
    CONDITIONAL_JUMPS,
    LDDW,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    Endian,
    Insn,
    JmpOp,
    Mode,
    ProgramSpec,
    PseudoSrc,
    Ref,
    RefKind,
    Size,
    Source,
    problem,
)

# -- a strategy of valid instructions (until pybpf.testing.strategies lands) --------------------

regs = st.integers(0, 10)
s16 = st.one_of(st.sampled_from([0, 1, -1, 8, -8, 0x7FFF, -0x8000]), st.integers(-0x8000, 0x7FFF))
s32 = st.one_of(st.sampled_from([0, 1, -1, 0x7FFFFFFF, -0x80000000, 0xFFFF]),
                st.integers(-0x80000000, 0x7FFFFFFF))
s64 = st.one_of(st.sampled_from([0, -1, 1 << 32, (1 << 63) - 1, -(1 << 63)]),
                st.integers(-(1 << 63), (1 << 63) - 1))
_BIN_OPS = [op for op in AluOp if op not in (AluOp.NEG, AluOp.END)]
_RMW = [op for op in AtomicOp if op not in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)]


@st.composite
def local_insns(draw: st.DrawFn) -> Insn:
    kind = draw(st.sampled_from(["alu_k", "alu_x", "neg", "end", "jcond", "ja", "call", "exit",
                                 "lddw", "ldabs", "ldx", "st", "stx", "atomic"]))
    cls = draw(st.sampled_from([Class.ALU, Class.ALU64]))
    if kind in ("alu_k", "alu_x"):
        op = draw(st.sampled_from(_BIN_OPS))
        off = draw(st.sampled_from([0, 1])) if op in (AluOp.DIV, AluOp.MOD) else 0
        if kind == "alu_k":
            insn = Insn(cls | Source.K | op, draw(regs), 0, off, draw(s32))
        else:
            if op == AluOp.MOV:
                off = draw(st.sampled_from([0, 8, 16] + ([32] if cls == Class.ALU64 else [])))
            insn = Insn(cls | Source.X | op, draw(regs), draw(regs), off)
    elif kind == "neg":
        insn = Insn(cls | AluOp.NEG, draw(regs))
    elif kind == "end":
        source = Endian.TO_LE if cls == Class.ALU64 else draw(st.sampled_from(list(Endian)))
        insn = Insn(cls | AluOp.END | source, draw(regs), imm=draw(st.sampled_from([16, 32, 64])))
    elif kind == "jcond":
        jcls = draw(st.sampled_from([Class.JMP, Class.JMP32]))
        op = draw(st.sampled_from(sorted(CONDITIONAL_JUMPS)))
        if draw(st.booleans()):
            insn = Insn(jcls | Source.X | op, draw(regs), draw(regs), draw(s16))
        else:
            insn = Insn(jcls | op, draw(regs), 0, draw(s16), draw(s32))
    elif kind == "ja":
        which = draw(st.sampled_from(["ja", "gotol", "may_goto"]))
        if which == "ja":
            insn = Insn(Class.JMP | JmpOp.JA, off=draw(s16))
        elif which == "gotol":
            insn = Insn(Class.JMP32 | JmpOp.JA, imm=draw(s32))
        else:
            insn = Insn(Class.JMP | JmpOp.JCOND, off=draw(s16))
    elif kind == "call":
        src = draw(st.sampled_from(list(CallSrc) + ["x"]))
        if src == "x":
            insn = Insn(Class.JMP | JmpOp.CALL | Source.X, draw(regs))
        else:
            off = draw(s16) if src == CallSrc.KFUNC else 0
            insn = Insn(Class.JMP | JmpOp.CALL, 0, src, off, draw(s32))
    elif kind == "exit":
        insn = Insn(Class.JMP | JmpOp.EXIT)
    elif kind == "lddw":
        insn = Insn(LDDW, draw(regs), draw(st.sampled_from(list(PseudoSrc))), 0, draw(s64))
    elif kind == "ldabs":
        size = draw(st.sampled_from([Size.B, Size.H, Size.W]))
        if draw(st.booleans()):
            insn = Insn(Class.LD | Mode.ABS | size, imm=draw(s32))
        else:
            insn = Insn(Class.LD | Mode.IND | size, 0, draw(regs), 0, draw(s32))
    elif kind == "ldx":
        size = draw(st.sampled_from(list(Size)))
        mode = Mode.MEM if size == Size.DW else draw(st.sampled_from([Mode.MEM, Mode.MEMSX]))
        insn = Insn(Class.LDX | mode | size, draw(regs), draw(regs), draw(s16))
    elif kind == "st":
        insn = Insn(Class.ST | Mode.MEM | draw(st.sampled_from(list(Size))), draw(regs), 0,
                    draw(s16), draw(s32))
    elif kind == "stx":
        insn = Insn(Class.STX | Mode.MEM | draw(st.sampled_from(list(Size))), draw(regs),
                    draw(regs), draw(s16))
    else:
        op = draw(st.sampled_from(list(AtomicOp)))
        sizes = [Size.W, Size.DW] if op in _RMW else list(Size)
        insn = Insn(Class.STX | Mode.ATOMIC | draw(st.sampled_from(sizes)), draw(regs),
                    draw(regs), draw(s16), op)
    assert problem(insn) is None, (insn, problem(insn))
    return insn


def _insns() -> st.SearchStrategy[Insn]:
    try:
        from pybpf.testing.strategies import insns
    except ImportError:
        return local_insns()
    return insns()


# -- round trips --------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_insns())
def test_parse_of_format_is_identity(insn: Insn) -> None:
    text = format_insn(insn)
    prog = parse(text)
    assert prog.insns == [insn], text


@settings(max_examples=60, deadline=None)
@given(st.lists(local_insns(), min_size=1, max_size=30))
def test_program_round_trip(insns: list[Insn]) -> None:
    prog = ProgramSpec(insns)
    text = format_program(prog)
    assert parse(text).insns == insns
    assert text.count("\n") == len(insns)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_programs_with_symbols_round_trip(data: st.DataObject) -> None:
    """Labels, map/global/kfunc references survive print -> parse (shared strategy)."""
    strategies = pytest.importorskip("pybpf.testing.strategies")
    prog = data.draw(strategies.programs())
    again = parse(format_program(prog))
    assert again.resolve() == prog.resolve()
    assert again.refs == prog.refs
    assert again.labels == prog.labels


def test_every_mnemonic_is_printed_by_some_instruction() -> None:
    """The printer reaches every family the parser knows (aliases aside)."""
    aliases = {"gotol", "call"} | {m for m in MNEMONICS if m.startswith("swap")} | \
        {m for m in MNEMONICS if m.endswith("64") and not m.startswith(("movsx", "le", "be",
                                                                       "bswap"))}
    printed = set()
    for line in [g for g, _ in _ORACLE] + [g for g, _ in _BEYOND]:
        printed.add(format_insn(parse(line).insns[0]).split()[0])
    missing = sorted(m for m in MNEMONICS - aliases - printed)
    assert not missing, f"no oracle line for {missing}"


# -- oracle: each gas line and its LLVM spelling assemble to the same bytes ----------------------

_ALU_LLVM = {"add": "+=", "sub": "-=", "mul": "*=", "div": "/=", "or": "|=", "and": "&=",
             "lsh": "<<=", "rsh": ">>=", "mod": "%=", "xor": "^=", "mov": "=", "arsh": "s>>=",
             "sdiv": "s/=", "smod": "s%="}
_JMP_LLVM = {"jeq": "==", "jgt": ">", "jge": ">=", "jset": "&", "jne": "!=", "jsgt": "s>",
             "jsge": "s>=", "jlt": "<", "jle": "<=", "jslt": "s<", "jsle": "s<="}
_SIZE_LLVM = {"b": "u8", "h": "u16", "w": "u32", "dw": "u64"}


def _oracle_pairs() -> list[tuple[str, str]]:
    pairs = []
    for name, sym in _ALU_LLVM.items():
        pairs += [(f"{name} %r1, %r2", f"r1 {sym} r2"), (f"{name}32 %r3, %r4", f"w3 {sym} w4"),
                  (f"{name} %r5, -7", f"r5 {sym} -7"), (f"{name}32 %r6, 0x7fffffff",
                                                      f"w6 {sym} 0x7fffffff"),
                  (f"{name}64 %r0, 3", f"r0 {sym} 3")]
    pairs += [("neg %r1", "r1 = -r1"), ("neg32 %r2", "w2 = -w2"), ("neg64 %r3", "r3 = -r3")]
    for w in (8, 16, 32):
        pairs.append((f"movsx{w}64 %r1, %r2", f"r1 = (s{w})r2"))
        if w < 32:
            pairs.append((f"movsx{w}32 %r1, %r2", f"w1 = (s{w})w2"))
    for w in (16, 32, 64):
        pairs += [(f"be{w} %r1", f"r1 = be{w} r1"), (f"le{w} %r2", f"r2 = le{w} r2"),
                  (f"bswap{w} %r3", f"r3 = bswap{w} r3"), (f"swap{w} %r4", f"r4 = bswap{w} r4")]
    pairs += [("lddw %r1, 0x1122334455667788", "r1 = 0x1122334455667788 ll"),
              ("lddw %r2, -1", "r2 = -1 ll"), ("lddw %r0, 5", "r0 = 5 ll")]
    for s, c in _SIZE_LLVM.items():
        pairs += [(f"ldx{s} %r0, [%r1+2]", f"r0 = *({c} *)(r1 + 2)"),
                  (f"ldx{s} %r3, [%r10-8]", f"r3 = *({c} *)(r10 - 8)"),
                  (f"ldx{s} %r3, [%r4]", f"r3 = *({c} *)(r4 + 0)"),
                  (f"st{s} [%r1+2], 5", f"*({c} *)(r1 + 2) = 5"),
                  (f"st{s} [%r10-16], -3", f"*({c} *)(r10 - 16) = -3"),
                  (f"stx{s} [%r10-8], %r1", f"*({c} *)(r10 - 8) = {'r' if s == 'dw' else 'w'}1")]
        if s != "dw":
            pairs += [(f"ldxs{s} %r0, [%r1-2]", f"r0 = *(s{c[1:]} *)(r1 - 2)"),
                      (f"ldabs{s} 12", f"r0 = *({c} *)skb[12]"),
                      (f"ldind{s} %r3, 0", f"r0 = *({c} *)skb[r3]")]
    for suffix, c, r in (("", "u64", "r"), ("32", "u32", "w")):
        for name, sym in (("add", "+="), ("or", "|="), ("and", "&="), ("xor", "^=")):
            pairs += [(f"lock {name}{suffix} [%r10-8], %r1",
                       f"lock *({c} *)(r10 - 8) {sym} {r}1"),
                      (f"lock fetch {name}{suffix} [%r10-8], %r1",
                       f"{r}1 = atomic_fetch_{name}(({c} *)(r10 - 8), {r}1)")]
        bits = "64" if not suffix else "32_32"
        pairs += [(f"lock xchg{suffix} [%r10-8], %r1", f"{r}1 = xchg{suffix}_{bits[-2:]}"
                   f"(r10 - 8, {r}1)"),
                  (f"lock cmpxchg{suffix} [%r10-8], %r1",
                   f"{r}0 = cmpxchg{suffix}_{bits[-2:]}(r10 - 8, {r}0, {r}1)")]
    for name, sym in _JMP_LLVM.items():
        pairs += [(f"{name} %r1, %r2, +3", f"if r1 {sym} r2 goto +3"),
                  (f"{name} %r1, -5, -1", f"if r1 {sym} -5 goto -1"),
                  (f"{name}32 %r1, %r2, +0", f"if w1 {sym} w2 goto +0"),
                  (f"{name}32 %r3, 0x7fff0000, +32767", f"if w3 {sym} 0x7fff0000 goto +32767")]
    pairs += [("ja +3", "goto +3"), ("ja -32768", "goto -32768"), ("ja32 +1000", "gotol +1000"),
              ("gotol -2", "gotol -2"), ("call 5", "call 5"), ("call helper 1", "call 1"),
              ("call bpf_map_lookup_elem", "call 1"), ("call %r2", "callx r2"), ("exit", "exit"),
              ("may_goto +3", "may_goto +3")]
    return pairs


_ORACLE = _oracle_pairs()


@pytest.mark.clang
def test_gas_matches_llvm_mc_on_every_form(tmp_path: Path) -> None:
    gas = "\n".join(g for g, _ in _ORACLE)
    prog = parse(gas)
    assert len(prog.insns) == len(_ORACLE)
    src, obj, raw = tmp_path / "o.s", tmp_path / "o.o", tmp_path / "o.bin"
    src.write_text("\n".join(llvm for _, llvm in _ORACLE) + "\n")
    run = subprocess.run(["llvm-mc-19", "-triple", "bpfel", "-mcpu=v4", "-filetype=obj", "-o",
                          str(obj), str(src)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[:3000]
    subprocess.run(["llvm-objcopy-19", "-O", "binary", "--only-section=.text", str(obj), str(raw)],
                   check=True)
    got = raw.read_bytes()
    pos = 0
    for (g, llvm), insn in zip(_ORACLE, prog.insns, strict=True):
        want = got[pos:pos + 8 * insn.slots]
        assert insn.encode() == want, f"{g!r} -> {insn.encode().hex()}, llvm-mc {llvm!r} -> {want.hex()}"
        pos += 8 * insn.slots
    assert pos == len(got)


#: Forms llvm-mc-19 does not read: checked against the encodings of RFC 9669 / the kernel.
_BEYOND = [
    ("ldacqdw %r1, [%r2+8]", (0xDB, 1, 2, 8, 0x100)),
    ("ldacqb %r1, [%r2]", (0xD3, 1, 2, 0, 0x100)),
    ("strelw [%r1-4], %r2", (0xC3, 1, 2, -4, 0x110)),
    ("call local +4", (0x85, 0, 1, 0, 4)),
    ("call kfunc 1234", (0x85, 0, 2, 0, 1234)),
    ("call runtime 7", (0x85, 0, 2, 0, 7)),
    ("call kfunc 1234, 2", (0x85, 0, 2, 2, 1234)),
    ("lddw %r1, map_fd 3", (0x18, 1, 1, 0, 3)),
    ("lddw %r1, map_value 3, 16", (0x18, 1, 2, 0, (16 << 32) | 3)),
    ("lddw %r1, btf_id 77", (0x18, 1, 3, 0, 77)),
    ("lddw %r1, func -1", (0x18, 1, 4, 0, 0xFFFFFFFF)),
    ("lddw %r1, map_idx 0", (0x18, 1, 5, 0, 0)),
    ("lddw %r1, map_idx_value 2, 8", (0x18, 1, 6, 0, (8 << 32) | 2)),
    ("lddw %r1, map_value 3, -16", (0x18, 1, 2, 0, (0xFFFFFFF0 << 32) | 3)),
    ("mov %r0, 0xffffffff", (0xB7, 0, 0, 0, -1)),
    ("mov %r0, 010", (0xB7, 0, 0, 0, 10)),
    ("stb [%r1 + 0x10], 0x7f", (0x72, 1, 0, 16, 0x7F)),
    ("ldacqh %r1, [%r2-2]", (0xCB, 1, 2, -2, 0x100)),
    ("ldacqw %r1, [%r2]", (0xC3, 1, 2, 0, 0x100)),
    ("strelb [%r1], %r2", (0xD3, 1, 2, 0, 0x110)),
    ("strelh [%r1], %r2", (0xCB, 1, 2, 0, 0x110)),
    ("streldw [%r1], %r2", (0xDB, 1, 2, 0, 0x110)),
]


@pytest.mark.parametrize("gas, fields", _BEYOND)
def test_forms_beyond_llvm(gas: str, fields: tuple[int, int, int, int, int]) -> None:
    insn = parse(gas).insns[0]
    assert insn == Insn(*fields)
    assert parse(format_insn(insn)).insns[0] == insn


# -- labels and symbols --------------------------------------------------------------------------

def test_labels_forward_backward_and_on_the_same_line() -> None:
    text = """
    # comment line
    start: mov %r0, 0      # trailing comment
    lddw %r1, 0x100000000
    loop:
      add %r0, 1
      jlt %r0, 10, loop
      ja32 done
      call local sub
    done: exit
    sub:
      mov %r0, 7
      exit
    """
    prog = parse(text, filename="t.s")
    assert prog.labels == {"start": 0, "loop": 2, "done": 6, "sub": 7}
    ins = prog.insns
    assert ins[3].off == -2  # back to loop
    assert ins[4].imm == 1 and ins[4].opcode == Class.JMP32 | JmpOp.JA
    assert ins[5].imm == 1 and ins[5].src == CallSrc.LOCAL
    assert prog.refs[3].name == "loop" and prog.refs[5].name == "sub"
    assert prog.lines[1].line == 4 and prog.lines[1].filename == "t.s"
    assert prog.resolve() == ins  # offsets already filled in
    again = parse(format_program(prog))
    assert again.insns == ins and again.labels == prog.labels


def test_lddw_counts_two_slots_for_labels() -> None:
    prog = parse("ja end\nlddw %r0, 1\nend: exit")
    assert prog.insns[0].off == 2


def test_implicit_exit_label_only_when_used() -> None:
    assert "exit" not in parse("mov %r0, 0\nexit").labels
    prog = parse("jeq %r1, 0, exit\nmov %r0, 1\nexit\nexit")
    assert prog.labels["exit"] == 2 and prog.insns[0].off == 1
    explicit = parse("ja exit\nexit\nexit: exit")
    assert explicit.insns[0].off == 1


def test_symbolic_maps_kfuncs_and_ksyms() -> None:
    prog = parse("lddw %r1, map_fd events\nlddw %r2, map_value counts, 8\n"
                 "lddw %r3, btf_id bpf_prog_active\ncall kfunc bpf_task_acquire\n"
                 "lddw %r4, global counter, -8\nexit")
    assert prog.refs[0].kind is RefKind.MAP and prog.refs[0].name == "events"
    assert prog.insns[0].src == PseudoSrc.MAP_FD and prog.insns[0].imm == 0
    assert prog.refs[1].offset == 8 and prog.insns[1].imm == 8 << 32
    assert prog.refs[2].kind is RefKind.KSYM
    assert prog.refs[3].kind is RefKind.KFUNC and prog.insns[3].src == CallSrc.KFUNC
    assert prog.refs[4] == Ref(RefKind.GLOBAL, "counter", -8)
    assert prog.insns[4].src == PseudoSrc.MAP_VALUE and prog.insns[4].imm >> 32 == -8
    text = format_program(prog)
    assert "map_fd events" in text and "map_value counts, 8" in text
    assert "call kfunc bpf_task_acquire" in text and "global counter, -8" in text
    assert parse(text).refs == prog.refs


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, line, column, message", [
    ("mvo %r0, 1", 1, 1, "unknown mnemonic 'mvo'.*did you mean mov"),
    ("mov %r11, 1", 1, 5, "register %r11 does not exist"),
    ("mov r1, 1", 1, 5, "spells registers with %"),
    ("mov %r0", 1, 1, "expected 2 operands"),
    ("mov %r0, 1, 2", 1, 13, "expected 2 operands"),
    ("  mov %r0, zz", 1, 12, "expected an immediate"),
    ("mov %r0, 0x100000000", 1, 10, "does not fit in 32 bits"),
    ("ldxw %r0, [%r1+70000]", 1, 16, "does not fit in 16 bits"),
    ("ldxw %r0, %r1", 1, 11, r"memory operand like \[%r1\+8\]"),
    ("ldxw %r0, [%rx+1]", 1, 12, "expected a register"),
    ("exit\nja nowhere", 2, 4, "unknown label 'nowhere'"),
    ("ja end\nexit\nend:", 1, 4, "leaves the program"),
    ("a:\nexit\na: exit", 3, 1, "defined twice"),
    ("lock nand [%r1], %r2", 1, 6, "unknown atomic operation"),
    ("lock", 1, 5, "expected an atomic operation"),
    ("lock add [%r1]", 1, 1, "expected 2 operands"),
    ("call foo_bar", 1, 6, "unknown helper 'foo_bar'"),
    ("call", 1, 1, "expected a call target"),
    ("jeq %r0, 1, +40000", 1, 13, "does not fit in 16 bits"),
    ("jeq %r0, 1", 1, 1, "expected 3 operands"),
    ("lddw %r0, 0x10000000000000000", 1, 11, "does not fit in 64 bits"),
    ("lddw %r0, 1, 2", 1, 14, "a plain lddw takes one"),
    ("lddw %r0, func_id 1", 1, 11, "expected a 64-bit immediate"),
    ("lddw %r0, btf_id 1, 2, 3", 1, 21, "expected 2 operands"),
    ("exit %r0", 1, 6, "exit takes no operand"),
    ("\n\n  neg", 3, 3, "expected 1 operand "),
    ("be17 %r0", 1, 1, "unknown mnemonic"),
    ("movsx3232 %r0, %r1", 1, 1, "unknown mnemonic"),
    ("mov %r0, 1\n   stxw [%r1-8]  , 5", 2, 20, "expected a register"),
    ("ja +0x", 1, 4, "expected a jump target"),
])
def test_malformed_lines_name_file_line_column(text: str, line: int, column: int,
                                               message: str) -> None:
    with pytest.raises(AsmError, match=message) as info:
        parse(text, filename="bad.s")
    err = info.value
    assert (err.filename, err.line, err.column) == ("bad.s", line, column), str(err)
    assert str(err).startswith(f"bad.s:{line}:{column}: ")
    assert "^" in err.caret()


def test_label_too_far_for_a_16_bit_jump() -> None:
    text = "ja far\n" + "mov %r0, 0\n" * 40000 + "far: exit\n"
    with pytest.raises(AsmError, match="use ja32") as info:
        parse(text)
    assert info.value.line == 1
    assert parse(text.replace("ja far", "ja32 far")).insns[0].imm == 40000


# -- cross check with the LLVM syntax (once pybpf.asm.assemble/disassemble exist) ---------------

def _asm_api():
    asm = pytest.importorskip("pybpf.asm")
    if not hasattr(asm, "assemble") or not hasattr(asm, "disassemble"):
        pytest.skip("pybpf.asm.assemble/disassemble not there yet")
    return asm


@settings(max_examples=150, deadline=None)
@given(_insns())
def test_llvm_and_gas_agree(insn: Insn) -> None:
    asm = _asm_api()
    prog = ProgramSpec([insn])
    via_gas = asm.assemble(asm.disassemble(prog, syntax="gas", listing=False), syntax="gas")
    via_llvm = asm.assemble(asm.disassemble(prog, syntax="llvm", listing=False), syntax="llvm",
                            check_targets=False)
    assert via_gas.encode() == via_llvm.encode() == insn.encode()
