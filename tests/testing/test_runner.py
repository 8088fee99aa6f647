"""BpfProgram: the VM and BPF_PROG_TEST_RUN side by side, and every kind of difference caught."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from pybpf.errors import BackendMismatch, PybpfError
from pybpf.isa import MapSpec
from pybpf.testing import BpfProgram, socket_packets, tc_packets, xdp_packets
from pybpf.testing.frames import dissect

pytestmark = pytest.mark.kernel

# the VM's clock is fake (1e9, then +1000 per call); the kernel's is not: any output that
# depends on it differs
CLOCK_TO_RETVAL = "call bpf_ktime_get_ns\nr0 &= 0xffff\nr0 |= 1\nexit"
CLOCK_TO_MAP = """
    call bpf_ktime_get_ns
    *(u64 *)(r10 - 16) = r0
    *(u32 *)(r10 - 4) = 0
    r1 = clock ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_map_update_elem
    r0 = 2
    exit
"""
CLOCK_TO_PACKET = """
    r6 = r1
    call bpf_ktime_get_ns
    r2 = *(u32 *)(r6 + 0)
    r3 = *(u32 *)(r6 + 4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto out
    *(u64 *)(r2 + 0) = r0
out:
    r0 = 2
    exit
"""


def test_differences_are_caught():
    with BpfProgram.load(CLOCK_TO_RETVAL, prog_type="xdp") as p, pytest.raises(BackendMismatch,
                                                                              match="retval: VM"):
        p.run(packet=bytes(64), backend="both")
    prog = BpfProgram.load(CLOCK_TO_MAP, prog_type="xdp")
    prog.spec.maps["clock"] = MapSpec("clock", "array", 4, 8, 1)
    prog.decls = dict(prog.spec.maps)
    with prog, pytest.raises(BackendMismatch, match=r"map clock\[00000000\]: VM 00ca9a3b"):
        prog.run(packet=bytes(64), backend="both")
    with BpfProgram.load(CLOCK_TO_PACKET, prog_type="xdp") as p:
        # the first of the clock's 8 bytes that differs: the two clocks' low bytes are the
        # same one time in 256
        with pytest.raises(BackendMismatch, match="packet: VM 64 bytes, kernel 64 bytes, first "
                                                  "difference at byte [0-7]$"):
            p.run(packet=bytes(64), backend="both")
        # the same program, the clock stubbed to what the kernel cannot know: VM only
        assert p.run(packet=bytes(64), backend="vm").packet[:8] != bytes(8)


LD_ABS_PROTO = "r6 = r1\nr0 = *(u8 *)skb[9]\nexit"  # the IP protocol: offset 9 from the network header


@settings(max_examples=40)
@given(pkt=socket_packets())
def test_socket_filter_sees_the_network_header(pkt):
    """A socket filter's LD_ABS offsets count from the IP header in the kernel's test run;
    the VM's too (and the retval and packet compare from there)."""
    with BpfProgram.load(LD_ABS_PROTO, prog_type="socket_filter") as prog:
        out = prog.run(packet=pkt, backend="both")
        if len(pkt) >= 24:
            assert out.retval == pkt[14 + 9]


TC_FIELDS = """
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 16)
    r0 = r2
    r0 <<= 16
    r0 ^= r3
    exit
"""


@settings(max_examples=40)
@given(pkt=tc_packets())
def test_tc_context_fields(pkt):
    """skb->len and skb->protocol as a tc program reads them, in both."""
    with BpfProgram.load(TC_FIELDS, prog_type="sched_cls") as prog:
        out = prog.run(packet=pkt, backend="both")
        assert out.retval & 0xFFFF0000 == (len(pkt) << 16) & 0xFFFF0000


RING = """
    r6 = r1
    r2 = *(u32 *)(r6 + 0)
    r3 = *(u32 *)(r6 + 4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto out
    r5 = *(u64 *)(r2 + 0)
    *(u64 *)(r10 - 16) = r5
    r5 = *(u32 *)(r2 + 8)
    *(u32 *)(r10 - 8) = r5
    r5 = *(u16 *)(r2 + 12)
    *(u16 *)(r10 - 4) = r5
    r1 = events ll
    r2 = r10
    r2 += -16
    r3 = 14
    r4 = 0
    call bpf_ringbuf_output
out:
    r0 = 2
    exit
"""


@settings(max_examples=20)
@given(pkt=xdp_packets())
def test_ring_buffer_records_compared(pkt):
    prog = BpfProgram.load(RING, prog_type="xdp")
    prog.spec.maps["events"] = MapSpec("events", "ringbuf", 0, 0, 4096)
    prog.decls = dict(prog.spec.maps)
    with prog:
        out = prog.run(packet=pkt, backend="both")
        assert out.records["events"] == [bytes(pkt[:14])] == out.kernel.records["events"]


def test_tracepoint_runs_in_the_vm_only():
    with BpfProgram.load("r0 = 7\nexit", prog_type="tracepoint") as prog:
        out = prog.run(ctx=bytes(64), backend="both")
        assert out.retval == 7 and out.kernel is None
        assert "tracepoint programs cannot be test-run" in out.note


def test_dsl_maps_decode_and_reset():
    prog = BpfProgram.load("examples/xdp_drop.py")
    with prog:
        from pybpf.testing.frames import ethernet, ipv4, udp

        pkt = ethernet(ipv4(udp(b"", dport=9999), src="10.1.2.3"))
        for _ in range(3):
            out = prog.run(packet=pkt, backend="both")
        assert dict(prog.maps["drops"]) == {0x0A010203: 3} == dict(prog.view(out.kernel, "drops"))
        prog.reset()
        out = prog.run(packet=bytes(14), backend="both")
        assert dict(prog.view(out, "drops")) == {} == dict(prog.view(out.kernel, "drops"))
        assert dissect(out.packet).problem == "truncated Ethernet header" or out.packet == bytes(14)


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(PybpfError, match="needs prog_type"):
        BpfProgram.load("r0 = 0\nexit")
    with pytest.raises(PybpfError, match="pass program="):
        BpfProgram.load("examples/opensnoop.py")
    with pytest.raises(PybpfError, match="no probe 'nope'"):
        BpfProgram.load("examples/opensnoop.py", program="nope")
    with pytest.raises(PybpfError, match="backend must be"):
        from pybpf.testing.runner import set_default_backend

        set_default_backend("qemu")
