"""Ring buffer arithmetic and the C drain loops, without a kernel.

`RingModel` simulates the kernel's producer; the C drain loop
(``pybpf_ringbuf_drain``) runs on a copy of its memory laid out as the
consumer's mapping (consumer page, producer page, data mapped twice) and must
take exactly the records the pure `walk` takes. The perf ring drain is checked
the same way against records written by a Python producer.
"""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.kernel import ringbuf_math as rm

ffi = pytest.importorskip("pybpf._native").ffi
lib = pytest.importorskip("pybpf._native").lib

SETTINGS = settings(max_examples=60, deadline=None)


# -- pure arithmetic ---------------------------------------------------------------------------
@given(st.integers(0, rm.MAX_RECORD_SIZE))
def test_record_size_is_aligned_and_tight(length: int) -> None:
    size = rm.record_size(length)
    assert size % 8 == 0
    assert length + rm.HDR_SIZE <= size < length + rm.HDR_SIZE + 8


@given(st.integers(0, rm.LEN_MASK), st.booleans(), st.booleans())
def test_len_word_round_trips(length: int, busy: bool, discard: bool) -> None:
    word = rm.encode_len(length, busy=busy, discard=discard)
    assert 0 <= word <= 0xFFFFFFFF
    assert rm.decode_len(word) == (length, busy, discard)


def test_len_word_rejects_31_bit_lengths() -> None:
    with pytest.raises(ValueError, match="30 bits"):
        rm.encode_len(rm.DISCARD_BIT)


@pytest.mark.parametrize("size", [0, 3000, 4096 * 3, 2048])
def test_bad_ring_sizes(size: int) -> None:
    with pytest.raises(ValueError):
        rm.check_ring_size(size)


@given(st.integers(0, 1 << 40), st.integers(0, 1 << 20))
def test_ready_bytes_is_the_distance(consumer: int, n: int) -> None:
    assert rm.ready_bytes(consumer, consumer + n) == n


# -- the producer model ------------------------------------------------------------------------
# An operation: ("out", payload, discard) writes one record; ("res", payload) reserves one and
# leaves it BUSY until a later ("commit", k, discard) commits the k-th oldest open reservation;
# ("consume",) takes what is ready.
payloads = st.binary(min_size=0, max_size=300)
ops = st.lists(st.one_of(
    st.tuples(st.just("out"), payloads, st.booleans()),
    st.tuples(st.just("res"), payloads),
    st.tuples(st.just("commit"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("consume")),
), max_size=60)


def run_model(size: int, operations: list[tuple]) -> tuple[list[bytes], list[bytes], rm.RingModel]:
    """Run ``operations``; returns (payloads consumed, payloads expected, model)."""
    m = rm.RingModel(size)
    open_: list[tuple[int, bytes]] = []
    committed: dict[int, bytes | None] = {}  # pos -> payload (None if discarded)
    got: list[bytes] = []
    for op in operations:
        if op[0] == "out":
            pos = m.producer
            if m.output(op[1], discard=op[2]):
                committed[pos] = None if op[2] else op[1]
        elif op[0] == "res":
            pos = m.reserve(len(op[1]), op[1])
            if pos is not None:
                open_.append((pos, op[1]))
        elif op[0] == "commit" and open_:
            pos, data = open_.pop(op[1] % len(open_))
            m.commit(pos, discard=op[2])
            committed[pos] = None if op[2] else data
        elif op[0] == "consume":
            got.extend(m.consume())
    got.extend(m.consume())
    # the consumer must have taken exactly the committed records before the oldest open one
    first_open = min((p for p, _ in open_), default=m.producer)
    expected = [d for p, d in sorted(committed.items()) if p < first_open and d is not None]
    assert m.consumer == first_open
    return got, expected, m


@SETTINGS
@given(ops)
def test_model_consumer_takes_committed_records_in_order(operations: list[tuple]) -> None:
    got, expected, m = run_model(4096, operations)
    assert got == expected
    assert rm.ready_bytes(m.consumer, m.producer) < m.size


def test_model_refuses_when_full_and_wraps() -> None:
    m = rm.RingModel(4096)
    n = 0
    while m.output(bytes([n % 256]) * 32):
        n += 1
    assert n == (4096 - 1) // rm.record_size(32)
    assert len(m.consume()) == n
    # after consuming, records cross the end of the data area and still read back whole
    for i in range(500):
        assert m.output(i.to_bytes(4, "little") * 9)
        assert m.consume() == [i.to_bytes(4, "little") * 9]
    assert m.producer > 5 * m.size


# -- the C drain loop against the model --------------------------------------------------------
class FakeMapping:
    """The consumer's view of a ring buffer, built from a `RingModel`, in plain memory."""

    def __init__(self, m: rm.RingModel) -> None:
        self.model = m
        self.cons = ffi.new("unsigned long long *", m.consumer)
        self.prod = ffi.new("unsigned long long *", m.producer)
        self.data = ffi.new("char[]", m.double_mapped())

    def drain(self, out_cap: int, max_records: int, stride: int = 0, lengths: bool = True):
        """One drain call; with a stride and ``lengths=False`` no offsets array is passed (the
        readers' numpy path: the C loop specialised per constant stride)."""
        out = ffi.new("char[]", max(out_cap, 1))
        offsets = ffi.new("unsigned int[]", max_records + 1) if lengths or not stride else ffi.NULL
        res = ffi.new("struct pybpf_drain *")
        status = lib.pybpf_ringbuf_drain(self.cons, self.prod, self.data, self.model.size - 1, out,
                                         out_cap, offsets, max_records, stride, res)
        raw = ffi.buffer(out, max(out_cap, 1))[:]
        n = res.records
        if stride:
            recs = [raw[i * stride:(i + 1) * stride] for i in range(n)]
            lens = [offsets[i] for i in range(n)] if lengths else None
        else:
            if n and res.min_len == res.max_len:  # one length: the offsets may be left unwritten
                recs = [raw[i * res.min_len:(i + 1) * res.min_len] for i in range(n)]
            else:
                recs = [raw[offsets[i]:offsets[i + 1]] for i in range(n)]
            lens = [len(r) for r in recs]
        return status, recs, lens, res


@SETTINGS
@given(ops, st.integers(1, 64), st.integers(1, 2000))
def test_c_drain_matches_model(operations: list[tuple], max_records: int, out_cap: int) -> None:
    m = rm.RingModel(4096)
    # produce without consuming, so that a backlog (possibly wrapped) is waiting
    m.consumer = m.producer = 4096 * 3 - 200  # positions that wrap soon
    produce_backlog(m, operations)
    records, end = rm.walk(m.consumer, m.producer, m.size, m.read_u32)
    want = [bytes(m.double_mapped()[r.offset:r.offset + r.length]) for r in records if not r.discarded]
    fake = FakeMapping(m)
    taken: list[bytes] = []
    discarded = 0
    for _ in range(10_000):
        status, recs, _, res = fake.drain(out_cap, max_records)
        taken.extend(recs)
        discarded += res.discarded
        assert res.bytes == sum(map(len, recs))
        if status != 1:
            break
        if not recs and res.consumed == 0:  # a record bigger than out: cannot progress
            assert max(len(w) for w in want[len(taken):]) > out_cap
            return
    assert status in (0, 2)
    assert status == (2 if end != m.producer else 0)
    assert taken == want
    assert discarded == sum(r.discarded for r in records)
    assert fake.cons[0] == end


def produce_backlog(m: rm.RingModel, operations: list[tuple]) -> None:
    """Run the producing operations of ``operations`` (no consumer)."""
    open_: list[int] = []
    for op in operations:
        if op[0] == "out":
            m.output(op[1], discard=op[2])
        elif op[0] == "res":
            pos = m.reserve(len(op[1]), op[1])
            if pos is not None:
                open_.append(pos)
        elif op[0] == "commit" and open_:
            m.commit(open_.pop(op[1] % len(open_)), discard=op[2])


@SETTINGS
@given(st.lists(st.binary(max_size=70), min_size=1, max_size=50),
       st.one_of(st.sampled_from([8, 16, 24, 32, 48, 64]), st.integers(1, 48)), st.booleans(),
       st.integers(0, 3))
def test_c_drain_stride_mode_pads_and_truncates(items: list[bytes], stride: int, lengths: bool,
                                                short: int) -> None:
    m = rm.RingModel(8192)
    for it in items:
        assert m.output(it)
    fake = FakeMapping(m)
    room = max(1, len(items) - short)  # out_cap may hold fewer records than max_records
    status, recs, lens, res = fake.drain(stride * room + min(short, stride - 1), len(items), stride,
                                         lengths)
    taken = items[:room]
    assert status == (1 if room < len(items) else 0)
    assert recs == [it[:stride].ljust(stride, b"\0") for it in taken]
    assert lens == ([len(it) for it in taken] if lengths else None)
    assert res.mismatched == sum(len(it) != stride for it in taken)
    assert res.bytes == stride * len(taken)
    assert (res.min_len, res.max_len) == (min(map(len, taken)), max(map(len, taken)))


def test_c_drain_clamps_a_producer_position_past_the_ring() -> None:
    m = rm.RingModel(4096)
    m.output(b"x" * 16)
    struct.pack_into("<I", m.data, 24, 4096)  # the next header claims the whole ring
    fake = FakeMapping(m)
    fake.prod[0] = m.consumer + (1 << 40)  # corrupt: further ahead than the ring holds
    status, recs, _, _ = fake.drain(4096, 16)
    assert status == -1 and recs == [b"x" * 16]  # never read past the double mapping


@SETTINGS
@given(st.sampled_from([8, 16, 24, 32, 48, 64]),
       st.lists(st.tuples(st.sampled_from([-1, -1, -1, 0, 5, 8, 32]), st.booleans()), max_size=60),
       st.integers(1, 70), st.integers(1, 3000))
def test_c_drain_packed_common_length_then_others(first: int, rest: list[tuple[int, bool]],
                                                  max_records: int, out_cap: int) -> None:
    """Packed mode copies a run of records of a common first length without offsets, then
    fills them in when another length comes (-1: the first length again)."""
    m = rm.RingModel(8192)
    want = []
    for i, (n, discard) in enumerate([(first, False)] * 3 + rest):
        payload = bytes([i % 251]) * (first if n < 0 else n)
        assert m.output(payload, discard=discard)
        if not discard:
            want.append(payload)
    if max(map(len, want)) > out_cap:
        return  # a record bigger than out never fits
    fake = FakeMapping(m)
    taken: list[bytes] = []
    for _ in range(1000):
        status, recs, lens, res = fake.drain(out_cap, max_records)
        taken.extend(recs)
        assert res.bytes == sum(lens) and (not recs or (res.min_len, res.max_len) ==
                                           (min(lens), max(lens)))
        if status != 1:
            break
    assert status == 0 and taken == want


def test_c_drain_reports_corrupt_header() -> None:
    m = rm.RingModel(4096)
    m.output(b"x" * 16)
    struct.pack_into("<I", m.data, 0, 1000)  # claims more than was produced
    status, recs, _, _ = FakeMapping(m).drain(4096, 16)
    assert status == -1 and recs == []


# -- the perf ring drain -----------------------------------------------------------------------
PERF_HDR = struct.Struct("<IHH")


class FakePerfRing:
    """A perf_event_mmap_page + data area in plain memory, written like the kernel does."""

    def __init__(self, data_size: int, start: int) -> None:
        self.size = data_size
        self.lens: list[int] | None = None  # the last drain's record lengths (None: not asked)
        self.base = ffi.new("char[]", 4096)
        self.data = ffi.new("char[]", data_size)
        self.head = start
        self._set(1024, start)  # data_head
        self._set(1032, start)  # data_tail

    def _set(self, off: int, value: int) -> None:
        ffi.cast("unsigned long long *", self.base + off)[0] = value

    def tail(self) -> int:
        return ffi.cast("unsigned long long *", self.base + 1032)[0]

    def write(self, rec: bytes) -> bool:
        if self.head + len(rec) - self.tail() > self.size:
            return False
        for i, b in enumerate(rec):
            self.data[(self.head + i) % self.size] = bytes([b])
        self.head += len(rec)
        self._set(1024, self.head)
        return True

    def sample(self, payload: bytes, misc: int = 0) -> bool:
        raw = payload.ljust(rm.round_up(len(payload) + 4) - 4, b"\0")
        return self.write(PERF_HDR.pack(9, misc, 8 + 4 + len(raw)) + struct.pack("<I", len(raw)) +
                          raw)

    def lost(self, n: int) -> bool:
        return self.write(PERF_HDR.pack(2, 0, 24) + struct.pack("<QQ", 7, n))

    def other(self, size: int) -> bool:
        """A record of another type (PERF_RECORD_THROTTLE = 5), of any size from 8 bytes."""
        return self.write(PERF_HDR.pack(5, 0, size) + bytes(range(size - 8)))

    def drain(self, out_cap: int, max_records: int, stride: int = 0, lengths: bool = True):
        out = ffi.new("char[]", max(out_cap, 1))
        offsets = ffi.new("unsigned int[]", max_records + 1) if lengths or not stride else ffi.NULL
        res = ffi.new("struct pybpf_drain *")
        status = lib.pybpf_perf_drain(self.base, self.data, self.size, out, out_cap, offsets,
                                      max_records, stride, res)
        raw = ffi.buffer(out, max(out_cap, 1))[:]
        n = res.records
        if stride:
            recs = [raw[i * stride:(i + 1) * stride] for i in range(n)]
            self.lens = [offsets[i] for i in range(n)] if lengths else None
        else:
            if n and res.min_len == res.max_len:  # one length: the offsets may be left unwritten
                recs = [raw[i * res.min_len:(i + 1) * res.min_len] for i in range(n)]
            else:
                recs = [raw[offsets[i]:offsets[i + 1]] for i in range(n)]
            self.lens = [len(r) for r in recs]
        return status, recs, res


perf_ops = st.lists(st.one_of(st.tuples(st.just("s"), st.binary(max_size=150)),
                              st.tuples(st.just("l"), st.integers(1, 1000)),
                              st.tuples(st.just("d"))), max_size=80)


@SETTINGS
@given(perf_ops, st.integers(0, 4095), st.integers(1, 8), st.integers(8, 600))
def test_perf_drain_matches_written_records(operations: list[tuple], start: int, max_records: int,
                                            out_cap: int) -> None:
    ring = FakePerfRing(1024, start * 8)
    want: list[bytes] = []
    got: list[bytes] = []
    lost_written = lost_read = 0

    def drain_all() -> None:
        nonlocal lost_read
        for _ in range(1000):
            status, recs, res = ring.drain(out_cap, max_records)
            got.extend(recs)
            lost_read += res.lost
            assert status in (0, 1)
            if status == 0:
                return
            if not recs and res.consumed == 0:
                raise AssertionError("no progress")

    for op in operations:
        if op[0] == "s":
            raw = op[1].ljust(rm.round_up(len(op[1]) + 4) - 4, b"\0")
            if len(raw) > out_cap:
                continue  # would never fit this test's out buffer
            if ring.sample(op[1]):
                want.append(raw)
        elif op[0] == "l":
            if ring.lost(op[1]):
                lost_written += op[1]
        else:
            drain_all()
    drain_all()
    assert got == want
    assert lost_read == lost_written
    assert ring.tail() == ring.head


@pytest.mark.parametrize("lengths", [True, False])
@pytest.mark.parametrize("stride", [16, 20, 24, 32])
def test_perf_drain_stride_and_corrupt(stride: int, lengths: bool) -> None:
    """Stride mode with and without offsets (without: the loop specialised per constant
    stride, the readers' numpy path), truncating, padding and exact records, one wrapping."""
    ring = FakePerfRing(256, 200)  # the second sample wraps
    assert ring.sample(b"A" * 20) and ring.sample(b"B" * 36) and ring.lost(5)
    assert ring.sample(b"C" * 28)  # arrives as 28 bytes: round_up(28 + 4, 8) - 4
    status, recs, res = ring.drain(4 * stride, 8, stride=stride, lengths=lengths)
    assert status == 0 and res.lost == 5
    assert recs == [(c * n)[:stride].ljust(stride, b"\0") for c, n in ((b"A", 20), (b"B", 36),
                                                                      (b"C", 28))]
    assert res.mismatched == sum(n != stride for n in (20, 36, 28))
    assert (res.min_len, res.max_len, res.bytes) == (20, 36, 3 * stride)
    ring.write(PERF_HDR.pack(9, 0, 4))  # size smaller than a header
    status, recs, _ = ring.drain(64, 8)
    assert status == -1 and recs == []


COMMON = [8, 16, 24, 32, 48, 64]  # output sizes the C loops have specialisations for
# ("s", n, misc): a sample of an n-byte output (-1: the first size); ("l", n): n samples lost;
# ("o", size): a record of another type; ("d",): drain what is ready
fast_ops = st.lists(st.one_of(
    st.tuples(st.just("s"), st.sampled_from([-1, -1, -1, -1, 0, 5, 8, 12, 28, 32, 36, 72]),
              st.integers(0, 3)),
    st.tuples(st.just("l"), st.integers(1, 1000)),
    st.tuples(st.just("o"), st.integers(8, 40)),
    st.tuples(st.just("d"))), max_size=120)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(COMMON), fast_ops, st.integers(0, 511),
       st.one_of(st.just(0), st.sampled_from(COMMON), st.integers(1, 80)), st.booleans(),
       st.integers(1, 70), st.integers(1, 3000))
def test_perf_drain_fast_paths(first: int, operations: list[tuple], start: int, stride: int,
                               lengths: bool, max_records: int, out_cap: int) -> None:
    """The fast paths (stride mode's common-record comparison, packed mode's common-length run)
    against the records written: a small ring so records wrap in the middle (headers too, after
    odd-sized records of other types), lost and other records inside a run, mixed sizes, misc
    values, out and max_records running out. Each call's lengths, mismatched, min_len, max_len
    and bytes are checked too."""
    ring = FakePerfRing(512, start)
    want: list[bytes] = []
    got: list[bytes] = []
    counts = {"lost": 0, "other": 0}
    seen = {"lost": 0, "other": 0}

    def expect(raw: bytes) -> bytes:
        return raw[:stride].ljust(stride, b"\0") if stride else raw

    def drain_all() -> None:
        for _ in range(1000):
            # stride mode: room for one record at least (it never fits otherwise)
            status, recs, res = ring.drain(max(out_cap, stride), max_records, stride, lengths)
            assert status in (0, 1)
            lens = ring.lens
            got.extend(recs)
            seen["lost"] += res.lost
            seen["other"] += res.other
            if recs:
                real = lens if lens is not None else [len(w) for w in raw_want[len(got) - len(recs):
                                                                               len(got)]]
                if lens is not None and stride:
                    assert lens == real_lengths[len(got) - len(recs):len(got)]
                assert (res.min_len, res.max_len) == (min(real), max(real))
                assert res.mismatched == (sum(n != stride for n in real) if stride else 0)
                assert res.bytes == (stride * len(recs) if stride else sum(real))
            if status == 0:
                return
            if not recs and res.consumed == 0:
                raise AssertionError("no progress")
        raise AssertionError("drain did not finish")

    raw_want: list[bytes] = []
    real_lengths: list[int] = []
    i = 0
    for op in [("s", first, 0)] * 3 + operations:
        if op[0] == "d":
            drain_all()
            continue
        if op[0] == "s":
            i += 1
            payload = bytes([i % 251]) * (first if op[1] < 0 else op[1])
            raw = payload.ljust(rm.round_up(len(payload) + 4) - 4, b"\0")
            if not stride and len(raw) > out_cap:
                continue  # would never fit this test's out buffer
            def write() -> bool:
                return ring.sample(payload, op[2])
        elif op[0] == "l":
            def write() -> bool:
                return ring.lost(op[1])
        else:
            def write() -> bool:
                return ring.other(op[1])
        if not write():  # full: the consumer catches up, then there is room
            drain_all()
            assert write()
        if op[0] == "s":
            raw_want.append(raw)
            real_lengths.append(len(raw))
            want.append(expect(raw))
        else:
            counts["lost" if op[0] == "l" else "other"] += op[1] if op[0] == "l" else 1
    drain_all()
    assert got == want
    assert seen == counts
    assert ring.tail() == ring.head


@pytest.mark.parametrize("stride", [0, 32])
def test_perf_drain_corrupt_common_records(stride: int) -> None:
    """Records that look like the common one but are not whole: the general path finds them
    corrupt, after the records before them were taken."""
    def drain(ring: FakePerfRing) -> tuple[int, list[bytes]]:
        status, recs, _ = ring.drain(4096, 64, stride, lengths=False)
        return status, recs

    common = PERF_HDR.pack(9, 0, 48) + struct.pack("<I", 36)
    # the raw size word claims more than the record holds
    ring = FakePerfRing(1024, 1000)  # the first record wraps, the rest are read in place
    for c in b"ab":
        assert ring.sample(bytes([c]) * 32)
    assert ring.write(PERF_HDR.pack(9, 0, 48) + struct.pack("<I", 44) + bytes(36))
    assert drain(ring) == (-1, [(b"a" * 32 + bytes(4))[:stride or 36],
                                (b"b" * 32 + bytes(4))[:stride or 36]])
    # a common header whose record runs past data_head
    ring = FakePerfRing(1024, 0)
    assert ring.sample(b"c" * 32)
    assert ring.write(common + bytes(20))
    assert drain(ring) == (-1, [(b"c" * 32 + bytes(4))[:stride or 36]])
    assert ring.tail() == 48


def fake_cpu_ring(cpu: int, ring: FakePerfRing):
    """A `pybpf.kernel.perfbuf._CpuRing` over a FakePerfRing (no perf event)."""
    import threading

    from pybpf.kernel import perfbuf

    r = object.__new__(perfbuf._CpuRing)
    r.cpu, r.what, r.fd = cpu, f"fake ring of CPU {cpu}", -1
    r.base, r.data, r.data_size = ring.base, ring.data, ring.size
    r.mapping, r.lock, r.records, r.lost = object(), threading.RLock(), 0, 0
    r.res = ffi.new("struct pybpf_drain *")
    return r


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.sampled_from([32, 32, 32, 16, 0]), st.just(-5)),
                         max_size=12), min_size=1, max_size=4),
       st.one_of(st.just(1 << 62), st.integers(36, 300)))  # 36: the largest payload
def test_perf_read_batch_drains_every_cpu_into_one_buffer(cpus: list[list[int]],
                                                          max_bytes: int) -> None:
    """PerfBufReader's bytes read_batch drains all CPUs into one buffer: one `Records` over it
    as it is when every sample has one length, the CPUs' parts joined otherwise; CPU order,
    with_cpus and the lost callbacks as before (n >= 0: a sample of n bytes, -5: 5 lost)."""
    from types import SimpleNamespace

    from pybpf.kernel.perfbuf import PerfBufReader
    from pybpf.kernel.records import Records

    rings, want, want_cpus, want_lost = [], [], [], []
    for cpu, items in enumerate(cpus):
        ring = FakePerfRing(4096, 1000 * cpu)
        seq = 0
        for n in items:
            if n < 0:
                assert ring.lost(-n)
                want_lost.append((cpu, -n))
                continue
            seq += 1
            assert ring.sample(bytes([cpu * 16 + seq]) * n)
        rings.append(ring)
    lost: list[tuple[int, int]] = []
    reader = SimpleNamespace(_rings=[fake_cpu_ring(i, r) for i, r in enumerate(rings)],
                             _max_bytes=max_bytes, lost_callback=lambda c, n: lost.append((c, n)))
    got: list[bytes] = []
    got_cpus: list[int] = []
    for _ in range(200):
        records, where = PerfBufReader._read_records(reader, True)
        assert type(records) is Records and len(where) == len(records)
        lengths = {len(r) for r in records}
        if records:
            assert records.record_size == (lengths.pop() if len(lengths) == 1 else None)
        got.extend(records)
        got_cpus.extend(where)
        if not any(r.ready() for r in reader._rings):
            break
    for cpu, items in enumerate(cpus):
        seq = 0
        for n in items:
            if n >= 0:
                seq += 1
                raw = bytes([cpu * 16 + seq]) * n
                want.append(raw.ljust(rm.round_up(n + 4) - 4, b"\0"))
                want_cpus.append(cpu)
    assert sorted(zip(got_cpus, got)) == sorted(zip(want_cpus, want))
    for cpu in range(len(cpus)):  # in order within each CPU
        assert [g for c, g in zip(got_cpus, got) if c == cpu] == \
            [w for c, w in zip(want_cpus, want) if c == cpu]
    for cpu in range(len(cpus)):  # lost counts by CPU (a drain reports its own sum)
        assert sum(n for c, n in lost if c == cpu) == sum(n for c, n in want_lost if c == cpu)
    assert all(n for _, n in lost)
    assert PerfBufReader._read_records(reader, False) == []


# -- cutting a drained batch into records ------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.integers(0, 40), st.integers(0, 1300), st.booleans(), st.booleans())
def test_split_records_uniform_and_mixed(length: int, count: int, mixed: bool, as_bytes: bool) -> None:
    from pybpf.kernel.mmap_io import split_records

    payloads = [bytes([i % 251]) * (length + (i % 3 if mixed else 0)) for i in range(count)]
    m = rm.RingModel(1 << 17)  # room for 1300 records of 42 bytes
    for p in payloads:
        assert m.output(p)
    fake = FakeMapping(m)
    cap = sum(map(len, payloads))
    out = ffi.new("char[]", max(cap, 1))
    offsets = ffi.new("unsigned int[]", count + 2)
    res = ffi.new("struct pybpf_drain *")
    assert lib.pybpf_ringbuf_drain(fake.cons, fake.prod, fake.data, m.size - 1, out, cap, offsets,
                                   count + 1, 0, res) == 0
    assert res.records == count
    if count:
        assert (res.min_len, res.max_len) == (min(map(len, payloads)), max(map(len, payloads)))
    records = split_records(out, int(res.bytes), offsets, int(res.records), int(res.min_len),
                            int(res.max_len), as_bytes)
    assert all(type(r) is (bytes if as_bytes else memoryview) for r in records)
    assert [bytes(r) for r in records] == payloads
