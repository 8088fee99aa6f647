"""The LLVM / kernel-log assembler: forms LLVM 19 lacks, symbols, errors, the kernel printer.

Encodings of the forms llvm-mc-19 cannot assemble are checked against values
derived by hand from RFC 9669 and the kernel's uapi (``BPF_LOAD_ACQ = 0x100``,
``BPF_STORE_REL = 0x110``, load-acquire ``dst = *(size *)(src + off)``,
store-release ``*(size *)(dst + off) = src``; ``BPF_PSEUDO_CALL = 1``,
``BPF_PSEUDO_KFUNC_CALL = 2``; gotol keeps its target in imm).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble, disassemble, format_insn
from pybpf.asm.llvm import fast as llvm_fast
from pybpf.asm.llvm import parser as llvm_parse
from pybpf.asm.llvm.parser import parse_insn
from pybpf.errors import AsmError
from pybpf.isa import LDDW, Insn, MapSpec, Ref, RefKind
from pybpf.testing import insns


@pytest.mark.parametrize("text, hexbytes", [
    # load-acquire: STX|ATOMIC|size, imm=0x100, dst = value register, src = address
    ("r1 = load_acquire((u64 *)(r2 + 0))", "db21000000010000"),
    ("w1 = load_acquire((u8 *)(r2 + 0))", "d321000000010000"),
    ("w3 = load_acquire((u16 *)(r10 - 8))", "cba3f8ff00010000"),
    ("w0 = load_acquire((u32 *)(r1 + 16))", "c310100000010000"),
    # store-release: imm=0x110, dst = address, src = value register
    ("store_release((u64 *)(r1 + 0), r2)", "db21000010010000"),
    ("store_release((u8 *)(r10 - 1), w5)", "d35affff10010000"),
    # gotol with a 32-bit target in imm (llvm-mc-19 only takes 16 bits)
    ("gotol +100000", "06000000a0860100"),
    ("gotol -2147483648", "0600000000000080"),
    # local call by offset (src=1) and kfunc by BTF id (src=2, module index in off)
    ("call pc+3", "8510000003000000"),
    ("call pc-0x1", "85100000ffffffff"),
    ("call kfunc(1234)", "85200000d2040000"),
    ("call kfunc(0x4d2, 1)", "85200100d2040000"),
    # LD_IND keeps its immediate; ld_pseudo takes the upper half too
    ("r0 = *(u32 *)skb[r3 + 5]", "4030000005000000"),
    ("ld_pseudo r1, 2, 0x800000007", "1821000007000000" "0000000008000000"),
    # clang -S prints the zero-extending move as r2 = w2 (llvm-mc-19 rejects it); clang encodes w2 = w2
    ("r2 = w2", "bc22000000000000"),
    # helpers by name, with and without the bpf_ prefix
    ("call bpf_map_lookup_elem", "8500000001000000"),
    ("call ktime_get_ns", "8500000005000000"),
])
def test_forms_llvm19_cannot_spell(text: str, hexbytes: str) -> None:
    prog = assemble(text, check_targets=False)
    assert prog.encode().hex() == hexbytes
    # and pybpf prints them back the same way
    assert assemble(disassemble(prog, listing=False), check_targets=False).encode() == prog.encode()


def test_listing_layout_is_objdumps() -> None:
    prog = assemble("r0 = 42\nr1 = 0x1122334455667788 ll\nexit")
    assert disassemble(prog) == (
        "       0:\tb7 00 00 00 2a 00 00 00\tr0 = 0x2a\n"
        "       1:\t18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\tr1 = 0x1122334455667788 ll\n"
        "       3:\t95 00 00 00 00 00 00 00\texit")
    assert disassemble(prog, listing=False) == "r0 = 0x2a\nr1 = 0x1122334455667788 ll\nexit"


def test_labels_forward_backward_and_on_the_same_line() -> None:
    prog = assemble("""
        start:  r0 = 0          # comment
                if r1 == 0 goto out   // another
                r1 = 0x1 ll ; semicolon comment
        again:  r0 += 1
                if r0 < 10 goto again
                gotol start
        out:    exit
    """)
    assert prog.labels == {"start": 0, "again": 3, "out": 6}
    assert [i.off for i in prog.insns[:5]] == [0, 5, 0, 0, -2]
    assert prog.insns[5].imm == -7  # gotol: slots, the lddw counts twice
    assert prog.refs[1] == Ref.label("out") and prog.refs[5] == Ref.label("start")
    listing = disassemble(prog)
    assert "0000000000000000 <start>:" in listing and "goto -0x2 <again>" in listing
    assert prog.lines[1].line == 3 and prog.lines[1].column == 17


def test_calls_and_loads_by_name() -> None:
    prog = assemble("""
        .map counts hash key=4 value=8 max_entries=1024 flags=1
        r1 = counts ll
        r2 = map_value(counts) + 8 ll
        r3 = counts + 16 ll
        r4 = my_global + 4 ll
        r5 = btf_id(bpf_prog_active) ll
        r6 = sub ll
        call sub
        call bpf_task_acquire
        exit
    sub:
        r0 = 0
        exit
    """)
    assert prog.maps == {"counts": MapSpec("counts", "hash", 4, 8, 1024, 1)}
    ins, refs = prog.insns, prog.refs
    assert (ins[0].src, refs[0]) == (1, Ref.map("counts"))
    assert (ins[1].src, ins[1].imm >> 32, refs[1]) == (2, 8, Ref.map("counts", 8))
    assert (ins[2].src, refs[2]) == (2, Ref.map("counts", 16))
    assert (ins[3].src, refs[3]) == (2, Ref(RefKind.GLOBAL, "my_global", 4))
    assert (ins[4].src, refs[4]) == (3, Ref(RefKind.KSYM, "bpf_prog_active"))
    assert (ins[5].src, ins[5].imm, refs[5]) == (4, 4, Ref.label("sub"))  # slot 10 -> 15
    assert (ins[6].src, ins[6].imm, refs[6]) == (1, 2, Ref.label("sub"))
    assert (ins[7].src, ins[7].imm, refs[7]) == (2, 0, Ref.kfunc("bpf_task_acquire"))
    text = disassemble(prog, listing=False)
    again = assemble(text)
    assert (again.insns, again.refs, again.maps, again.labels) == (
        prog.insns, prog.refs, prog.maps, prog.labels)


@pytest.mark.parametrize("text, line, column, message", [
    ("mvo r0, 1", 1, 1, "unknown mnemonic 'mvo'"),
    ("r0 = 1\nr11 = 1", 2, 1, "bad register r11"),
    ("r0 = r12", 1, 6, "bad register r12"),
    ("r0 = 4294967296", 1, 6, "out of range"),
    ("w0 = -2147483649", 1, 6, "out of range"),
    ("r0 = *(u32 *)(r1 + 32768)", 1, 20, "offset 32768 out of range"),
    ("r0 = 1 ll ll", 1, 6, "expected NUMBER ll"),
    ("r0 = 0x10000000000000000 ll", 1, 6, "64-bit"),
    ("goto +1\nexit", 1, 1, "jump out of the program"),
    ("if r1 > 2 goto -2\nexit", 1, 1, "jump out of the program"),
    ("r1 = 1 ll\ngoto -2\nexit", 2, 1, "middle of an lddw"),
    ("goto nowhere\nexit", 1, 6, "unknown label 'nowhere'"),
    ("r0 = cmpxchg_64(r1 + 8, r1, r2)", 1, 25, "expected r0"),
    ("r2 = cmpxchg_64(r1 + 8, r0, r3)", 1, 6, "expected r0"),
    ("r0 = atomic_fetch_add((u64 *)(r1 + 0), r2)", 1, 40, "expected r0 = atomic_fetch_add"),
    ("r0 = xchg_64(r1 + 0, r2)", 1, 22, "expected r0 = xchg"),
    ("lock *(u64 *)(r1 + 0) += w2", 1, 26, "u64 atomic needs an r register"),
    ("lock *(u8 *)(r1 + 0) += w2", 1, 9, "u32 and u64 only"),
    ("lock *(u32 *)(r1 + 0) -= w2", 1, 23, "no atomic operation -="),
    ("w1 = r2", 1, 6, "register width mismatch"),
    ("if r1 == w2 goto +0\nexit", 1, 10, "register width mismatch"),
    ("*(u64 *)(r1 + 0) = w2", 1, 20, "u64 store needs an r register"),
    ("w1 = 5 ll", 1, 6, "needs an r register"),
    ("r1 = *(u8 *)skb[3]", 1, 1, "expected r0"),
    ("r1 = le16 r2", 1, 6, "in place"),
    ("w1 = (s32)w2", 1, 6, "64-bit destination"),
    ("a:\na: exit", 2, 1, "defined twice"),
    (".mapp x", 1, 1, "unknown directive"),
    (".map m hash key=4 size=8", 1, 19, "unknown .map field 'size'"),
    ("call", 1, 5, "call needs a target"),
    ("exit 1", 1, 5, "exit takes no operands"),
    ("r1 += foo", 1, 7, "expected an immediate"),
    ("ld_pseudo r1, 9, 0", 1, 15, "ld_pseudo source must be 1-6"),
    ("3: (b7) r0 = 1 ll", 1, 9, "the log says (b7)"),
])
def test_errors_name_file_line_column_and_what_was_expected(
        text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(AsmError) as exc:
        assemble(text, filename="prog.s")
    err = exc.value
    assert (err.filename, err.line, err.column) == ("prog.s", line, column), str(err)
    assert message in err.message
    assert str(err).startswith(f"prog.s:{line}:{column}: ")
    assert err.source == text.split("\n")[line - 1]


@pytest.mark.parametrize("text, insn", [
    ("0: (b7) r0 = 42", Insn(0xB7, 0, 0, 0, 42)),
    ("12: (85) call bpf_map_lookup_elem#1", Insn(0x85, imm=1)),
    ("(85) call unknown#99999", Insn(0x85, imm=99999)),
    ("(85) call kernel-function#123", Insn(0x85, src=2, imm=123)),
    ("(85) call pc+3", Insn(0x85, src=1, imm=3)),
    ("(05) goto pc-1", Insn(0x05, off=-1)),
    ("(25) if r1 > 0xffffffff goto pc+2", Insn(0x25, 1, 0, 2, -1)),
    ("(18) r1 = 0x1122334455667788", Insn(LDDW, 1, 0, 0, 0x1122334455667788)),
    ("(7b) *(u64 *)(r10 -8) = r1", Insn(0x7B, 10, 1, -8)),
    ("(61) r0 = *(u32 *)(r1 +8)", Insn(0x61, 0, 1, 8)),
    ("(db) r0 = atomic64_cmpxchg((u64 *)(r1 +8), r0, r2)", Insn(0xDB, 1, 2, 8, 0xF1)),
    ("(c3) r3 = atomic_fetch_add((u32 *)(r10 -4), r3)", Insn(0xC3, 10, 3, -4, 0x01)),
    ("(db) r1 = atomic64_xchg((u64 *)(r10 -8), r1)", Insn(0xDB, 10, 1, -8, 0xE1)),
    ("(d4) r1 = le16 r1", Insn(0xD4, 1, imm=16)),
    ("(40) r0 = *(u32 *)skb[r3 + 5]", Insn(0x40, 0, 3, 0, 5)),
])
def test_kernel_log_lines_assemble(text: str, insn: Insn) -> None:
    assert assemble(text, check_targets=False).insns == [insn]


@pytest.mark.parametrize("insn, text", [
    (Insn(0xB7, 0, 0, 0, 42), "(b7) r0 = 42"),
    (Insn(0xB4, 1, 0, 0, -1), "(b4) w1 = -1"),
    (Insn(0xBF, 1, 2, 8), "(bf) r1 = (s8)r2"),
    (Insn(0x3F, 1, 2, 1), "(3f) r1 s/= r2"),
    (Insn(0x84, 3), "(84) w3 = -w3"),
    (Insn(0xDC, 1, imm=32), "(dc) r1 = be32 r1"),
    (Insn(0xD7, 1, imm=64), "(d7) r1 = bswap64 r1"),
    (Insn(0x7B, 10, 1, -8), "(7b) *(u64 *)(r10 -8) = r1"),
    (Insn(0x62, 10, 0, -4, 7), "(62) *(u32 *)(r10 -4) = 7"),
    (Insn(0x71, 0, 1, 0), "(71) r0 = *(u8 *)(r1 +0)"),
    (Insn(0x91, 0, 1, 3), "(91) r0 = *(s8 *)(r1 +3)"),
    (Insn(0xC3, 10, 1, -8, 0x40), "(c3) lock *(u32 *)(r10 -8) |= r1"),
    (Insn(0xDB, 10, 1, -8, 0x01), "(db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)"),
    (Insn(0xDB, 1, 2, 8, 0xF1), "(db) r0 = atomic64_cmpxchg((u64 *)(r1 +8), r0, r2)"),
    (Insn(0xDB, 2, 1, 0, 0x100), "(db) r2 = load_acquire((u64 *)(r1 +0))"),
    (Insn(0xD3, 1, 2, 0, 0x110), "(d3) store_release((u8 *)(r1 +0), r2)"),
    (Insn(0x85, imm=1), "(85) call bpf_map_lookup_elem#1"),
    (Insn(0x85, src=1, imm=-3), "(85) call pc-3"),
    (Insn(0x05, off=2), "(05) goto pc+2"),
    (Insn(0x06, imm=5), "(06) gotol pc+5"),
    (Insn(0xE5, off=3), "(e5) may_goto pc+3"),
    (Insn(0x25, 1, 0, 2, 5), "(25) if r1 > 0x5 goto pc+2"),
    (Insn(0x16, 1, 0, -1, -1), "(16) if w1 == 0xffffffff goto pc-1"),
    (Insn(0x2D, 1, 2, 2), "(2d) if r1 > r2 goto pc+2"),
    (Insn(LDDW, 1, 0, 0, 0x1122334455667788), "(18) r1 = 0x1122334455667788"),
    (Insn(0x30, imm=5), "(30) r0 = *(u8 *)skb[5]"),
    (Insn(0x95), "(95) exit"),
])
def test_kernel_printer(insn: Insn, text: str) -> None:
    assert format_insn(insn, "kernel") == text


def _kernel_text_is_complete(insn: Insn) -> bool:
    """The kernel log drops lddw pseudo sources and a kfunc's module index."""
    if insn.opcode == LDDW and insn.src:
        return False
    return not (insn.opcode == 0x85 and insn.src == 2 and insn.off)


@given(insns().filter(_kernel_text_is_complete))
@settings(max_examples=300)
def test_kernel_text_reads_back(insn: Insn) -> None:
    assert parse_insn(format_insn(insn, "kernel")) == insn


def test_kernel_listing_layout() -> None:
    prog = assemble("r0 = 42\nexit")
    assert disassemble(prog, "kernel") == "0: (b7) r0 = 42\n1: (95) exit"
    assert disassemble(prog, "kernel", listing=False) == "(b7) r0 = 42\n(95) exit"


def _full(text: str) -> tuple[Insn, int, str | None]:
    """The full parser's instruction, column and label operand for one line (a short text
    never takes the fast path); a label the line jumps to is defined after it."""
    assert text.count("\n") < llvm_parse._FAST_FROM_LINES
    hit = llvm_fast.fast_insn(text)
    tail = f"\n{hit[3]}: exit" if hit is not None and hit[3] is not None else ""
    prog = llvm_parse.parse(text + tail, check_targets=False)
    ref = prog.refs.get(0)
    insn = prog.insns[0]
    if ref is not None and ref.kind == RefKind.LABEL:
        insn = insn._replace(off=0) if insn.opcode != 0x06 else insn._replace(imm=0)
    return insn, prog.lines[0].column, ref.name if ref is not None else None


@given(insns())
@settings(max_examples=300)
def test_fast_and_full_parsers_agree(insn: Insn) -> None:
    """fast_insn (which only programs of _FAST_FROM_LINES lines or more use) reads every
    line it accepts as the full parser does: instruction, column, label operand."""
    text = format_insn(insn)
    for t in (text, "\t" + text, text.replace(" ", "  "), "  " + text + "\t"):
        hit = llvm_fast.fast_insn(t)
        if hit is not None:
            assert (hit[0], hit[1], hit[3]) == _full(t)
            assert hit[0] == insn


@pytest.mark.parametrize("line", [
    "r1 += 7", "\tw2 = w3", "r0 = -0x10", "w1 s/= w3", "if r1 > r2 goto L1", "if w3 s< -1 goto +3",
    "goto L1", "gotol -2", "may_goto +0", "call 17", "exit", "r1 = 0x1122334455667788 ll",
    "r1 = *(u32 *)(r2 - 8)", "*(u16 *)(r10 - 8) = 7", "*(u64 *)(r10 - 8) = r1",
    "lock *(u64 *)(r10 - 8) += r1", "r0 = *(u8 *)skb[r1]", "r1 = -r1", "r1 = (s8)r2",
    "r1 = be16 r1", "r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)", "r0 = cmpxchg_64(r10 - 8, r0, r2)",
    "w1 = -w1", "w1 = (s16)w2", "r1 = bswap64 r1", "w2 = atomic_fetch_xor((u32 *)(r1 + 0x10), w2)",
    "r1 = xchg_64(r10 - 8, r1)", "w1 = xchg32_32(r10 - 8, w1)", "w0 = cmpxchg32_32(r1 + 8, w0, w3)",
    "r0 = *(u32 *)skb[12]", "r0 = -1 ll",
])
def test_fast_path_takes_the_common_shapes(line: str) -> None:
    hit = llvm_fast.fast_insn(line)
    assert hit is not None and (hit[0], hit[1], hit[3]) == _full(line)


_PIECES = ["", " ", "\t", "x", "1", "9", "-", "+", "r", "w", "r11", "0o7", "1_0", "007", "0b1",
           "=", "==", ",", "(", ")", "*", "#c", "ll", "goto", "L", "s", "u8", "0x", "\u0663", "ff"]


@given(insns(), st.integers(0, 48), st.sampled_from(_PIECES), st.integers(0, 3))
@example(Insn(0xDB, 10, 1, -8, 0), 25, "-", 1)  # lock ... -= r1 (was a KeyError in the fast path)
@settings(max_examples=600)
def test_fast_path_accepts_nothing_the_full_parser_refuses(insn: Insn, pos: int, piece: str,
                                                           cut: int) -> None:
    """A line damaged by an inserted or deleted piece: the fast path either declines (the
    full parser then answers) or reads it exactly as the full parser does."""
    text = format_insn(insn)
    t = text[:pos] + piece + text[pos + cut:]
    hit = llvm_fast.fast_insn(t)
    if hit is not None:
        assert (hit[0], hit[1], hit[3]) == _full(t)


# # -- the kernel's own log -------------------------------------------------------------------

_KERNEL_PROGRAMS = ["""
    r6 = r1
    r1 = 0
    *(u64 *)(r10 - 8) = r1
    r0 = *(u8 *)skb[12]
    r0 = *(u16 *)skb[r6 + 0]
    w0 = *(u32 *)(r6 + 0)
    r1 = 1
    if r0 > 5 goto +2
    if w0 == -1 goto +1
    lock *(u64 *)(r10 - 8) += r1
    r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)
    r0 = cmpxchg_64(r10 - 8, r0, r1)
    r1 = xchg_64(r10 - 8, r1)
    w1 = atomic_fetch_or((u32 *)(r10 - 8), w1)
    r3 = 0x1122334455667788 ll
    r4 = -1
    r5 = r4
    w5 = w4
    w5 += 7
    r4 = -r4
    w4 = -w4
    *(u32 *)(r10 - 16) = 7
    *(u8 *)(r10 - 12) = w4
    r4 = *(s16 *)(r10 - 16)
    r4 = *(s8 *)(r10 - 16)
    if r4 s> r5 goto +0
    if w4 & 0x80 goto +0
    goto +0
    r3 = be16 r3
    r3 = bswap32 r3
    r3 s/= 3
    r3 = (s8)r3
    call bpf_get_prandom_u32
    r0 = 0
    exit
""", """
    r1 = 5
    *(u64 *)(r10 - 8) = r1
    r2 = load_acquire((u64 *)(r10 - 8))
    w3 = load_acquire((u8 *)(r10 - 8))
    store_release((u32 *)(r10 - 8), w3)
    call sub
    if r0 > 3 goto +1
    gotol +1
    r0 = 1
    may_goto +0
    w0 = 3
    w0 s%= 2
    w0 = (s16)w0
    r0 = le64 r0
    exit
sub:
    r0 = 0
    exit
"""]
_LOG_INSN = re.compile(r"^(\d+): (\([0-9a-f]{2}\) .*?)(?:\s+;.*)?$")
_LOG_LIVE = re.compile(r"^\s*(\d+): [0-9.]{10} (\([0-9a-f]{2}\) .*?)\s*$")


@pytest.mark.kernel
@pytest.mark.parametrize("src", _KERNEL_PROGRAMS, ids=["alu-mem-atomics", "calls-acq-rel"])
def test_kernel_printer_matches_the_verifier_log(src: str) -> None:
    from pybpf.kernel.prog import LoadOptions, load

    prog = assemble(src)
    ours = dict(line.split(": ", 1) for line in disassemble(prog, "kernel").splitlines())
    with load(prog, "socket_filter", options=LoadOptions(log_level=2)) as loaded:
        log = loaded.log
    seen: set[str] = set()
    for line in log.splitlines():
        m = _LOG_INSN.match(line) or _LOG_LIVE.match(line)
        if m is None:
            continue
        slot, text = m.groups()
        assert ours[slot] == text, f"slot {slot}: kernel {text!r}, pybpf {ours[slot]!r}"
        seen.add(slot)
    assert seen == set(ours), f"not in the log: {sorted(set(ours) - seen)}"


# -- clang's own assembly output -------------------------------------------------------------

_C_PROGRAMS = {
    "loops": """
        typedef unsigned long long u64;
        __attribute__((section("socket"), used)) int prog(void *ctx) {
            volatile u64 x = 5;
            u64 s = 0;
            for (int i = 0; i < 10; i++) s += x * i;
            if (s > 100) return 1;
            return (int)(s >> 2);
        }""",
    "atomics-signed": """
        typedef long long s64; typedef int s32; typedef short s16; typedef signed char s8;
        static inline s64 sub(s64 a, s32 b) { return a / b + (a % 7) + (s32)(a >> 3); }
        __attribute__((section("xdp"), used)) int prog(void *ctx) {
            volatile s64 v = -3; volatile s8 c = -2; volatile s16 h = 9;
            __sync_fetch_and_add(&v, 4);
            s64 old = __sync_fetch_and_or(&v, 1);
            __sync_val_compare_and_swap(&v, old, 11);
            __atomic_exchange_n(&v, 2, __ATOMIC_SEQ_CST);
            s64 r = sub(v, c) + (s64)h;
            switch (r & 3) { case 0: return 1; case 1: return (s32)(r >> 40); default: return -1; }
        }""",
}


@pytest.mark.clang
@pytest.mark.parametrize("name", sorted(_C_PROGRAMS))
def test_clang_assembly_output_assembles_to_clangs_bytes(name: str, tmp_path) -> None:
    import subprocess

    c = tmp_path / "p.c"
    c.write_text(_C_PROGRAMS[name])
    flags = ["clang-19", "-target", "bpf", "-O2", "-mcpu=v4"]
    subprocess.run([*flags, "-S", str(c), "-o", str(tmp_path / "p.s")], check=True)
    subprocess.run([*flags, "-c", str(c), "-o", str(tmp_path / "p.o")], check=True)
    prog = assemble((tmp_path / "p.s").read_text(), filename="p.s")
    section = prog.section
    assert section in ("socket", "xdp")
    subprocess.run(["llvm-objcopy-19", "-O", "binary", f"--only-section={section}",
                    str(tmp_path / "p.o"), str(tmp_path / "p.bin")], check=True)
    assert prog.encode() == (tmp_path / "p.bin").read_bytes()


# -- malformed text never escapes as anything but AsmError -----------------------------------

_PIECES = st.sampled_from(
    list("rw0123456789 +-*/=<>&|^%()[]:;#.,xlabcdefgikmnopstu_\t")
    + ["ll", "goto ", "if ", "lock ", "call ", "*(u32 *)", "skb[", "0x", "s>>", "pc+", "(b7) ",
       "12: ", ".map ", "atomic_fetch_add(", "cmpxchg_64(", "map_value(", "btf_id(", "kfunc(",
       "#1", "kernel-function", "load_acquire((u8 *)", "store_release(", "ld_pseudo ", "(s8)",
       "07", "0b1", "L1", "L1:"])


@st.composite
def _mangled(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        text = format_insn(draw(insns()))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, len(text)))
        return text[:i] + "".join(draw(st.lists(_PIECES, max_size=3))) + text[j:]
    return "".join(draw(st.lists(_PIECES, max_size=12)))


@given(st.lists(_mangled(), min_size=1, max_size=4))
@example(["lock *(u32 *)(r0 + 0) -= r1"])  # the operator the pattern reads but no atomic has
@settings(max_examples=400)
def test_malformed_text_raises_only_asm_error(lines: list[str]) -> None:
    try:
        prog = assemble("\n".join(lines), filename="fuzz.s")
    except AsmError as e:
        assert e.filename == "fuzz.s" and e.line is not None and 1 <= e.line <= len(lines)
        assert e.column is None or e.column >= 1
    else:
        assert prog.encode() is not None
