"""Fused blocks that inline leaf bpf-to-bpf calls, run counted loops over ``range``, and stop
short of the instruction limit (`pybpf.vm.blocks`, `pybpf.vm.machine`).

Each program runs fused from its first instruction and per instruction (``fuse=False``):
r0, memory, instruction counts and faults (pc and message) must be the same; the
kernel's BPF_PROG_TEST_RUN is the third opinion where the verifier accepts the program.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble
from pybpf.errors import VMFault
from pybpf.vm import VM
from pybpf.vm.blocks import _induction  # noqa: PLC2701 - the detector under test
from pybpf.vm.samples import MEM, PROGRAMS


def fused_vm(**kw) -> VM:
    vm = VM(**kw)
    vm.machine.hot = 0  # generate blocks before the first instruction
    return vm


def outcome(vm: VM, text: str, **kw) -> tuple:
    try:
        res = vm.run(assemble(text), **kw)
        return (res.r0, res.mem, res.insns)
    except VMFault as exc:
        return ("fault", exc.pc, str(exc))


def both(text: str, max_insns: int = 1_000_000, **kw) -> list[tuple]:
    return [outcome(fused_vm(max_insns=max_insns), text, **kw),
            outcome(VM(max_insns=max_insns, fuse=False), text, **kw)]


def blocks_source(text: str) -> str:
    """The generated source of ``text``'s fused blocks (to see that a trick applied)."""
    import pybpf.vm.blocks as blocks

    seen: list[str] = []
    real = compile

    def spy(src, name, mode, *a, **k):
        seen.append(src)
        return real(src, name, mode, *a, **k)

    blocks.compile = spy  # type: ignore[attr-defined]
    try:
        fused_vm().run(assemble(text), mem=MEM)
    finally:
        del blocks.compile  # type: ignore[attr-defined]
    return "\n".join(seen)


# -- the instruction limit ------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PROGRAMS))
@pytest.mark.parametrize("limit", [1, 5, 7, 100, 1001, 5003, 7777, 20000, 33333, 45003])
def test_the_instruction_limit_names_the_instruction_it_falls_on(name, limit):
    """Fused runs stop short of the limit and finish per instruction: the fault's pc (or the
    count of a run that fits) is the unfused run's, wherever the limit falls (the fused
    table used to fault at the end of a block, or run a loop past the limit)."""
    a, b = both(PROGRAMS[name], max_insns=limit, mem=MEM)
    assert a == b


# -- leaf calls inline ---------------------------------------------------------------------
def test_call_loop_runs_its_leaf_inline_with_the_same_results():
    src = blocks_source(PROGRAMS["call_loop"])
    assert "gone.append" in src and "for r6 in (" in src
    a, b = both(PROGRAMS["call_loop"], mem=MEM)
    assert a == b and a[0] != "fault"


def _chain(depth: int) -> str:
    """main calls d1, d1 calls d2 ... d<depth>, which calls a leaf in a loop."""
    lines = ["call d1", "exit"]
    for n in range(1, depth):
        lines += [f"d{n}:", f"call d{n + 1}", "exit"]
    lines += [f"d{depth}:", "r7 = 3", "loop:", "r1 = r7", "call leaf", "r7 -= 1",
              "if r7 != 0 goto loop", "exit", "leaf:", "r0 = r1", "r0 += 1", "exit"]
    return "\n".join(lines)


def test_an_inlined_call_one_frame_too_deep_faults_at_the_call():
    """From d7 (the 8th frame) the leaf would be a 9th: its call faults as the call handler
    does; from d6 it runs."""
    assert "gone.append" in blocks_source(_chain(6))
    a, b = both(_chain(6))
    assert a == b and a[0] == 2
    a, b = both(_chain(7))
    assert a == b and a[0] == "fault" and "call depth exceeds 8 frames" in a[2]


def test_frames_after_inlined_calls_sit_where_the_calls_would_have_put_them():
    """An inlined leaf maps no stack, but takes its frame's addresses: a later real call's
    r10 (returned as a number) is the same as without fusing."""
    text = """
        r6 = 70
    loop:
        r1 = r6
        call leaf
        r6 -= 1
        if r6 != 0 goto loop
        call top
        exit
    leaf:
        r0 = r1
        r0 *= 5
        exit
    top:
        r0 = r10
        exit
    """
    assert "gone.append" in blocks_source(text)
    a, b = both(text)
    assert a == b and a[0] != "fault"


def test_a_stale_frame_read_after_many_inlined_calls_faults_as_without_them():
    """Returned frames are remembered (the last 64) to explain a stale pointer; inlined
    calls' frames count among them, so the message about g's old frame is the same."""
    for rounds in (3, 80):
        text = f"""
            call g
            r8 = r0
            r6 = {rounds}
        loop:
            r1 = r6
            call leaf
            r6 -= 1
            if r6 != 0 goto loop
            r0 = *(u64 *)(r8 + 0)
            exit
        g:
            r0 = r10
            r0 += -8
            *(u64 *)(r10 - 8) = r0
            exit
        leaf:
            r0 = r1
            exit
        """
        a, b = both(text)
        assert a == b and a[0] == "fault"


def _block(src: str, slot: int) -> str:
    return src.split(f"def block_{slot}(", 1)[1].split("\ndef ", 1)[0]


def test_only_leaves_inline():
    """A callee that uses its stack, calls, branches, touches r6-r9 or memory runs as a
    call."""
    for callee in ("r0 = r10\nexit", "call leaf2\nexit", "if r1 > 3 goto +1\nr0 = 1\nexit",
                   "r6 = r1\nr0 = r6\nexit", "r0 = *(u64 *)(r1 + 0)\nexit"):
        text = f"r6 = 4\nr1 = r10\nr1 += -8\nloop:\ncall f\nr6 -= 1\nif r6 != 0 goto loop\n" \
               f"exit\nf:\nr0 = 0\n{callee}\nleaf2:\nr0 = 2\nexit"
        assert "gone.append" not in _block(blocks_source(text), 3), callee
        a, b = both(text)
        assert a == b, callee


_LEAF_OPS = ["r{d} += r{s}", "r{d} -= r{s}", "r{d} *= r{s}", "r{d} <<= {k}", "r{d} >>= {k}",
             "r{d} s>>= {k}", "r{d} ^= r{s}", "r{d} |= {i}", "r{d} &= {i}", "r{d} = r{s}",
             "r{d} /= r{s}", "r{d} %= r{s}", "w{d} += w{s}", "w{d} *= {i}", "w{d} = w{s}",
             "r{d} = -r{d}", "r{d} = be32 r{d}", "r{d} = {w} ll", "w{d} s/= w{s}"]


@st.composite
def leaf_loops(draw) -> str:
    """A counted loop calling a leaf of arithmetic on r0-r5 (all set by the caller)."""
    lines = ["r6 = r1", f"r7 = {draw(st.integers(1, 12))}", "r8 = *(u32 *)(r6 + 0)",
             "r9 = *(u64 *)(r6 + 8)", "r0 = 0", "loop:", "r1 = r8", "r2 = r9", "r3 = r7",
             "r4 = r7", "r5 = r0", "call leaf", "r8 ^= r0", "r7 -= 1", "if r7 != 0 goto loop",
             "*(u32 *)(r6 + 4) = r8", "exit", "leaf:", "r0 = r5"]
    for _ in range(draw(st.integers(1, 8))):
        lines.append(draw(st.sampled_from(_LEAF_OPS)).format(
            d=draw(st.integers(0, 5)), s=draw(st.integers(0, 5)), k=draw(st.integers(0, 63)),
            i=draw(st.integers(-(1 << 31), (1 << 31) - 1)),
            w=draw(st.integers(0, (1 << 64) - 1))))
    return "\n".join(lines + ["exit"])


@settings(max_examples=60, deadline=None)
@given(text=leaf_loops(), mem=st.binary(min_size=16, max_size=16))
def test_generated_leaf_calls_inline_as_they_run_per_instruction(text, mem):
    a, b = both(text, mem=mem)
    assert a == b


@pytest.mark.kernel
@settings(max_examples=25, deadline=None)
@given(text=leaf_loops(), mem=st.binary(min_size=16, max_size=16))
def test_generated_leaf_calls_inline_agree_with_the_kernel(text, mem):
    from pybpf.kernel.oracle import run_kernel

    prog = assemble(text)
    k = run_kernel(prog, mem)
    assert k.rejected is None, f"the kernel refused a generated program: {k.rejected}"
    res = fused_vm().run(prog, mem=mem)
    assert (res.r0, res.mem) == (k.r0, k.mem)


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_samples_fused_agree_with_the_kernel(name):
    from pybpf.kernel.oracle import run_kernel

    k = run_kernel(assemble(PROGRAMS[name]), MEM)
    assert k.rejected is None, k.rejected
    res = fused_vm().run(assemble(PROGRAMS[name]), mem=MEM)
    assert (res.r0, res.mem) == (k.r0, k.mem)


# -- loops counted by range ----------------------------------------------------------------
def test_a_counted_loop_is_recognised_only_when_nothing_else_writes_its_counter():
    def detect(text: str):
        body = list(enumerate(assemble(text).insns))
        return _induction(body, ["\0site" + str(len(body) - 2)] + ["x"] * 6)

    assert detect("r0 += r2\nr2 -= 1\nif r2 != 0 goto -3") == (2, 1)
    assert detect("r0 += r2\nr2 += -1\nif r2 != 0 goto -3") == (2, 1)
    assert detect("r2 = r0\nr2 -= 1\nif r2 != 0 goto -3") is None      # written in the body
    assert detect("r0 += 1\nr2 -= 2\nif r2 != 0 goto -3") is None      # not by one
    assert detect("r0 += 1\nw2 -= 1\nif w2 != 0 goto -3") is None      # 32-bit
    assert detect("r0 += 1\nr2 -= 1\nif r2 > 0 goto -3") is None       # another condition
    assert detect("r0 += 1\nr3 -= 1\nif r2 != 0 goto -3") is None      # another register
    assert detect("lock *(u64 *)(r10 - 8) += r2\nr2 -= 1\nif r2 != 0 goto -3") == (2, 1)
    assert detect("r2 = atomic_fetch_add((u64 *)(r10 - 8), r2)\nr2 -= 1\n"
                  "if r2 != 0 goto -3") is None                        # a fetch writes it


@pytest.mark.parametrize("count", [1, 2, 5, 6, 9, 12, 0, (1 << 64) - 1, 1 << 40])
def test_a_counted_loop_faulting_midway_faults_at_the_same_round(count):
    """Round by round the loop reads 2 bytes further into mem (at (12 - r2) * 2): a count
    of 9 faults in round 6, 12 in round 3, 1 at once; larger counts read below mem."""
    text = f"""
        r6 = r1
        r2 = {count} ll
    loop:
        r3 = 12
        r3 -= r2
        r3 <<= 1
        r4 = r6
        r4 += r3
        r5 = *(u16 *)(r4 + 0)
        r0 += r5
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """
    a, b = both(text, max_insns=5000, mem=bytes(range(100, 116)))
    assert a == b


def test_a_counted_loop_reading_the_counter_after_a_fault_in_a_later_round():
    """A store faults in round 6 of 10 (r2 = 5): the stores of rounds 1-5 landed."""
    text = """
        r6 = r1
        r2 = 10
    loop:
        r3 = 16
        r3 -= r2
        r3 <<= 1
        r3 -= 6
        r4 = r6
        r4 += r3
        *(u16 *)(r4 + 0) = r2
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """
    mem = bytearray(16)
    with pytest.raises(VMFault) as fused:
        fused_vm().run(assemble(text), mem=mem)
    plain_mem = bytearray(16)
    with pytest.raises(VMFault) as plain:
        VM(fuse=False).run(assemble(text), mem=plain_mem)
    assert (fused.value.pc, str(fused.value), mem) == (plain.value.pc, str(plain.value),
                                                       plain_mem)


def test_every_conformance_vector_passes_fused_from_its_first_instruction(conformance_dir):
    """The vectors are too short to get hot; fused before their first instruction, inlined
    calls, counted loops and the limit's stretches included, all 313 still pass."""
    from pybpf.conformance.runner import run_vector_vm
    from pybpf.conformance.vectors import load_vectors

    failed, n = [], 0
    for vector in load_vectors(conformance_dir):
        vm = fused_vm()
        outcome = run_vector_vm(vector, vm)
        n += 1
        if outcome.status != "pass":
            failed.append((vector.name, outcome.reason))
    assert n >= 313 and not failed


# -- store-to-load forwarding --------------------------------------------------------------
_FORWARD = {
    # forwarded: the load is the stored register cut to 4 bytes, or the immediate
    "narrow": ("*(u32 *)(r10 - 16) = r3\nr4 = *(u32 *)(r10 - 16)", "r4 = r3 & 4294967295"),
    "imm": ("*(u16 *)(r10 - 16) = -3\nr4 = *(u16 *)(r10 - 16)", "r4 = 65533"),
    # not forwarded: an atomic between, another base register on the same bytes, the
    # stored register written since, another size or offset
    "atomic_between": ("*(u64 *)(r10 - 16) = r3\nlock *(u64 *)(r7 + 0) += r2\n"
                       "r4 = *(u64 *)(r10 - 16)", None),
    "alias": ("*(u64 *)(r10 - 16) = r3\n*(u32 *)(r7 + 0) = r2\nr4 = *(u64 *)(r10 - 16)",
              None),
    "rewritten": ("*(u64 *)(r10 - 16) = r3\nr3 += 5\nr4 = *(u64 *)(r10 - 16)", None),
    "other_size": ("*(u64 *)(r10 - 16) = r3\nr4 = *(u32 *)(r10 - 12)", None),
}


def _forward_loop(snippet: str) -> str:
    return f"""
        r6 = r1
        r7 = r10
        r7 += -16
        *(u64 *)(r10 - 16) = 0
        r2 = 25
    loop:
        r3 = *(u32 *)(r6 + 0)
        r3 *= r2
        {snippet}
        r0 += r4
        *(u32 *)(r6 + 0) = r0
        r2 -= 1
        if r2 != 0 goto loop
        exit
    """


@pytest.mark.parametrize("name", sorted(_FORWARD))
def test_a_load_of_what_the_block_just_stored_is_forwarded_only_when_nothing_intervenes(name):
    snippet, line = _FORWARD[name]
    text = _forward_loop(snippet)
    loop = _block(blocks_source(text), 5)
    if line is not None:
        assert line in loop
    else:
        assert "r4 = U" in loop.split("for r2 in (", 1)[1]
    a, b = both(text, mem=bytes(range(7, 23)))
    assert a == b and a[0] != "fault"


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(_FORWARD))
def test_forwarded_loads_agree_with_the_kernel(name):
    from pybpf.kernel.oracle import run_kernel

    prog, mem = assemble(_forward_loop(_FORWARD[name][0])), bytes(range(7, 23))
    k = run_kernel(prog, mem)
    assert k.rejected is None, k.rejected
    res = fused_vm().run(prog, mem=mem)
    assert (res.r0, res.mem) == (k.r0, k.mem)


_BPF_LOOP = """
    r6 = 0
    r1 = 50
    r2 = cb ll
    r3 = 0
    r4 = 0
    call bpf_loop
    r0 = r6
    exit
cb:
    r0 = r1
    r0 *= 3
    r2 = 4
l:
    r0 += 1
    r2 -= 1
    if r2 != 0 goto l
    r0 = 0
    exit
"""


@pytest.mark.parametrize("fuse", [True, False])
def test_the_instruction_limit_counts_bpf_loop_callbacks_exactly(fuse):
    """The callbacks run in a nested dispatch loop; the instructions before the call are
    counted before it starts, so a limit of the run's own count lets it finish and one
    less faults at its last instruction (both used to let a few instructions more run)."""
    n = fused_vm().run(assemble(_BPF_LOOP)).insns if fuse else \
        VM(fuse=False).run(assemble(_BPF_LOOP)).insns
    vm = fused_vm(max_insns=n) if fuse else VM(max_insns=n, fuse=False)
    assert vm.run(assemble(_BPF_LOOP)).insns == n
    vm = fused_vm(max_insns=n - 1) if fuse else VM(max_insns=n - 1, fuse=False)
    with pytest.raises(VMFault, match="instruction limit") as info:
        vm.run(assemble(_BPF_LOOP))
    assert info.value.pc == 8  # the exit after the call


def test_the_instruction_limit_falls_on_the_same_instruction_inside_callbacks():
    for limit in range(1, 900, 11):
        a, b = both(_BPF_LOOP, max_insns=limit)
        assert a == b, limit
