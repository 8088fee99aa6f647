"""The VM against the live kernel (BPF_PROG_TEST_RUN): conformance vectors and generated programs.

The kernel runs each program as XDP behind the oracle's prologue (r1 = mem,
r2 = len) and returns the 64-bit r0 in two runs; see `pybpf.kernel.oracle`.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble
from pybpf.conformance import load_vectors
from pybpf.errors import VMFault
from pybpf.isa import ProgramSpec
from pybpf.kernel.oracle import run_kernel
from pybpf.testing.progen import generate
from pybpf.vm import VM

pytestmark = pytest.mark.kernel

#: Vectors the kernel cannot run, and the verifier's reason (kept in docs/conformance.md).
KERNEL_CANNOT_RUN = {
    "callx": "unknown opcode 8d",
    **{f"{op}{w}-imm-{kind}": "invalid shift"
       for op in ("arsh", "lsh", "rsh") for w in ("32", "64") for kind in ("high", "neg")},
}


def test_conformance_vectors_on_the_kernel_match_the_vm(conformance_dir):
    vm = VM()
    ran = 0
    refused = {}
    for v in load_vectors(conformance_dir):
        prog = v.program()
        k = run_kernel(prog, v.mem)
        if k.rejected is not None:
            refused[v.name] = k.rejected
            continue
        ran += 1
        mine = vm.run(prog, mem=v.mem)
        assert k.r0 == v.result == mine.r0, v.name
        assert k.mem == mine.mem, v.name
    assert set(refused) == set(KERNEL_CANNOT_RUN)
    for name, why in KERNEL_CANNOT_RUN.items():
        assert why in refused[name], (name, refused[name])
    assert ran == 313 - len(KERNEL_CANNOT_RUN)


def check_same(prog: ProgramSpec, mem: bytes) -> None:
    k = run_kernel(prog, mem)
    assert k.rejected is None, f"generator produced a program the kernel refuses: {k.rejected}"
    try:
        mine = VM().run(prog, mem=mem)
    except VMFault as exc:  # pragma: no cover - shows the program on failure
        raise AssertionError(f"VM faulted where the kernel ran: {exc}") from exc
    assert (mine.r0, mine.mem) == (k.r0, k.mem)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(data=st.data(), mem=st.binary(min_size=32, max_size=32))
def test_generated_programs_agree_with_the_kernel(data, mem):
    """ALU chains, branches, stack, packet, atomics, calls and loops: same r0, same mem."""
    prog = generate(lambda lo, hi: data.draw(st.integers(lo, hi)), mem_size=len(mem))
    check_same(prog, mem)


@pytest.mark.parametrize("text", [
    # may_goto ends a loop that has no other exit (the kernel's budget is at least 0xffff)
    "r0 = 0\nr2 = 0\nmay_goto +3\nr2 += 1\nif r2 < 1000 goto -3\nr0 = r2\nexit",
    # callee-saved registers and a separate stack frame across a call
    "r6 = r1\nr7 = 3\n*(u64 *)(r10 - 8) = r7\nr1 = 5\ncall pc+4\nr0 += r7\n"
    "r1 = *(u64 *)(r10 - 8)\nr0 += r1\nexit\n"
    "r7 = 100\n*(u64 *)(r10 - 8) = r7\nr0 = r1\nexit",
    # signed division corner cases on registers
    "r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1\nr2 = -7\nr3 = 0\nr2 s%= r3\nr0 ^= r2\nexit",
])
def test_selected_programs_agree_with_the_kernel(text):
    check_same(assemble(text), bytes(16))


def test_ld_abs_matches_a_socket_filter():
    """LD_ABS/LD_IND: big-endian loads from the packet, out of bounds ends with r0 = 0."""
    from pybpf.kernel.prog import load

    pkt = bytes(range(40, 104))
    cases = ["r6 = r1\nr0 = *(u16 *)skb[12]\nexit",
             "r6 = r1\nr3 = 20\nr0 = *(u32 *)skb[r3 + 8]\nexit",
             "r6 = r1\nr0 = *(u8 *)skb[63]\nexit",
             "r6 = r1\nr0 = *(u32 *)skb[62]\nr0 = 7\nexit"]
    for text in cases:
        prog = assemble(text)
        with load(prog, "socket_filter") as p:
            kernel = p.test_run(pkt).retval
        # a socket filter's test run sees the packet after its 14-byte Ethernet header
        assert VM().run(prog, ctx=bytes(8), packet=pkt[14:]).r0 == kernel, text


def test_cli_conformance_on_the_kernel(tmp_path, capsys):
    import json

    from pybpf.cli import main

    (tmp_path / "ok.data").write_text("-- asm\nmov %r0, %r2\nldxb %r3, [%r1+1]\nadd %r0, %r3\n"
                                      "exit\n-- mem\n01 02 03\n-- result\n0x5\n")
    (tmp_path / "shift.data").write_text("-- asm\nmov %r0, 1\nlsh %r0, 64\nexit\n-- result\n0x1\n")
    (tmp_path / "big.data").write_text("-- asm\nlddw %r0, 0x1122334455667788\nexit\n"
                                       "-- result\n0x1122334455667788\n")
    assert main(["conformance", str(tmp_path), "--runtime", "kernel", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    by = {r["name"]: r for r in doc["results"]}
    assert (doc["passed"], doc["failed"], doc["skipped"]) == (2, 0, 1)
    assert by["big"]["got"] == 0x1122334455667788  # all 64 bits of r0, from two runs
    assert by["shift"]["status"] == "skip" and "invalid shift 64" in by["shift"]["reason"]


XDP_PROGRAMS = [
    # swap the Ethernet addresses and bounce the frame (XDP_TX)
    """
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto drop
    r5 = *(u32 *)(r2 + 0)
    r6 = *(u16 *)(r2 + 4)
    r7 = *(u32 *)(r2 + 6)
    r8 = *(u16 *)(r2 + 10)
    *(u32 *)(r2 + 0) = r7
    *(u16 *)(r2 + 4) = r8
    *(u32 *)(r2 + 6) = r5
    *(u16 *)(r2 + 10) = r6
    r0 = 3
    exit
drop:
    r0 = 1
    exit
    """,
    # sum the first 64 bytes, each access checked against data_end; add the ifindex
    """
    r9 = *(u32 *)(r1 + 12)
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r0 = 0
    r4 = 0
loop:
    r5 = r2
    r5 += 1
    if r5 > r3 goto out
    r6 = *(u8 *)(r2 + 0)
    r0 += r6
    r2 += 1
    r4 += 1
    if r4 < 64 goto loop
out:
    r0 += r9
    exit
    """,
]

TC_PROGRAMS = [
    "r0 = *(u32 *)(r1 + 0)\nr2 = *(u32 *)(r1 + 16)\nr0 += r2\nexit",
    # rewrite the second byte of the EtherType through direct packet access
    """
    r2 = *(u32 *)(r1 + 76)
    r3 = *(u32 *)(r1 + 80)
    r4 = r2
    r4 += 14
    if r4 > r3 goto out
    r5 = *(u8 *)(r2 + 13)
    r5 ^= 0x5a
    *(u8 *)(r2 + 13) = r5
out:
    r0 = 0
    exit
    """,
]


@pytest.mark.parametrize("prog_type, text", [("xdp", t) for t in XDP_PROGRAMS]
                         + [("sched_cls", t) for t in TC_PROGRAMS])
@pytest.mark.parametrize("size", [34, 60, 100])  # an Ethernet and an IPv4 header at least
def test_contexts_match_the_kernel(prog_type, text, size):
    """Programs reading xdp_md / __sk_buff fields and the packet behind data/data_end."""
    from pybpf.kernel.prog import load

    frame = bytes((7 * i + 3) & 0xFF for i in range(size))
    frame = frame[:12] + b"\x08\x00" + frame[14:]
    prog = assemble(text)
    with load(prog, prog_type) as p:
        tr = p.test_run(frame)
    packet = bytearray(frame)
    res = VM().run(prog, packet=packet, prog_type=prog_type)
    assert res.r0 & 0xFFFFFFFF == tr.retval
    assert bytes(packet) == tr.data_out


def test_tail_call_limit_matches_the_kernel():
    """A program that tail-calls itself runs 1 + 33 times in both (MAX_TAIL_CALL_CNT)."""
    from pybpf.isa import MapSpec
    from pybpf.kernel.maps import Map
    from pybpf.kernel.prog import load
    from pybpf.vm import make_map

    text = ("r6 = r1\nr2 = map_value(n) ll\nr3 = 1\nlock *(u64 *)(r2 + 0) += r3\n"
            "r1 = r6\nr2 = jt ll\nr3 = 0\ncall bpf_tail_call\n"
            "r0 = map_value(n) ll\nr0 = *(u64 *)(r0 + 0)\nexit")
    prog = assemble(text)
    with Map.create(MapSpec("jt", "prog_array", 4, 4, 4)) as jt, \
            Map.create(MapSpec("n", "array", 4, 8, 1)) as n, \
            load(prog, "xdp", maps={"jt": jt, "n": n}) as p:
        jt[0] = p
        kernel = p.test_run(bytes(64)).retval
    vjt = make_map("prog_array", "jt", max_entries=4)
    vjt[0] = prog
    vm = VM(maps={"jt": vjt, "n": make_map("array", "n", value_size=8, max_entries=1)})
    assert vm.run(prog, ctx=bytes(24)).r0 == kernel == 34


@pytest.mark.parametrize("kind", ["hash", "lru_hash", "array", "percpu_hash", "percpu_array"])
def test_map_update_codes_match_the_kernel(kind):
    """Return codes of update/delete/lookup sequences (flags, capacity) are the kernel's."""
    from pybpf.isa import MapSpec

    steps = [("update", 1, 0), ("update", 1, 1), ("update", 2, 2), ("update", 2, 0),
             ("update", 3, 0), ("delete", 1, 0), ("update", 3, 1), ("lookup", 3, 0),
             ("lookup", 1, 0), ("update", 7, 0), ("delete", 9, 0)]
    lines = ["r9 = 0", "r1 = 0x1122 ll", "*(u64 *)(r10 - 16) = r1"]
    for op, key, flags in steps:
        lines += [f"r1 = {key}", "*(u32 *)(r10 - 4) = r1", "r1 = h ll", "r2 = r10", "r2 += -4"]
        if op == "update":
            lines += ["r3 = r10", "r3 += -16", f"r4 = {flags}", "call bpf_map_update_elem"]
        elif op == "delete":
            lines += ["call bpf_map_delete_elem"]
        else:
            lines += ["call bpf_map_lookup_elem", "if r0 == 0 goto +1", "r0 = 1"]
        lines += ["r9 *= 131", "r0 &= 0xff", "r9 += r0"]
    lines += ["r0 = r9", "exit"]
    prog = assemble("\n".join(lines))
    prog.maps["h"] = MapSpec("h", kind, key_size=4, value_size=8, max_entries=2)
    k = run_kernel(prog, bytes(16))
    assert k.rejected is None, k.rejected
    assert VM().run(prog, mem=bytes(16)).r0 == k.r0
