"""VM helpers, VM-side maps, tail calls, bpf_loop and the trace API."""
from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble
from pybpf.asm.gas import parse as gas
from pybpf.errors import VMFault
from pybpf.isa import MapSpec
from pybpf.vm import VM, Task, make_map
from pybpf.vm.maps import EXIST, NOEXIST

M64 = (1 << 64) - 1


def k32(i: int) -> bytes:
    return i.to_bytes(4, "little")


def v64(i: int) -> bytes:
    return i.to_bytes(8, "little")


COUNTER = """
    r1 = 7
    *(u32 *)(r10 - 4) = r1
    r1 = counts ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 != 0 goto hit
    r1 = 1
    *(u64 *)(r10 - 16) = r1
    r1 = counts ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
    r0 = 1
    exit
hit:
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    r0 = *(u64 *)(r0 + 0)
    exit
"""


@pytest.mark.parametrize("kind", ["hash", "lru_hash", "percpu_hash", "lru_percpu_hash"])
def test_hash_counter_persists_across_runs(kind):
    counts = make_map(kind, "counts", key_size=4, value_size=8, max_entries=4)
    vm = VM(maps={"counts": counts})
    prog = assemble(COUNTER)
    assert [vm.run(prog).r0 for _ in range(4)] == [1, 2, 3, 4]
    assert counts.lookup(k32(7)) == v64(4)


def test_map_created_from_program_declaration():
    prog = assemble(COUNTER)
    prog.maps["counts"] = MapSpec("counts", "hash", key_size=4, value_size=8, max_entries=1)
    vm = VM()
    assert vm.run(prog).r0 == 1 and vm.run(prog).r0 == 2
    assert vm.maps["counts"].kind == "hash"


def test_unknown_map_is_a_clear_fault():
    with pytest.raises(VMFault, match="map 'counts'"):
        VM().run(assemble(COUNTER))


def test_map_value_pointer_is_bounded():
    counts = make_map("array", "counts", value_size=8, max_entries=8)
    prog = assemble(COUNTER.replace("r0 = *(u64 *)(r0 + 0)", "r0 = *(u64 *)(r0 + 8)"))
    with pytest.raises(VMFault, match="out of bounds") as info:
        VM(maps={"counts": counts}).run(prog)
    assert info.value.region == "map value counts[07000000]" and info.value.offset == 8


def test_array_map_direct_value_and_no_delete():
    arr = make_map("array", "g", value_size=16, max_entries=2)
    arr.update(k32(0), v64(5) + v64(9))
    assert VM(maps={"g": arr}).run(assemble("r1 = map_value(g) + 8 ll\nr0 = *(u64 *)(r1 + 0)\n"
                                            "exit")).r0 == 9
    assert arr.delete(k32(0)) == -errno.EINVAL
    assert arr.update(k32(2), v64(0) * 2) == -errno.E2BIG
    assert arr.update(k32(1), v64(0) * 2, NOEXIST) == -errno.EEXIST


def test_hash_flags_and_capacity():
    h = make_map("hash", key_size=4, value_size=8, max_entries=2)
    assert h.update(k32(1), v64(1), EXIST) == -errno.ENOENT
    assert h.update(k32(1), v64(1), NOEXIST) == 0
    assert h.update(k32(1), v64(2), NOEXIST) == -errno.EEXIST
    assert h.update(k32(2), v64(2)) == 0
    assert h.update(k32(3), v64(3)) == -errno.E2BIG
    assert h.delete(k32(9)) == -errno.ENOENT
    lru = make_map("lru_hash", key_size=4, value_size=8, max_entries=2)
    lru.update(k32(1), v64(1))
    lru.update(k32(2), v64(2))
    lru.lookup(k32(1))  # 2 becomes the least recently used
    assert lru.update(k32(3), v64(3)) == 0
    assert lru.lookup(k32(2)) is None and lru.lookup(k32(1)) is not None


def test_percpu_maps_see_their_cpu():
    arr = make_map("percpu_array", "pc", value_size=8, max_entries=1, ncpus=2)
    prog = assemble("r1 = 0\n*(u32 *)(r10 - 4) = r1\nr1 = pc ll\nr2 = r10\nr2 += -4\n"
                    "call bpf_map_lookup_elem\nr2 = 5\n*(u64 *)(r0 + 0) = r2\n"
                    "call bpf_get_smp_processor_id\nexit")
    vm = VM(maps={"pc": arr}, cpu=1, ncpus=2)
    assert vm.run(prog).r0 == 1
    with pytest.raises(VMFault, match="needs an array map"):
        vm.run(assemble("r1 = map_value(pc) ll\nr0 = 0\nexit"))
    assert [bytes(v) for v in arr.lookup_all(k32(0))] == [v64(0), v64(5)]


@settings(max_examples=50, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["push", "pop"]), st.integers(0, 255)),
                    max_size=12), lifo=st.booleans())
def test_queue_and_stack_against_a_list(ops, lifo):
    """push/pop through the helpers behave like a bounded Python list."""
    q = make_map("stack" if lifo else "queue", "q", value_size=8, max_entries=3)
    vm = VM(maps={"q": q})
    pop = assemble("r1 = q ll\nr2 = r10\nr2 += -8\ncall bpf_map_pop_elem\n"
                   "if r0 != 0 goto +2\nr0 = *(u64 *)(r10 - 8)\nexit\nr0 = -1\nexit")
    model: list[int] = []
    for op, v in ops:
        if op == "push":
            push = assemble(f"r6 = {v}\nr1 = q ll\nr2 = r10\nr2 += -8\n"
                            "*(u64 *)(r10 - 8) = r6\nr3 = 0\ncall bpf_map_push_elem\nexit")
            rc = vm.run(push).r0
            if len(model) < 3:
                assert rc == 0
                model.append(v)
            else:
                assert rc == (-errno.E2BIG) & M64
        else:
            got = vm.run(pop).r0
            if not model:
                assert got == M64
            else:
                assert got == (model.pop() if lifo else model.pop(0))


def test_ringbuf_reserve_submit_discard_output():
    rb = make_map("ringbuf", "rb", max_entries=4096)
    prog = assemble("""
        r1 = rb ll
        r2 = 8
        r3 = 0
        call bpf_ringbuf_reserve
        if r0 == 0 goto out
        r1 = 0x1122334455667788 ll
        *(u64 *)(r0 + 0) = r1
        r1 = r0
        r2 = 0
        call bpf_ringbuf_submit
        r1 = rb ll
        r2 = 4
        r3 = 0
        call bpf_ringbuf_reserve
        r1 = r0
        r2 = 0
        call bpf_ringbuf_discard
        r1 = 7
        *(u32 *)(r10 - 4) = r1
        r1 = rb ll
        r2 = r10
        r2 += -4
        r3 = 4
        r4 = 0
        call bpf_ringbuf_output
    out:
        exit
    """)
    assert VM(maps={"rb": rb}).run(prog).r0 == 0
    assert rb.consume() == [v64(0x1122334455667788), k32(7)]


def test_ringbuf_record_bounds_and_leaks():
    rb = make_map("ringbuf", "rb", max_entries=4096)
    over = assemble("r1 = rb ll\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto +3\n"
                    "*(u64 *)(r0 + 4) = r1\nr1 = r0\ncall bpf_ringbuf_discard\nexit")
    with pytest.raises(VMFault, match="ringbuf record") as info:
        VM(maps={"rb": rb}).run(over)
    assert info.value.offset == 4
    leak = assemble("r1 = rb ll\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nr0 = 0\nexit")
    with pytest.raises(VMFault, match="neither submitted nor discarded"):
        VM(maps={"rb": rb}).run(leak)
    stale = assemble("r1 = rb ll\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\nif r0 == 0 goto +5\n"
                     "r6 = r0\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_submit\n*(u64 *)(r6 + 0) = r1\n"
                     "r0 = 0\nexit")
    with pytest.raises(VMFault, match="record was submitted"):
        VM(maps={"rb": rb}).run(stale)
    small = make_map("ringbuf", "rb", max_entries=16)
    assert VM(maps={"rb": small}).run(assemble(
        "r1 = rb ll\nr2 = 64\nr3 = 0\ncall bpf_ringbuf_reserve\nexit")).r0 == 0


def test_trace_printk_is_captured():
    prog = assemble("""
        r1 = 0x0a642520782520 ll
        *(u64 *)(r10 - 8) = r1
        r1 = r10
        r1 += -8
        r2 = 8
        r3 = 255
        r4 = -3
        call bpf_trace_printk
        exit
    """)
    vm = VM()
    res = vm.run(prog)
    assert res.output == [" ff -3\n"] and vm.output == res.output
    assert res.r0 == len(" ff -3\n")


def test_task_time_random_cpu():
    task = Task(pid=11, tgid=22, uid=33, gid=44, comm="teach")
    vm = VM(task=task, clock=lambda: 123456789, seed=7, cpu=3)
    assert vm.run(assemble("call bpf_get_current_pid_tgid\nexit")).r0 == (22 << 32) | 11
    assert vm.run(assemble("call bpf_get_current_uid_gid\nexit")).r0 == (44 << 32) | 33
    assert vm.run(assemble("call bpf_ktime_get_ns\nexit")).r0 == 123456789
    assert vm.run(assemble("call bpf_get_smp_processor_id\nexit")).r0 == 3
    rnd = [VM(seed=7).run(assemble("call bpf_get_prandom_u32\nexit")).r0 for _ in range(2)]
    assert rnd[0] == rnd[1] and rnd[0] < 1 << 32
    res = vm.run(assemble("r1 = r10\nr1 += -16\nr2 = 16\ncall bpf_get_current_comm\n"
                          "r0 = *(u64 *)(r10 - 16)\nexit"))
    assert res.r0.to_bytes(8, "little") == b"teach\0\0\0"


def test_probe_read_variants():
    prog = assemble("r3 = r1\nr1 = r10\nr1 += -8\nr2 = 4\ncall bpf_probe_read_kernel\n"
                    "r6 = r0\nr0 = *(u32 *)(r10 - 8)\nexit")
    assert VM().run(prog, mem=b"\x01\x02\x03\x04").r0 == 0x04030201
    bad = assemble("r3 = 16\nr1 = r10\nr1 += -8\nr2 = 8\ncall bpf_probe_read_user\nexit")
    assert VM().run(bad).r0 == (-errno.EFAULT) & M64
    s = assemble("r3 = r1\nr1 = r10\nr1 += -8\nr2 = 8\ncall bpf_probe_read_kernel_str\nexit")
    res = VM().run(s, mem=b"hi\0zzzz")
    assert res.r0 == 3


def test_tail_calls_and_their_limit():
    jt = make_map("prog_array", "jt", max_entries=4)
    vm = VM(maps={"jt": jt})
    target = assemble("r0 = 77\nexit")
    caller = assemble("r2 = jt ll\nr3 = 1\ncall bpf_tail_call\nr0 = 5\nexit")
    assert vm.run(caller).r0 == 5  # empty slot: falls through
    jt[1] = target
    assert vm.run(caller).r0 == 77
    # a program that tail-calls itself stops after 33 tail calls
    counter = make_map("array", "n", value_size=8, max_entries=1)
    vm = VM(maps={"jt": jt, "n": counter})
    selfcall = assemble("r6 = r1\nr2 = map_value(n) ll\nr3 = 1\nlock *(u64 *)(r2 + 0) += r3\n"
                        "r1 = r6\nr2 = jt ll\nr3 = 0\ncall bpf_tail_call\n"
                        "r0 = map_value(n) ll\nr0 = *(u64 *)(r0 + 0)\nexit")
    jt[0] = selfcall
    assert vm.run(selfcall).r0 == 34


def test_bpf_loop_callback():
    prog = gas("""
        mov %r6, 0
        stxdw [%r10-8], %r6
        mov %r1, 10
        lddw %r2, func cb
        mov %r3, %r10
        add %r3, -8
        mov %r4, 0
        call 181
        ldxdw %r6, [%r10-8]
        lsh %r0, 32
        or %r0, %r6
        exit
    cb:
        ldxdw %r3, [%r2+0]
        add %r3, %r1
        stxdw [%r2+0], %r3
        mov %r0, 0
        jne %r1, 6, +1
        mov %r0, 1
        exit
    """)
    r0 = VM().run(prog).r0
    steps = []
    traced = VM().run(prog, trace=steps.append)
    assert traced.r0 == r0 and traced.insns == len(steps)
    assert [s.pc for s in steps].count(8) == 1  # the bpf_loop call, once, after its callbacks
    assert steps[[s.pc for s in steps].index(8) - 1].text == "exit"
    assert r0 >> 32 == 7  # iterations: 0..6, the callback stopped the loop at i = 6
    assert r0 & 0xFFFFFFFF == sum(range(7))


def test_trace_steps_show_registers_and_memory_changes():
    steps = []
    VM().run(assemble("r0 = 3\n*(u16 *)(r1 + 1) = 0x0102\nr0 += 1\nexit"), mem=bytearray(4),
             trace=steps.append)
    assert [s.pc for s in steps] == [0, 1, 2, 3]
    assert steps[0].regs[0] == 3 and steps[2].regs[0] == 4
    (change,) = steps[1].changes
    assert (change.region, change.offset, change.old, change.new) == ("mem", 1, b"\0\0",
                                                                      b"\x02\x01")
    assert "r0 += 0x1" in steps[2].text and steps[2].changes == ()
    assert "mem+1: 0000 -> 0201" in steps[1].format()
    assert steps[0].pointers[1] == "mem+0" and steps[0].pointers[10] == "fp0"
    assert steps[0].pointers[0] is None and "r1=mem+0 " in steps[0].format()


def test_trace_follows_calls_and_sees_same_result():
    steps = []
    calls = "r6 = 1\ncall pc+2\nr0 += r6\nexit\nr6 = 5\nr0 = 10\nexit"
    plain = VM().run(assemble(calls))
    traced = VM().run(assemble(calls), trace=steps.append)
    assert plain.r0 == 11
    assert traced.r0 == plain.r0 and traced.insns == plain.insns == len(steps)
    assert [s.depth for s in steps] == [0, 0, 1, 1, 1, 0, 0]  # the callee runs one deeper
    assert steps[2].format().startswith("    4:   r6 = 0x5")


def test_built_contexts():
    prog = assemble("r0 = *(u32 *)(r1 + 0)\nr2 = *(u32 *)(r1 + 16)\nr0 <<= 16\nr0 |= r2\nexit")
    frame = bytes(12) + b"\x86\xdd" + bytes(50)
    assert VM().run(prog, packet=frame, prog_type="sched_cls").r0 == (64 << 16) | 0xDD86
    with pytest.raises(VMFault, match="read-only") as info:
        VM().run(assemble("*(u32 *)(r1 + 0) = 1\nr0 = 0\nexit"), packet=frame, prog_type="xdp")
    assert info.value.region == "xdp_md"
    with pytest.raises(VMFault, match="packet="):
        VM().run(prog, prog_type="xdp")
    from pybpf.errors import PybpfError

    with pytest.raises(PybpfError, match="cannot build a context"):
        VM().run(prog, packet=frame, prog_type="kprobe")
