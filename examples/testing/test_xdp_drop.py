"""A user's test suite for examples/xdp_drop.py: drop UDP packets to one port, count per source.

The contract, written from the probe's own docstring: an untagged Ethernet frame carrying
an IPv4 header without options (IHL 5) whose protocol is UDP, with the whole UDP header in
the frame and PORT as its destination port, is dropped and counted under its source
address; every other frame passes. Every property runs in the VM and, as root, in the
kernel through BPF_PROG_TEST_RUN (the ``vm_vs_kernel`` marker), which must agree on the
verdict, the packet bytes and the map.

    pytest examples/testing                       # VM, plus the kernel when root
    pytest examples/testing --bpf-cov --bpf-cov-report term-missing
"""
from __future__ import annotations

import collections
import socket
import struct

import planted
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.testing import BpfProgram, packets, xdp_packets

PROBE = planted.XDP_DROP
XDP_DROP, XDP_PASS = 1, 2
PORT = 9999  # the probe's default (PYBPF_XDP_PORT)


def should_drop(pkt: bytes, port: int = PORT) -> bool:
    """The contract above, on the raw bytes."""
    return (len(pkt) >= 14 + 20 + 8 and pkt[12:14] == b"\x08\x00" and pkt[14] == 0x45
            and pkt[23] == socket.IPPROTO_UDP and int.from_bytes(pkt[36:38], "big") == port)


def source(pkt: bytes) -> int:
    """The source address the probe counts under (host order)."""
    return struct.unpack(">I", pkt[26:30])[0]


def check_frame(prog: BpfProgram, pkt: bytes, backend: str | None = None) -> None:
    """One frame through ``prog`` (fresh maps): the verdict, the bytes, the count."""
    prog.reset()
    out = prog.run(packet=pkt, backend=backend)
    want = XDP_DROP if should_drop(pkt) else XDP_PASS
    what = getattr(pkt, "recipe", pkt.hex())
    assert out.retval == want, f"{what}: returned {out.retval}, expected {want}"
    assert out.packet == bytes(pkt), f"{what}: the probe changed the packet"
    drops = dict(prog.view(out, "drops"))
    assert drops == ({source(pkt): 1} if want == XDP_DROP else {}), f"{what}: drops {drops}"


#: the frames the probe cares about most: IPv4/UDP, to its port a third of the time
UDP_TO_PORT = packets(l3=["ipv4"], l4=["udp"], ports=[PORT])


@pytest.mark.vm_vs_kernel
@given(pkt=xdp_packets(ports=[PORT]))
def test_any_frame(bpf_program, pkt):
    """Any frame, valid or not: the verdict follows the contract."""
    check_frame(bpf_program(PROBE), pkt)


@pytest.mark.vm_vs_kernel
@given(pkt=UDP_TO_PORT)
def test_udp_frames(bpf_program, pkt):
    """IPv4/UDP frames, to the port and not, short and long, corrupt or not."""
    check_frame(bpf_program(PROBE), pkt)


@pytest.mark.vm_vs_kernel
@settings(max_examples=30)
@given(frames=st.lists(UDP_TO_PORT, max_size=12))
def test_counts_accumulate(bpf_program, frames):
    """A stream of frames: the map counts the drops of each source, across runs."""
    prog = bpf_program(PROBE)
    for pkt in frames:
        prog.run(packet=pkt)
    want = collections.Counter(source(p) for p in frames if should_drop(p))
    assert dict(prog.maps["drops"]) == dict(want)


def examples_to_failure(check, strategy, max_examples: int = 200) -> int | None:
    """How many examples hypothesis drew before ``check`` first failed (None: it never
    did in ``max_examples``); no shrinking, so the count is the search's own."""
    seen = [0]

    @settings(max_examples=max_examples, phases=["generate"], derandomize=True, database=None,
              deadline=None)
    @given(strategy)
    def run(x):
        seen[0] += 1
        check(x)

    try:
        run()
    except AssertionError:
        return seen[0]
    return None


@pytest.mark.parametrize("backend", ["vm", "kernel"])
@pytest.mark.parametrize("bug", ["port_byte_order", "length_check_off_by_one"])
def test_finds_planted_bug(bug, backend, tmp_path, request):
    """With a bug planted in the probe, the suite's UDP property fails within 200
    examples, in the VM and in the kernel (the real probe passes the same property)."""
    if backend == "kernel":
        request.getfixturevalue("bpf_kernel")  # skipped with the reason when not root
    with BpfProgram.load(planted.write(bug, tmp_path)) as buggy:
        n = examples_to_failure(lambda pkt: check_frame(buggy, pkt, backend), UDP_TO_PORT)
        assert n is not None, f"{bug}: not found in 200 examples ({backend})"
    print(f"{bug} found by the {backend} after {n} examples")
    with BpfProgram.load(PROBE) as fixed:
        assert examples_to_failure(lambda pkt: check_frame(fixed, pkt, backend), UDP_TO_PORT) is None
