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
from pybpf.kernel.records import Records

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
        assert all(type(r) is bytes for r in records) and len(cpus) == 20  # as RingBufReader's
        assert type(records) is Records and records.buffer.readonly  # packed, as RingBufReader's
        assert by_seq(records) == want
    for views in ({"memoryviews": True}, {"as_bytes": False}):
        with PerfBufReader(sender.events, **views) as pb:
            want = sender.run(20)
            records = pb.read_batch()
            assert all(isinstance(r, memoryview) for r in records)
            assert by_seq([bytes(r) for r in records]) == want
    with pytest.raises(PybpfError, match="contradict"):
        PerfBufReader(sender.events, as_bytes=True, memoryviews=True)
    dtype = np.dtype([("seq", "<u8"), ("check", "<u8")])
    with PerfBufReader(sender.events, dtype=dtype) as pb:
        first = sender.seq
        sender.run(20)
        arr = pb.read_batch()
        assert sorted(arr["seq"].tolist()) == list(range(first, first + 20))
        assert all(c == s * 5 + 11 for s, c in zip(arr["seq"].tolist(), arr["check"].tolist(), strict=True))


def run_on(sender: Sender, cpu: int, n: int) -> list[bytes]:
    """Run the sender ``n`` times pinned to ``cpu`` (its samples go to that CPU's ring)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        return sender.run(n)
    finally:
        os.sched_setaffinity(0, before)


def test_read_batch_into_a_callers_array(sender: Sender) -> None:
    """read_batch(out=...) copies at most len(out) samples into the caller's array and returns
    a view of it; the rest wait in their rings; calls start at the next CPU each time, so the
    samples of every CPU come through, each CPU's in order."""
    dtype = np.dtype([("seq", "<u8"), ("check", "<u8")])
    cpus = sorted(os.sched_getaffinity(0))[:2]
    with PerfBufReader(sender.events, dtype=dtype, cpus=cpus) as pb:
        for cpu in cpus:
            run_on(sender, cpu, 30)
        out = np.zeros(16, dtype=dtype)
        got: list[tuple[int, int, int]] = []
        firsts = []
        for i in range(10):
            arr, where = pb.read_batch(out=out, with_cpus=True)
            assert i > 0 or len(arr) == 16  # as many as fit
            assert len(arr) == len(where) <= 16
            if len(arr):
                assert np.shares_memory(arr, out)
                firsts.append(where[0])
            got += [(c, int(s), int(k)) for c, s, k in zip(where, arr["seq"].tolist(),
                                                             arr["check"].tolist(), strict=True)]
        assert sorted(s for _, s, _ in got) == list(range(30 * len(cpus)))
        assert all(k == s * 5 + 11 for _, s, k in got) and pb.records == 30 * len(cpus)
        for cpu in cpus:
            seqs = [s for c, s, _ in got if c == cpu]
            assert seqs == sorted(seqs) and len(seqs) == 30
        if len(cpus) == 2:
            assert firsts[0] != firsts[1]  # the second call started at the other CPU
        assert len(pb.read_batch(out=out)) == 0 and pb.lost == 0


def test_read_batch_of_several_cpus_is_one_buffer(sender: Sender) -> None:
    """The samples of every CPU are drained into one buffer, CPU after CPU: a `Records` over
    it as it is (no join) when they all have one length."""
    cpus = online_cpus()[:2]
    if len(cpus) < 2:
        pytest.skip("needs two online CPUs")
    with PerfBufReader(sender.events, cpus=cpus) as pb:
        want = [*run_on(sender, cpus[0], 10), *run_on(sender, cpus[1], 7)]
        records, where = pb.read_batch(with_cpus=True)
        assert where == [cpus[0]] * 10 + [cpus[1]] * 7
        assert records == want and records.record_size == 20
        assert bytes(records.buffer) == b"".join(want)


@pytest.mark.parametrize("flavour", [{}, {"memoryviews": True}, {"dtype": [("seq", "<u8"), ("check", "<u8")]}])
def test_max_batch_bytes_bounds_each_drain(sender: Sender, flavour: dict) -> None:
    """With max_batch_bytes, one read_batch copies at most that many bytes out of a CPU's
    ring (20-byte samples: 5 per 100 bytes; 16-byte dtype items: 6); the rest come with the
    next calls, in order."""
    cpu = sorted(os.sched_getaffinity(0))[0]
    with PerfBufReader(sender.events, cpus=[cpu], max_batch_bytes=100, **flavour) as pb:
        run_on(sender, cpu, 23)
        sizes, seqs = [], []
        for _ in range(8):
            batch = pb.read_batch()
            sizes.append(len(batch))
            seqs += batch["seq"].tolist() if "dtype" in flavour else \
                [struct.unpack_from("<Q", r)[0] for r in batch]
        want = [6, 6, 6, 5, 0, 0, 0, 0] if "dtype" in flavour else [5, 5, 5, 5, 3, 0, 0, 0]
        assert sizes == want and seqs == list(range(23)) and pb.lost == 0
    with pytest.raises(PybpfError, match="max_batch_bytes"):
        PerfBufReader(sender.events, max_batch_bytes=0)


def test_read_batch_out_must_be_an_array_of_the_readers_dtype(sender: Sender) -> None:
    dtype = np.dtype([("seq", "<u8"), ("check", "<u8")])
    with PerfBufReader(sender.events) as pb, pytest.raises(PybpfError, match="dtype"):
        pb.read_batch(out=np.zeros(4, dtype=dtype))
    with PerfBufReader(sender.events, dtype=dtype) as pb:
        readonly = np.zeros(4, dtype=dtype)
        readonly.flags.writeable = False
        for bad in (np.zeros(4, dtype="<u8"), np.zeros((2, 2), dtype=dtype),
                    np.zeros(8, dtype=dtype)[::2], readonly, bytearray(64)):
            with pytest.raises(PybpfError, match="out must be"):
                pb.read_batch(out=bad)


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
