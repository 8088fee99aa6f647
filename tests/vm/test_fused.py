"""Fused blocks whose memory accesses are checked once at the block's entry (hoisted).

Each program runs fused from its first instruction (``machine.hot = 0``) and per
instruction (``fuse=False``); registers, memory, instruction counts and faults (pc and
message) must be the same. The kernel's BPF_PROG_TEST_RUN is the third opinion where
the program is one the verifier accepts.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble
from pybpf.errors import VMFault
from pybpf.vm import VM
from pybpf.vm.samples import PROGRAMS


def fused_vm() -> VM:
    vm = VM()
    vm.machine.hot = 0  # generate blocks before the first instruction
    return vm


def outcome(vm: VM, text: str, **kw) -> tuple:
    """r0, memory, context and count of a run, or its fault's pc and message (the
    instruction limit's too: a fused run finishes on the per-instruction handlers near the
    limit, so its fault names the instruction the limit falls on)."""
    try:
        res = vm.run(assemble(text), **kw)
        return (res.r0, res.mem, res.ctx, res.insns)
    except VMFault as exc:
        return ("fault", exc.pc, str(exc))


def both(text: str, **kw):
    """The fused and the per-instruction run of ``text``: results, or the faults."""
    return [outcome(fused_vm(), text, **kw), outcome(VM(fuse=False), text, **kw)]


#: loops whose every access has a base register the loop does not write: all sizes, sign
#: extending loads, immediate stores, atomics (fetching too), two base registers on the
#: same bytes (a store through one is seen by a load through the other)
LOOPS = {
    "sizes": """
        r6 = r1
        r2 = 50
    loop:
        r3 = *(u8 *)(r6 + 1)
        r4 = *(u16 *)(r6 + 2)
        r5 = *(u32 *)(r6 + 4)
        r0 = *(u64 *)(r6 + 8)
        r0 += r3
        r0 ^= r4
        r0 += r5
        r0 += r2
        *(u64 *)(r6 + 8) = r0
        *(u32 *)(r6 + 4) = r0
        *(u16 *)(r6 + 2) = r0
        *(u8 *)(r6 + 1) = r0
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """,
    "signed_and_imm": """
        r2 = 40
    loop:
        r3 = *(s8 *)(r1 + 0)
        r4 = *(s16 *)(r1 + 2)
        r5 = *(s32 *)(r1 + 4)
        r0 += r3
        r0 += r4
        r0 += r5
        *(u8 *)(r1 + 0) = 0x9f
        *(u16 *)(r1 + 2) = 0x8001
        *(u32 *)(r1 + 4) = -7
        *(u64 *)(r10 - 8) = -1
        r3 = *(u64 *)(r10 - 8)
        r0 ^= r3
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """,
    "atomics_and_aliases": """
        r6 = r1
        r7 = r10
        r7 += -32
        r0 = 0
        *(u64 *)(r10 - 16) = r0
        *(u64 *)(r10 - 24) = r0
        *(u64 *)(r10 - 32) = r0
        r2 = 64
    loop:
        r3 = r2
        r3 *= 0x3779b97f
        lock *(u64 *)(r10 - 16) += r3
        r4 = r3
        r4 = atomic_fetch_xor((u64 *)(r7 + 0), r4)
        w5 = w3
        w5 = atomic_fetch_or((u32 *)(r7 + 8), w5)
        lock *(u32 *)(r10 - 20) &= w3
        *(u32 *)(r6 + 12) = r4
        r8 = *(u64 *)(r10 - 32)
        r9 = *(u32 *)(r6 + 12)
        r0 += r5
        r0 += r4
        r0 ^= r8
        r0 += r9
        r2 -= 1
        if r2 != 0 goto loop
        r1 = *(u64 *)(r10 - 16)
        r0 ^= r1
        r1 = *(u64 *)(r10 - 24)
        r0 += r1
        exit
    """,
}


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_hoisted_loops_match_per_instruction_handlers(name):
    mem = bytes(range(3, 19))
    a, b = both(LOOPS[name], mem=mem)
    assert a == b and a[0] != "fault"


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(LOOPS))
def test_hoisted_loops_agree_with_the_kernel(name):
    from pybpf.kernel.oracle import run_kernel

    mem = bytes(range(3, 19))
    k = run_kernel(assemble(LOOPS[name]), mem)
    if k.rejected is not None:
        pytest.fail(f"the kernel refused {name}: {k.rejected}")
    res = fused_vm().run(assemble(LOOPS[name]), mem=mem)
    assert (res.r0, res.mem) == (k.r0, k.mem)


@pytest.mark.parametrize("bad", [
    "r3 = *(u64 *)(r6 + 12)",        # a load past the end
    "*(u32 *)(r6 + 14) = r3",        # a store past the end
    "lock *(u64 *)(r6 + 9) += r3",   # an atomic past the end
    "r3 = *(u64 *)(r10 + 0)",        # above the frame pointer
    "*(u8 *)(r7 + 0) = r3",          # a null pointer
])
def test_a_hoisted_access_that_would_fault_faults_at_its_instruction(bad):
    """The block's entry check fails, and the checked copy runs the instructions before
    the bad one (their stores land) and faults at it, as the per-instruction table does."""
    text = f"""
        r6 = r1
        r7 = 0
        r2 = 30
    loop:
        r3 = *(u32 *)(r6 + 0)
        r3 += r2
        *(u32 *)(r6 + 4) = r3
        {bad}
        *(u64 *)(r10 - 8) = r3
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """
    a, b = both(text, mem=bytes(16))
    assert a == b and a[0] == "fault" and a[1] == 6


def test_a_hoisted_store_into_a_read_only_context_faults_as_before():
    text = "r2 = 5\nloop:\nr3 = *(u32 *)(r1 + 0)\n*(u32 *)(r1 + 4) = r3\n" \
           "r2 -= 1\nif r2 != 0 goto loop\nexit"
    a, b = both(text, ctx=bytes(8))
    assert a == b and a[0] == "fault" and "read-only" in a[2]
    a, b = both(text, ctx=bytes(8), ctx_writable=True)
    assert a == b and a[0] != "fault"


def test_a_hoisted_loop_through_a_returned_frame_faults_saying_so():
    """f's loop reads through r1: first g's live frame (the loop's checks fill its site
    caches), then, after g returned, the same address: the entry check must not trust
    the caches, and the read faults naming the returned frame."""
    text = """
        call g
        r1 = r0
        call f
        exit
    g:
        r1 = r10
        r1 += -16
        *(u64 *)(r10 - 16) = r1
        call f
        r0 = r10
        r0 += -16
        exit
    f:
        r0 = 0
        r2 = 10
    loop:
        r3 = *(u64 *)(r1 + 0)
        r0 += r3
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """
    a, b = both(text)
    assert a == b and a[0] == "fault" and "stack frame returned" in a[2]


def test_a_hoisted_block_reruns_against_a_new_memory():
    """The site caches outlive a run; the next run's regions (other bytes, other sizes)
    are checked again at the block's entry."""
    vm = fused_vm()
    prog = assemble(LOOPS["sizes"])
    for size in (16, 64, 16):
        mem = bytes(range(size))
        assert vm.run(prog, mem=mem).mem == VM(fuse=False).run(prog, mem=mem).mem
    with pytest.raises(VMFault) as info:
        vm.run(prog, mem=bytes(12))
    assert info.value.pc == 5 and "out of bounds" in str(info.value)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(data=st.data(), mem=st.binary(min_size=32, max_size=32))
@pytest.mark.kernel
def test_generated_programs_fused_from_the_start_agree_with_the_kernel(data, mem):
    """progen's programs (stack, packet, atomics, calls, loops) fused before their first
    instruction: the kernel's r0 and memory."""
    from pybpf.kernel.oracle import run_kernel
    from pybpf.testing.progen import generate

    prog = generate(lambda lo, hi: data.draw(st.integers(lo, hi)), mem_size=len(mem))
    k = run_kernel(prog, mem)
    assert k.rejected is None, f"generator produced a program the kernel refuses: {k.rejected}"
    res = fused_vm().run(prog, mem=mem)
    assert (res.r0, res.mem) == (k.r0, k.mem)


# -- loops whose 64-bit operations lose their mask (pybpf.vm.ranges) -----------------------
_OPS = ["r{d} += r{s}", "r{d} -= r{s}", "r{d} *= r{s}", "r{d} <<= {k}", "r{d} >>= {k}",
        "r{d} &= r{s}", "r{d} |= r{s}", "r{d} ^= r{s}", "r{d} = r{s}", "r{d} += {i}",
        "r{d} -= {i}", "r{d} *= {i}", "w{d} += w{s}", "w{d} = w{s}", "w{d} *= {i}",
        "r{d} /= r{s}", "r{d} %= r{s}", "r{d} s>>= {k}", "r{d} = -r{d}", "r{d} = {i}",
        "r{d} = be16 r{d}", "r{d} = *(u32 *)(r7 + 0)", "r{d} = {w} ll"]
_VALUES = st.one_of(st.sampled_from([0, 1, 2, 7, 0xFFFFFFFF, 1 << 32, 1 << 63, (1 << 64) - 1]),
                    st.integers(0, (1 << 64) - 1))
_IMMS = st.one_of(st.sampled_from([-1, 1, 3, 0x7FFFFFFF, -0x80000000]),
                  st.integers(-(1 << 31), (1 << 31) - 1))


@st.composite
def counted_loops(draw) -> str:
    """A loop of ALU operations over r0-r5 (r7 points at 8 bytes) counted by r6 down to
    zero or up to a bound, entered with any register values (in and out of the ranges the
    analysis assumes, a count of 0 included)."""
    lines = ["r7 = r1"] + [f"r{r} = {draw(_VALUES)} ll" for r in range(6)]
    down = draw(st.booleans())
    count = draw(st.integers(0, 40))
    lines += [f"r6 = {count}", "loop:"]
    for _ in range(draw(st.integers(1, 10))):
        op = draw(st.sampled_from(_OPS))
        lines.append(op.format(d=draw(st.integers(0, 5)), s=draw(st.integers(0, 5)),
                               k=draw(st.integers(0, 63)), i=draw(_IMMS), w=draw(_VALUES)))
    if down:
        lines += ["r6 -= 1", "if r6 != 0 goto loop"]
    else:
        lines += ["r6 += 1", f"if r6 < {draw(st.integers(1, 40))} goto loop"]
    lines += [f"r0 ^= r{r}" for r in range(1, 7)] + ["exit"]
    return "\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(text=counted_loops(), mem=st.binary(min_size=8, max_size=8))
def test_unmasked_loops_match_per_instruction_handlers(text, mem):
    """Registers, memory, instruction counts and the instruction limit's fault of loops run
    with the analysis's unmasked operations (or their masked copy, when the entry values
    fall outside its assumptions) against the per-instruction handlers."""
    fused = VM(max_insns=1500)
    fused.machine.hot = 0
    assert outcome(fused, text, mem=mem) == outcome(VM(max_insns=1500, fuse=False), text,
                                                    mem=mem)


def test_a_narrowed_loop_takes_its_unmasked_copy_only_inside_its_assumptions():
    """alu_loop-like: 64-bit adds and a multiply that cannot wrap while r0 and the count
    are at most 2**32 - 1 at entry; entered with r0 = 2**64 - 1 it must wrap as the ISA
    says (the masked copy), and with a count of 0 run into the instruction limit."""
    from pybpf.vm.ranges import narrow_loop

    body = PROGRAMS["alu_loop"].split("r2 = 20000", 1)[1]  # from its loop's label on
    n = narrow_loop(list(enumerate(assemble(body).insns))[:8])
    assert n is not None and sorted(n.exact) == [1, 2, 6]
    assert n.guard == "r0 <= 4294967295 and 1 <= r2 <= 4294967295"
    for r0, r2 in [(0, 500), ((1 << 64) - 1, 3), (1 << 32, 1 << 32), (5, 0)]:
        text = f"r0 = {r0} ll\nr2 = {r2} ll\n" + body
        a, b = both(text)
        assert a == b
