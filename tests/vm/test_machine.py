"""The VM's instruction semantics: arithmetic, jumps, loads/stores, atomics, calls, limits."""
from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble
from pybpf.asm.gas import parse as gas
from pybpf.errors import VMFault
from pybpf.isa import AluOp, AtomicOp, Class, Insn, JmpOp, Mode, ProgramSpec, Size, Source
from pybpf.isa.opcodes import EXIT, LDDW
from pybpf.testing.strategies import programs
from pybpf.vm import VM, alu_function, jump_function
from pybpf.vm.alu import M32, M64, s32, s64

u64 = st.integers(0, M64)
edge64 = st.sampled_from([0, 1, 2, 31, 32, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                          1 << 63, (1 << 63) - 1, M64, M64 - 1, 0x100000000])
val64 = st.one_of(u64, edge64)


def run(text: str, **kw) -> int:
    return VM().run(assemble(text), **kw).r0


def lddw(dst: int, value: int) -> Insn:
    return Insn(LDDW, dst=dst, imm=value & M64)


# -- arithmetic ----------------------------------------------------------------------------
ALU_OPS = [(op, signed) for op in AluOp if op not in (AluOp.END, AluOp.NEG)
           for signed in ((False, True) if op in (AluOp.DIV, AluOp.MOD) else (False,))]


@settings(max_examples=300, deadline=None)
@given(opsig=st.sampled_from(ALU_OPS), is64=st.booleans(), use_reg=st.booleans(), a=val64,
       b=val64, imm=st.integers(-(1 << 31), (1 << 31) - 1))
def test_alu_handler_matches_semantics(opsig, is64, use_reg, a, b, imm):
    """The compiled handler (K and X forms) computes what alu_function says."""
    op, signed = opsig
    cls = Class.ALU64 if is64 else Class.ALU
    off = 1 if signed else 0
    if use_reg:
        insn = Insn(cls | op | Source.X, dst=0, src=1, off=off)
        operand = b
    else:
        insn = Insn(cls | op | Source.K, dst=0, imm=imm, off=off)
        operand = imm & (M64 if is64 else M32)
    r0 = VM().run(ProgramSpec([lddw(0, a), lddw(1, b), insn, Insn(EXIT)])).r0
    assert r0 == alu_function(op, is64=is64, signed=signed)(a, operand)
    if not is64:
        assert r0 <= M32, "32-bit results are zero-extended"


@settings(max_examples=300, deadline=None)
@given(a=val64, b=val64)
def test_signed_division_identities(a, b):
    for width, sdiv, smod, sx, mask in (
            (64, alu_function(AluOp.DIV, is64=True, signed=True),
             alu_function(AluOp.MOD, is64=True, signed=True), s64, M64),
            (32, alu_function(AluOp.DIV, is64=False, signed=True),
             alu_function(AluOp.MOD, is64=False, signed=True), s32, M32)):
        q, r = sdiv(a, b), smod(a, b)
        sa, sb = sx(a), sx(b)
        if sb == 0:
            assert q == 0 and r == a & mask, width
            continue
        assert (sx(q) * sb + sx(r)) & mask == sa & mask  # wraps for INT_MIN / -1
        assert abs(sx(r)) < abs(sb)
        assert sx(r) == 0 or (sx(r) < 0) == (sa < 0)  # sign of the dividend
        if not (sa == -(1 << (width - 1)) and sb == -1):
            assert abs(sx(q)) == abs(sa) // abs(sb)  # truncation toward zero


@settings(max_examples=200, deadline=None)
@given(a=val64, b=val64)
def test_unsigned_division_and_shifts(a, b):
    div64 = alu_function(AluOp.DIV, is64=True)
    mod64 = alu_function(AluOp.MOD, is64=True)
    div32 = alu_function(AluOp.DIV, is64=False)
    mod32 = alu_function(AluOp.MOD, is64=False)
    assert div64(a, b) == (a // b if b else 0)
    assert mod64(a, b) == (a % b if b else a)
    a32, b32 = a & M32, b & M32
    assert div32(a, b) == (a32 // b32 if b32 else 0)
    assert mod32(a, b) == (a32 % b32 if b32 else a32)
    for op in (AluOp.LSH, AluOp.RSH, AluOp.ARSH):
        f64, f32 = alu_function(op, is64=True), alu_function(op, is64=False)
        assert f64(a, b) == f64(a, b & 63) and f32(a, b) == f32(a, b & 31)
    assert alu_function(AluOp.ARSH, is64=True)(a, b) == (s64(a) >> (b & 63)) & M64
    assert alu_function(AluOp.ARSH, is64=False)(a, b) == (s32(a) >> (b & 31)) & M32


def test_isa_edge_cases():
    assert run("r0 = 7\nr1 = 0\nr0 /= r1\nexit") == 0
    assert run("r0 = 7\nr1 = 0\nr0 %= r1\nexit") == 7
    assert run("r0 = -1\nr1 = 0\nw0 %= w1\nexit") == M32  # dst unchanged, zero-extended
    assert run("r0 = -7\nr1 = 0\nr0 s/= r1\nexit") == 0
    assert run("r0 = -7\nr1 = 0\nr0 s%= r1\nexit") == (-7) & M64
    assert run("r0 = 0x80000000 ll\nr0 <<= 32\nr0 s/= -1\nexit") == 1 << 63
    assert run("r0 = 0x80000000 ll\nr0 <<= 32\nr0 s%= -1\nexit") == 0
    assert run("w0 = -7\nw0 s%= 2\nexit") == (-1) & M32
    assert run("r0 = 1\nr0 <<= 65\nexit".replace("65", "1")) == 2
    assert run("r1 = 0xff80 ll\nr0 = (s8)r1\nexit") == (-128) & M64
    assert run("r1 = 0xff80 ll\nw0 = (s16)w1\nexit") == 0xFF80 | 0xFFFF0000
    assert run("r0 = 0x1122334455667788 ll\nr0 = be16 r0\nexit") == 0x8877
    assert run("r0 = 0x1122334455667788 ll\nr0 = le32 r0\nexit") == 0x55667788
    assert run("r0 = 0x1122334455667788 ll\nr0 = bswap64 r0\nexit") == 0x8877665544332211
    assert run("w0 = 0x80000000\nw0 = -w0\nexit") == 0x80000000
    assert run("r0 = 1\nr0 = -r0\nexit") == M64


# -- jumps ---------------------------------------------------------------------------------
JMP_OPS = [op for op in JmpOp if op not in (JmpOp.JA, JmpOp.CALL, JmpOp.EXIT, JmpOp.JCOND)]


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from(JMP_OPS), is64=st.booleans(), use_reg=st.booleans(), a=val64, b=val64,
       imm=st.integers(-(1 << 31), (1 << 31) - 1))
def test_jump_handler_matches_reference(op, is64, use_reg, a, b, imm):
    cls = Class.JMP if is64 else Class.JMP32
    if use_reg:
        insn = Insn(cls | op | Source.X, dst=1, src=2, off=1)
        operand = b
    else:
        insn = Insn(cls | op | Source.K, dst=1, imm=imm, off=1)
        operand = imm & M64
    prog = ProgramSpec([lddw(1, a), lddw(2, b), Insn(Class.ALU64 | AluOp.MOV, dst=0, imm=0), insn,
                    Insn(EXIT), Insn(Class.ALU64 | AluOp.MOV, dst=0, imm=1), Insn(EXIT)])
    taken = VM().run(prog).r0 == 1
    assert taken == jump_function(op, is64=is64)(a, operand)
    # independent reference: Python comparisons of the signed/unsigned values
    width = 64 if is64 else 32
    mask = (1 << width) - 1
    ua, ub = a & mask, operand & mask
    sa, sb = (s64(ua), s64(ub)) if is64 else (s32(ua), s32(ub))
    ref = {JmpOp.JEQ: ua == ub, JmpOp.JNE: ua != ub, JmpOp.JGT: ua > ub, JmpOp.JGE: ua >= ub,
           JmpOp.JLT: ua < ub, JmpOp.JLE: ua <= ub, JmpOp.JSET: bool(ua & ub),
           JmpOp.JSGT: sa > sb, JmpOp.JSGE: sa >= sb, JmpOp.JSLT: sa < sb,
           JmpOp.JSLE: sa <= sb}[op]
    assert taken == ref


def test_gotol_and_lddw_slots():
    assert run("gotol +2\nr0 = 1\nexit\nr0 = 2\nexit") == 2
    assert run("r0 = 5\nif r0 == 5 goto +2\nr0 = 0x1 ll\nexit") == 5


# -- memory --------------------------------------------------------------------------------
def test_loads_stores_and_sign_extension():
    res = VM().run(assemble(
        "r2 = 0x8899aabbccddeeff ll\n*(u64 *)(r1 + 0) = r2\n*(u8 *)(r1 + 8) = 0x80\n"
        "r0 = *(s8 *)(r1 + 8)\nr3 = *(s16 *)(r1 + 0)\nr4 = *(s32 *)(r1 + 4)\n"
        "*(u16 *)(r10 - 2) = 0x1234\nr5 = *(u16 *)(r10 - 2)\nexit"), mem=bytearray(9))
    assert res.r0 == (-128) & M64
    assert res.mem == bytes.fromhex("ffeeddccbbaa998880")


def test_mem_bytearray_is_updated_in_place():
    buf = bytearray(4)
    VM().run(assemble("*(u32 *)(r1 + 0) = 0x01020304\nr0 = 0\nexit"), mem=buf)
    assert buf == bytes([4, 3, 2, 1])


@pytest.mark.parametrize("text, region, offset, what", [
    ("r0 = *(u32 *)(r1 + 2)\nexit", "mem", 2, "out of bounds"),
    ("*(u8 *)(r1 + -1) = 1\nr0 = 0\nexit", "mem", -1, "out of bounds"),
    ("r0 = *(u64 *)(r10 - 520)\nexit", "stack frame 0", -520, "out of bounds"),
    ("*(u64 *)(r10 + 0) = r1\nr0 = 0\nexit", "stack frame 0", 0, "out of bounds"),
    ("r1 = 0\nr0 = *(u8 *)(r1 + 16)\nexit", None, 16, "null pointer"),
    ("r1 = 0x7f0000000000 ll\nr0 = *(u8 *)(r1 + 0)\nexit", None, None, "wild access"),
])
def test_faults_name_region_and_offset(text, region, offset, what):
    with pytest.raises(VMFault) as info:
        VM().run(assemble(text), mem=b"abcd")
    e = info.value
    assert what in str(e)
    assert e.region == region and e.offset == offset
    assert e.pc is not None and e.insn and "insn" in str(e)


def test_readonly_context():
    with pytest.raises(VMFault, match="read-only") as info:
        VM().run(assemble("*(u32 *)(r1 + 0) = 1\nr0 = 0\nexit"), ctx=bytes(8))
    assert info.value.region == "context"
    assert VM().run(assemble("*(u32 *)(r1 + 0) = 1\nr0 = *(u32 *)(r1 + 0)\nexit"), ctx=bytes(8),
                    ctx_writable=True).r0 == 1


@settings(max_examples=150, deadline=None)
@given(off=st.integers(-0x8000, 0x7FFF), size=st.sampled_from(list(Size)),
       base=st.sampled_from([1, 10]), store=st.booleans())
def test_any_access_is_a_value_or_a_vmfault(off, size, base, store):
    """Never an IndexError: in-bounds accesses work, the rest are VMFaults naming the region."""
    n = size.nbytes
    if store:
        insn = Insn(Class.STX | size | Mode.MEM, dst=base, src=2, off=off)
    else:
        insn = Insn(Class.LDX | size | Mode.MEM, dst=0, src=base, off=off)
    prog = ProgramSpec([Insn(Class.ALU64 | AluOp.MOV, dst=0, imm=0), insn, Insn(EXIT)])
    lo, hi = (0, 64) if base == 1 else (-512, 0)
    inside = lo <= off and off + n <= hi
    try:
        VM().run(prog, mem=bytes(64))
    except VMFault as e:
        assert not inside
        assert e.region == ("mem" if base == 1 else "stack frame 0")
        assert e.offset == off
    else:
        assert inside


# -- atomics -------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(aop=st.sampled_from([AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR,
                            AtomicOp.FETCH_ADD, AtomicOp.FETCH_OR, AtomicOp.FETCH_AND,
                            AtomicOp.FETCH_XOR, AtomicOp.XCHG]),
       is64=st.booleans(), old=val64, v=val64)
def test_atomic_read_modify_write(aop, is64, old, v):
    size = Size.DW if is64 else Size.W
    mask = M64 if is64 else M32
    prog = ProgramSpec([lddw(1, v), Insn(Class.STX | size | Mode.ATOMIC, dst=10, src=1, off=-8,
                                     imm=aop), Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=0,
                                                    src=1), Insn(EXIT)])
    mem = bytearray(old.to_bytes(8, "little"))
    # address the value through r10: copy it to the stack first
    pre = [lddw(2, old), Insn(Class.STX | Size.DW | Mode.MEM, dst=10, src=2, off=-8)]
    post = [Insn(Class.LDX | Size.DW | Mode.MEM, dst=3, src=10, off=-8),
            Insn(Class.STX | Size.DW | Mode.MEM, dst=4, src=3)]
    prog = ProgramSpec([Insn(Class.ALU64 | AluOp.MOV | Source.X, dst=4, src=1)] + pre
                   + prog.insns[:-2] + post + prog.insns[-2:])
    res = VM().run(prog, mem=mem)
    after = int.from_bytes(res.mem, "little")
    base = {AtomicOp.ADD: lambda a, b: a + b, AtomicOp.OR: lambda a, b: a | b,
            AtomicOp.AND: lambda a, b: a & b, AtomicOp.XOR: lambda a, b: a ^ b}
    if aop == AtomicOp.XCHG:
        new = v & mask
    else:
        new = base[AtomicOp(aop & ~1)](old & mask, v & mask) & mask
    assert after & mask == new
    assert after >> (64 if is64 else 32) == (0 if is64 else old >> 32)  # rest untouched
    assert res.r0 == ((old & mask) if aop.fetches else v)


def test_cmpxchg_and_acquire_release():
    prog = assemble("""
        r1 = 5
        *(u64 *)(r10 - 8) = r1
        r0 = 4
        r2 = 9
        r0 = cmpxchg_64(r10 - 8, r0, r2)
        r3 = *(u64 *)(r10 - 8)
        if r3 != 5 goto fail
        if r0 != 5 goto fail
        r0 = cmpxchg_64(r10 - 8, r0, r2)
        r3 = *(u64 *)(r10 - 8)
        if r3 != 9 goto fail
        store_release((u16 *)(r10 - 16), w3)
        r0 = load_acquire((u16 *)(r10 - 16))
        exit
    fail:
        r0 = -1
        exit
    """)
    assert VM().run(prog).r0 == 9
    assert run("r1 = -1\n*(u64 *)(r10 - 8) = r1\nw0 = 0xffffffff\nw2 = 3\n"
               "w0 = cmpxchg32_32(r10 - 8, w0, w2)\nr0 = *(u64 *)(r10 - 8)\nexit") \
        == 0xFFFFFFFF00000003


# -- calls, frames, limits ----------------------------------------------------------------
CALLS = """
    r6 = 6
    r1 = 0x11
    *(u64 *)(r10 - 8) = r1
    call pc+6
    r0 += r6
    r2 = *(u64 *)(r10 - 8)
    if r2 != 0x11 goto +1
    exit
    r0 = -1
    exit
    r6 = 100
    r3 = 0x22
    *(u64 *)(r10 - 8) = r3
    r0 = r1
    exit
"""


def test_local_call_frames_and_callee_saved():
    assert run(CALLS) == 0x11 + 6


def test_callee_stack_is_gone_after_return():
    text = ("r1 = r10\ncall pc+4\nr0 = *(u64 *)(r0 - 8)\nexit\nr0 = -1\nexit\n"
            "r0 = r10\nexit")
    with pytest.raises(VMFault, match="owned this stack frame returned") as info:
        run(text)
    assert info.value.pc == 2 and info.value.offset == -8


def test_call_depth_limit():
    with pytest.raises(VMFault, match="call depth"):
        run("call pc-1\nexit")  # calls itself forever


def test_callx_and_function_pointers():
    prog = gas("lddw %r2, func f\ncall %r2\nadd %r0, 1\nexit\nf:\nmov %r0, 41\nexit")
    assert VM().run(prog).r0 == 42


def test_bad_jumps_are_faults():
    with pytest.raises(VMFault, match="outside the program"):
        VM().run(ProgramSpec([Insn(Class.JMP | JmpOp.JA, off=5), Insn(EXIT)]))
    with pytest.raises(VMFault, match="fell off the end"):
        VM().run(ProgramSpec([Insn(Class.ALU64 | AluOp.MOV, dst=0, imm=1)]))
    with pytest.raises(VMFault, match="middle of an lddw"):
        VM().run(ProgramSpec([Insn(Class.JMP | JmpOp.JA, off=1), lddw(0, 1), Insn(EXIT)]))


def test_instruction_limit():
    with pytest.raises(VMFault, match="instruction limit") as info:
        VM(max_insns=1000).run(assemble("r0 = 0\nr0 += 1\ngoto -2\nexit"))
    assert info.value.pc is not None


def test_may_goto_budget_per_frame():
    loop = "r0 = 0\nmay_goto +2\nr0 += 1\ngoto -3\nexit"
    assert VM(max_loops=1000).run(assemble(loop)).r0 == 1000
    res = VM().run(assemble("r0 = 0\nr1 = 0\nmay_goto +3\nr0 += 1\nif r0 < 100 goto -3\n"
                            "r1 = 1\nexit"))
    assert res.r0 == 100


def test_ld_abs_ind():
    pkt = bytes(range(16))
    assert run("r6 = r1\nr0 = *(u16 *)skb[2]\nexit", mem=pkt) == 0x0203
    assert run("r3 = 4\nr0 = *(u32 *)skb[r3 + 4]\nexit", mem=pkt) == 0x08090A0B
    # out of bounds ends the program with r0 = 0, as the kernel does
    assert run("r0 = *(u32 *)skb[14]\nr0 = 7\nexit", mem=pkt) == 0
    assert VM().run(assemble("r0 = *(u8 *)skb[1]\nexit"), ctx=bytes(4),
                    packet=b"\x00\x2a").r0 == 42


def test_kfunc_and_unknown_helper_are_clear_faults():
    with pytest.raises(VMFault, match="bpf_skb_store_bytes"):
        run("call bpf_skb_store_bytes\nexit")
    with pytest.raises(VMFault, match="unknown helper id 100000"):
        VM().run(ProgramSpec([Insn(Class.JMP | JmpOp.CALL, imm=100000), Insn(EXIT)]))


def test_insn_counts():
    assert VM().run(assemble("r0 = 0\nr0 += 1\nif r0 < 10 goto -2\nexit")).insns == 1 + 20 + 1


# -- fused blocks against the per-instruction table -----------------------------------------
@settings(max_examples=150, deadline=None)
@given(data=st.data(), mem=st.binary(min_size=16, max_size=16))
def test_fused_blocks_match_per_instruction_handlers(data, mem):
    from pybpf.testing.progen import generate

    prog = generate(lambda lo, hi: data.draw(st.integers(lo, hi)), mem_size=len(mem))
    fused = VM()
    fused.machine.hot = 0  # generate blocks before the first instruction
    a = fused.run(prog, mem=mem)
    b = VM(fuse=False).run(prog, mem=mem)
    steps = []
    c = VM().run(prog, mem=mem, trace=steps.append)
    assert (a.r0, a.mem, a.insns) == (b.r0, b.mem, b.insns) == (c.r0, c.mem, len(steps))


def test_fused_blocks_fault_at_the_right_instruction():
    vm = VM()
    vm.machine.hot = 0
    with pytest.raises(VMFault) as info:
        vm.run(assemble("r0 = 1\nr0 += 2\nr2 = *(u32 *)(r1 + 2)\nr0 += 1\nexit"), mem=b"abcd")
    assert info.value.pc == 2 and info.value.region == "mem" and info.value.offset == 2
    # a cached region that went away must not be readable through the cache: g reads f's
    # frame through a pointer while f is live (filling its site cache), then again after
    text = ("call pc+3\nr1 = r0\ncall pc+5\nexit\n"
            "r1 = r10\ncall pc+2\nr0 = r10\nexit\n"
            "r0 = *(u64 *)(r1 - 8)\nexit")
    with pytest.raises(VMFault, match="stack frame returned") as info:
        vm.run(assemble(text))
    assert info.value.pc == 8 and info.value.region == "stack frame 1"


@pytest.mark.parametrize("op", ["+=", "|=", "&=", "^="])
@pytest.mark.parametrize("width", ["u32", "u64"])
@pytest.mark.parametrize("fetch", [False, True])
def test_fused_atomics_loops_and_faults_match_per_instruction_handlers(op, width, fetch):
    """Read-modify-write atomics inlined in a fused block (a loop that jumps back to its own
    start) give the per-instruction handlers' registers, memory and instruction count; an
    atomic out of bounds faults at its own instruction with the same message."""
    r = "w" if width == "u32" else "r"
    name = {"+=": "add", "|=": "or", "&=": "and", "^=": "xor"}[op]
    atomic = (f"{r}3 = atomic_fetch_{name}(({width} *)(r1 + 8), {r}3)" if fetch
              else f"lock *({width} *)(r1 + 8) {op} {r}3")
    text = (f"r0 = 0\nr2 = 300\nr6 = 0x9e3779b97f4a7c15 ll\n"
            f"loop:\nr3 = r2\nr3 *= r6\n{atomic}\nr0 += r3\nr4 = *(u64 *)(r1 + 8)\n"
            f"r0 ^= r4\nr2 -= 1\nif r2 != 0 goto loop\nexit")
    mem = bytes(range(16))
    fused = VM()
    fused.machine.hot = 0
    a = fused.run(assemble(text), mem=mem)
    b = VM(fuse=False).run(assemble(text), mem=mem)
    assert (a.r0, a.mem, a.insns) == (b.r0, b.mem, b.insns)
    bad = text.replace("(r1 + 8)", "(r1 + 14)", 1)
    with pytest.raises(VMFault) as f1:
        fused.run(assemble(bad), mem=mem)
    with pytest.raises(VMFault) as f2:
        VM(fuse=False).run(assemble(bad), mem=mem)
    assert (f1.value.pc, str(f1.value)) == (f2.value.pc, str(f2.value)) and f1.value.pc == 6


def test_fused_loop_stops_at_the_instruction_limit():
    """A block that loops on itself stops at max_insns like the per-instruction table."""
    for fuse in (True, False):
        vm = VM(max_insns=100_000, fuse=fuse)
        vm.machine.hot = 0
        with pytest.raises(VMFault, match="instruction limit"):
            vm.run(assemble("r0 = 0\nloop:\nr0 += 1\nr1 = r0\ngoto loop\nexit"))


def test_hot_loop_switches_to_fused_blocks():
    vm = VM()
    prog = assemble("r0 = 0\nr2 = 3000\nr0 += r2\nr2 -= 1\nif r2 != 0 goto -3\nexit")
    res = vm.run(prog)
    assert res.r0 == sum(range(1, 3001)) and res.insns == 2 + 3 * 3000 + 1
    assert vm.machine.compiled(prog).fast is not None


def test_hot_loop_does_not_accumulate_memory():
    """Peak traced memory of a run is the same for 5k and 200k executed instructions."""
    import tracemalloc

    def loop(n: int) -> ProgramSpec:
        return assemble(f"r0 = 0\nr2 = {n}\n*(u64 *)(r10 - 8) = r2\nr3 = *(u64 *)(r10 - 8)\n"
                        "r0 += r3\nr2 -= 1\nif r2 != 0 goto -5\nexit")

    vm = VM()
    peaks = []
    for n in (1000, 40000):
        prog = loop(n)
        vm.run(prog)  # compile and fuse outside the measurement
        tracemalloc.start()
        try:
            res = vm.run(prog)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert res.insns == 3 + 5 * n
    assert peaks[1] < peaks[0] + 1024, peaks
    assert peaks[1] < 16 * 1024, peaks


@settings(max_examples=int(os.environ.get("PYBPF_VM_EXAMPLES", "150")), deadline=None)
@given(prog=programs(max_size=16), fuse=st.booleans(), mem=st.binary(max_size=32))
def test_any_valid_program_returns_or_faults(prog, fuse, mem):
    """Whatever valid instructions a program holds, the VM answers or raises VMFault: never
    another exception, never a hang (max_insns), never a huge allocation."""
    vm = VM(max_insns=3000, fuse=fuse, clock=lambda: 1)
    vm.machine.hot = 0
    try:
        res = vm.run(prog, mem=mem)
    except VMFault as e:
        assert e.pc is not None or "neither submitted" in str(e) or "map" in str(e)
    else:
        assert 0 <= res.r0 < 1 << 64 and res.insns <= 3000


def test_a_changed_program_is_recompiled():
    vm = VM()
    prog = assemble("r0 = 1\nexit")
    assert vm.run(prog).r0 == 1
    prog.insns[0] = prog.insns[0].replace(imm=2)
    assert vm.run(prog).r0 == 2
