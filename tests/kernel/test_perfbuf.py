"""`PerfBufReader` on the live kernel.

A socket filter program, run with BPF_PROG_TEST_RUN, numbers its runs with a
counter map and sends ``seq`` and a check word with ``bpf_perf_event_output``
(BPF_F_CURRENT_CPU). The kernel pads each raw sample to keep records 8-byte
aligned: 16 bytes of data arrive as 20.
"""
from __future__ import annotations

import os
import struct
import time

import pytest

from pybpf.asm import assemble
from pybpf.errors import PybpfError
from pybpf.isa import MapSpec
from pybpf.kernel.fd import ClosedError
from pybpf.kernel.maps import Map, possible_cpus
from pybpf.kernel.perfbuf import PerfBufReader, online_cpus, parse_cpu_list
from pybpf.kernel.prog import load

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.kernel

SENDER = """
r6 = r1
r1 = 0
*(u32 *)(r10 - 4) = r1
r1 = counter ll
r2 = r10
r2 += -4
call bpf_map_lookup_elem
if r0 == 0 goto out
r7 = 1
r7 = atomic_fetch_add((u64 *)(r0 + 0), r7)
*(u64 *)(r10 - 24) = r7
r7 *= 5
r7 += 11
*(u64 *)(r10 - 16) = r7
r1 = r6
r2 = events ll
r3 = 0xffffffff ll
r4 = r10
r4 += -24
r5 = 16
call bpf_perf_event_output
out:
r0 = 0
exit
"""


def sample(seq: int) -> bytes:
    """The raw sample of run ``seq``: 16 bytes of data, 4 bytes of kernel padding."""
    return struct.pack("<QQ", seq, seq * 5 + 11) + bytes(4)


class Sender:
    def __init__(self) -> None:
        self.events = Map.create(MapSpec(name="events", type="perf_event_array", key_size=4, value_size=4, max_entries=possible_cpus()))
        self.counter = Map.create(MapSpec(name="counter", type="array", key_size=4, value_size=8, max_entries=1))
        self.prog = load(assemble(SENDER, filename="sender.s"), "socket_filter",
                         maps={"events": self.events, "counter": self.counter})
        self.seq = 0

    def run(self, n: int) -> list[bytes]:
        self.prog.test_run(bytes(64), repeat=n)
        out = [sample(s) for s in range(self.seq, self.seq + n)]
        self.seq += n
        return out

    def close(self) -> None:
        for obj in (self.prog, self.events, self.counter):
            obj.close()


@pytest.fixture
def sender():
    s = Sender()
    yield s
    s.close()


def by_seq(records: list[bytes]) -> list[bytes]:
    return sorted(records, key=lambda r: struct.unpack_from("<Q", r)[0])


def test_parse_cpu_list() -> None:
    assert parse_cpu_list("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]
    assert parse_cpu_list("") == []
    assert online_cpus()


def test_callback_gets_every_sample_with_its_cpu(sender: Sender) -> None:
    got: list[tuple[int, bytes]] = []
    with PerfBufReader(sender.events, callback=lambda cpu, rec: got.append((cpu, bytes(rec)))) as pb:
        want = sender.run(50)
        n = 0
        deadline = time.monotonic() + 5
        while n < 50 and time.monotonic() < deadline:
            n += pb.poll(timeout_ms=500)
        assert n == 50 and pb.records == 50 and pb.lost == 0
        assert by_seq([r for _, r in got]) == want
        for cpu in {c for c, _ in got}:  # in order within each CPU
            seqs = [struct.unpack_from("<Q", r)[0] for c, r in got if c == cpu]
            assert seqs == sorted(seqs) and cpu in pb.cpus
        assert pb.poll(timeout_ms=0) == 0


def test_read_batch_flavours(sender: Sender) -> None:
    with PerfBufReader(sender.events, page_count=4) as pb:
        want = sender.run(20)
        records, cpus = pb.read_batch(with_cpus=True)
        assert all(isinstance(r, memoryview) for r in records) and len(cpus) == 20
        assert by_seq([bytes(r) for r in records]) == want
    with PerfBufReader(sender.events, as_bytes=True) as pb:
        want = sender.run(20)
        assert by_seq(pb.read_batch()) == want
    dtype = np.dtype([("seq", "<u8"), ("check", "<u8")])
    with PerfBufReader(sender.events, dtype=dtype) as pb:
        want = sender.run(20)
        arr = pb.read_batch()
        assert sorted(arr["seq"].tolist()) == list(range(40, 60))
        assert all(c == s * 5 + 11 for s, c in zip(arr["seq"].tolist(), arr["check"].tolist(), strict=True))


def test_poll_timeout_idle(sender: Sender) -> None:
    with PerfBufReader(sender.events, callback=lambda cpu, rec: None) as pb:
        t = time.monotonic()
        assert pb.poll(timeout_ms=80) == 0
        assert time.monotonic() - t >= 0.07
        assert pb.read_batch(timeout_ms=50) == []


def test_lost_samples_are_counted_when_a_ring_overflows(sender: Sender) -> None:
    lost_seen: list[tuple[int, int]] = []
    # one 4 KiB data page per CPU holds 128 records of 32 bytes at most
    with PerfBufReader(sender.events, page_count=1, lost_callback=lambda c, n: lost_seen.append((c, n)),
                    cpus=list(range(min(possible_cpus(), len(online_cpus()))))) as pb:
        sender.run(1000)
        first = [bytes(r) for r in pb.read_batch()]
        assert 0 < len(first) <= 128
        # the kernel writes the LOST record with the next sample that fits
        sender.run(1)
        second = [bytes(r) for r in pb.read_batch()]
        assert len(second) == 1
        assert len(first) + len(second) + pb.lost == 1001
        assert pb.lost > 800
        assert sum(n for _, n in lost_seen) == pb.lost
        assert sum(pb.lost_per_cpu.values()) == pb.lost
        seqs = [struct.unpack_from("<Q", r)[0] for r in first]
        assert seqs == list(range(len(first)))  # the oldest samples survive, in order
        assert struct.unpack_from("<Q", second[0])[0] == 1000


def test_bad_arguments(sender: Sender) -> None:
    arr = Map.create(MapSpec(name="notperf", type="array", key_size=4, value_size=4, max_entries=1))
    try:
        with pytest.raises(PybpfError, match="not a perf_event_array"):
            PerfBufReader(arr)
        with pytest.raises(PybpfError, match="power of two"):
            PerfBufReader(sender.events, page_count=3)
        with pytest.raises(PybpfError, match="outside the map"):
            PerfBufReader(sender.events, cpus=[possible_cpus() + 5])
        with pytest.raises(PybpfError, match="needs a callback"):
            PerfBufReader(sender.events).poll(0)
    finally:
        arr.close()


def perf_mappings() -> int:
    with open("/proc/self/maps") as f:
        return sum("[perf_event]" in line for line in f)


def test_closed_reader_and_fd_count(sender: Sender) -> None:
    before = len(os.listdir("/proc/self/fd")), perf_mappings()
    for _ in range(50):
        pb = PerfBufReader(sender.events)
        assert perf_mappings() == before[1] + len(pb.cpus)
        pb.close()
    assert (len(os.listdir("/proc/self/fd")), perf_mappings()) == before
    with pytest.raises(ClosedError):
        pb.read_batch()
    # closing removed the CPU entries: outputs now fail quietly in the program, nothing crashes
    sender.run(3)
    with PerfBufReader(sender.events) as pb:
        assert pb.read_batch() == []
        want = sender.run(2)
        assert by_seq([bytes(r) for r in pb.read_batch()]) == want
