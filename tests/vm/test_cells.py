"""Counted loops whose memory lives in locals while they run (pybpf.vm.cells).

Each program runs fused from its first instruction and per instruction (``fuse=False``):
registers, memory (the stack too: read back after the loop), instruction counts and
faults must be the same, whether the loop's accesses become cells or, when two of them
overlap without being the same access, run as before. The kernel is the third opinion
on a few of them.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble
from pybpf.vm import VM
from pybpf.vm.samples import MEM, PROGRAMS

from .test_fused import both, fused_vm, outcome


def blocks_source(text: str, **kw) -> str:
    """The generated source of ``text``'s fused blocks."""
    import pybpf.vm.blocks as blocks

    seen: list[str] = []
    real = compile

    def spy(src, name, mode, *a, **k):
        seen.append(src)
        return real(src, name, mode, *a, **k)

    blocks.compile = spy  # type: ignore[attr-defined]
    try:
        fused_vm().run(assemble(text), **kw)
    finally:
        del blocks.compile  # type: ignore[attr-defined]
    return "\n".join(seen)


def _off(off: int) -> str:
    return f"+ {off}" if off >= 0 else f"- {-off}"


#: the stack read back into r0 after a loop (what the run's result does not show)
STACK_BACK = "".join(f"r1 = *(u64 *)(r10 - {k})\nr0 ^= r1\nr0 *= 3\n" for k in (8, 16, 24, 32))


def test_mem_loop_runs_on_cells_and_matches_per_instruction_handlers():
    src = blocks_source(PROGRAMS["mem_loop"], mem=MEM)
    assert "r16 = U4(" in src and "P8(d9, o9, r19)" in src
    a, b = both(PROGRAMS["mem_loop"], mem=MEM)
    assert a == b and a[0] != "fault"


@pytest.mark.parametrize("second", [
    "r4 = *(u64 *)(r7 + 0)",           # the same bytes through another base register
    "r4 = *(u32 *)(r6 + 2)",           # overlapping, another offset
    "*(u16 *)(r7 + 6) = r3",           # a store into the first one's last bytes
    "lock *(u32 *)(r7 + 4) += w3",     # an atomic on its upper half
])
def test_overlapping_accesses_run_without_cells(second):
    """r7 = r6: accesses that overlap without being the same access fail the entry check
    (the loop runs its accesses as before), and the result is the per-instruction one."""
    text = f"""
        r6 = r1
        r7 = r1
        r2 = 20
    loop:
        r3 = *(u64 *)(r6 + 0)
        r3 += r2
        *(u64 *)(r6 + 0) = r3
        {second}
        r0 += r4
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """
    a, b = both(text, mem=bytes(range(16)))
    assert a == b and a[0] != "fault"


def test_disjoint_accesses_through_two_base_registers_use_cells():
    text = """
        r6 = r1
        r7 = r1
        r7 += 8
        r2 = 30
    loop:
        r3 = *(u64 *)(r6 + 0)
        r3 += r2
        *(u64 *)(r6 + 0) = r3
        r4 = *(s16 *)(r7 + 2)
        r4 ^= r3
        *(u16 *)(r7 + 2) = r4
        r5 = r4
        r5 = atomic_fetch_add((u64 *)(r10 - 8), r5)
        r0 += r5
        r2 -= 1
        if r2 != 0 goto loop
    """ + STACK_BACK + "exit"
    assert "r16 = U8(" in blocks_source(text, mem=bytes(16))
    a, b = both(text, mem=bytes(range(16)))
    assert a == b and a[0] != "fault"


@pytest.mark.parametrize("limit", [5, 40, 41, 57, 200, 233, 1000])
def test_a_loop_on_cells_cut_by_the_instruction_limit(limit):
    """The limit stops the loop's stretch early: its cells are written back, and the
    fault names the same instruction with the same memory behind it as unfused."""
    kw = {"mem": MEM}
    a = outcome(_limited(limit, fused=True), PROGRAMS["mem_loop"], **kw)
    b = outcome(_limited(limit, fused=False), PROGRAMS["mem_loop"], **kw)
    assert a == b


def _limited(limit: int, *, fused: bool) -> VM:
    vm = VM(max_insns=limit, fuse=fused)
    vm.machine.hot = 0
    return vm


_SIZES = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}


@st.composite
def memory_loops(draw) -> str:
    """A loop counted down by r9 over loads (sign-extending too), stores (of registers and
    numbers) and atomics through r6 = mem, r7 = mem + a (aliasing r6's bytes or not) and
    r8 = the frame pointer, and ALU operations on r0-r5."""
    a = draw(st.integers(0, 16))
    lines = ["r6 = r1", "r7 = r1", f"r7 += {a}", "r8 = r10"]
    lines += [f"*(u64 *)(r10 - {k}) = {draw(st.integers(-(1 << 31), (1 << 31) - 1))}"
              for k in (8, 16, 24, 32)]  # the kernel's stack is not zeroed
    lines += [f"r{r} = {draw(st.integers(0, (1 << 64) - 1))} ll" for r in range(6)]
    lines += [f"r9 = {draw(st.integers(1, 30))}", "loop:"]
    for _ in range(draw(st.integers(1, 9))):
        n = draw(st.sampled_from([1, 2, 4, 8]))
        b = draw(st.sampled_from([6, 7, 8]))
        hi = {6: 32 - n, 7: 16 - n, 8: -n}[b]
        lo = -32 if b == 8 else 0
        at = f"(r{b} {_off(draw(st.integers(lo, hi)))})"
        d, s = draw(st.integers(0, 5)), draw(st.integers(0, 5))
        kind = draw(st.sampled_from(["load", "sx", "store", "imm", "atomic", "fetch", "alu"]))
        if kind == "load":
            lines.append(f"r{d} = *({_SIZES[n]} *){at}")
        elif kind == "sx" and n < 8:
            lines.append(f"r{d} = *(s{8 * n} *){at}")
        elif kind == "store":
            lines.append(f"*({_SIZES[n]} *){at} = r{s}")
        elif kind == "imm":
            lines.append(f"*({_SIZES[n]} *){at} = {draw(st.integers(-(1 << 31), (1 << 31) - 1))}")
        elif kind in ("atomic", "fetch") and n >= 4:
            op = draw(st.sampled_from(["add", "or", "and", "xor"]))
            w = "r" if n == 8 else "w"
            if kind == "atomic":
                sym = {"add": "+", "or": "|", "and": "&", "xor": "^"}[op]
                lines.append(f"lock *({_SIZES[n]} *){at} {sym}= {w}{s}")
            else:
                lines.append(f"{w}{s} = atomic_fetch_{op}(({_SIZES[n]} *){at}, {w}{s})")
        else:
            op = draw(st.sampled_from(["+=", "^=", "*=", "-=", "|="]))
            lines.append(f"r{d} {op} r{s}")
    lines += ["r9 -= 1", "if r9 != 0 goto loop"]
    lines += [f"r0 ^= r{r}" for r in range(1, 6)] + [STACK_BACK, "exit"]
    return "\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=memory_loops(), mem=st.binary(min_size=32, max_size=32),
       limit=st.sampled_from([50_000, 60, 97, 150]))
def test_generated_memory_loops_match_per_instruction_handlers(text, mem, limit):
    """Registers, memory (mem and stack), instruction counts and the limit's fault: on
    cells (accesses disjoint or identical) or not (overlapping), against per instruction."""
    assert outcome(_limited(limit, fused=True), text, mem=mem) == \
        outcome(_limited(limit, fused=False), text, mem=mem)


@pytest.mark.kernel
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=memory_loops(), mem=st.binary(min_size=32, max_size=32))
def test_generated_memory_loops_agree_with_the_kernel(text, mem):
    """The same loops fused from the start against BPF_PROG_TEST_RUN (those the verifier
    accepts: it refuses misaligned stack atomics, for one)."""
    from pybpf.kernel.oracle import run_kernel

    k = run_kernel(assemble(text), mem)
    if k.rejected is not None:
        return
    res = fused_vm().run(assemble(text), mem=mem)
    assert (res.r0, res.mem) == (k.r0, k.mem)


# -- inlined leaf calls' frames, done once after the loop -----------------------------------
def _frames_state(vm: VM, text: str, **kw) -> tuple:
    """The run's outcome, the returned-frame records and the next free address."""
    out = outcome(vm, text, **kw)
    mem = vm.machine.mem
    return out, [(r.name, r.base, r.size, why) for r, why in mem.gone], mem._next


def _leaf_loop(rounds: int, calls: int, memory: bool) -> str:
    body = "".join(f"r1 = r6\nr2 = r0\ncall leaf{i}\nr0 += r2\n" for i in range(calls))
    leaves = "".join(f"leaf{i}:\nr0 = r1\nr0 *= {3 + i}\nexit\n" for i in range(calls))
    if memory:
        body += "r3 = *(u32 *)(r7 + 0)\nr3 += r0\n*(u32 *)(r7 + 0) = r3\n"
    return f"""
        r7 = r1
        r0 = 0
        r6 = {rounds}
    loop:
        {body}
        r6 -= 1
        if r6 != 0 goto loop
        call top
        exit
    top:
        r0 = r10
        exit
    """ + leaves


@pytest.mark.parametrize("rounds", [1, 2, 31, 32, 33, 63, 64, 65, 200])
@pytest.mark.parametrize("calls", [1, 2, 3])
@pytest.mark.parametrize("memory", [False, True])
def test_inlined_calls_leave_the_frames_and_records_they_would(rounds, calls, memory):
    """The loop's calls' frame addresses (the later real call's r10) and the last 64
    returned-frame records, whatever the number of rounds and calls per round."""
    text = _leaf_loop(rounds, calls, memory)
    assert "for q in range(" in blocks_source(text, mem=bytes(8))
    kw = {"mem": bytes(range(8))}
    assert _frames_state(fused_vm(), text, **kw) == _frames_state(VM(fuse=False), text, **kw)


@pytest.mark.parametrize("limit", [10, 50, 51, 99, 300, 1001])
def test_inlined_calls_cut_by_the_instruction_limit(limit):
    text = _leaf_loop(120, 2, True)
    kw = {"mem": bytes(range(8))}
    assert _frames_state(_limited(limit, fused=True), text, **kw) == \
        _frames_state(_limited(limit, fused=False), text, **kw)
