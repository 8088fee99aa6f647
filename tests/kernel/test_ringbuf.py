"""`RingBufReader` on the live kernel.

A socket filter program, run with BPF_PROG_TEST_RUN, numbers its runs with a
counter map (``seq``) and, by ``seq % 3``, writes a 12-byte record with
``bpf_ringbuf_output``, a 24-byte record with reserve+submit, or reserves one
and discards it. Every test checks each record's bytes against what that
``seq`` must have written, in order.
"""
from __future__ import annotations

import os
import selectors
import signal
import struct
import threading
import time
from itertools import accumulate

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pybpf.asm import assemble
from pybpf.errors import PybpfError
from pybpf.isa import MapSpec
from pybpf.kernel.fd import ClosedError
from pybpf.kernel.link import tracepoint
from pybpf.kernel.maps import Map
from pybpf.kernel.prog import load
from pybpf.kernel.records import Records
from pybpf.kernel.ringbuf import RingBufReader
from pybpf.kernel.ringbuf_math import RingModel

np = pytest.importorskip("numpy")

pytestmark = pytest.mark.kernel

WRITER = """
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
r8 = r7
r8 %= 3
if r8 == 0 goto output
if r8 == 1 goto submit
r1 = events ll
r2 = 24
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
*(u64 *)(r0 + 0) = r7
r1 = r0
r2 = 0
call bpf_ringbuf_discard
goto out
submit:
r1 = events ll
r2 = 24
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
*(u64 *)(r0 + 0) = r7
r2 = r7
r2 *= 3
r2 += 7
*(u64 *)(r0 + 8) = r2
r2 = 0x5355424d4954 ll
*(u64 *)(r0 + 16) = r2
r1 = r0
r2 = 0
call bpf_ringbuf_submit
goto out
output:
*(u64 *)(r10 - 24) = r7
r2 = r7
r2 *= 3
r2 += 7
*(u64 *)(r10 - 16) = r2
r1 = events ll
r2 = r10
r2 += -24
r3 = 12
r4 = 0
call bpf_ringbuf_output
out:
r0 = 0
exit
"""


def expected(seq: int) -> bytes | None:
    """What run number ``seq`` writes (None: a discarded record)."""
    check = struct.pack("<Q", seq * 3 + 7)
    if seq % 3 == 0:
        return struct.pack("<Q", seq) + check[:4]
    if seq % 3 == 1:
        return struct.pack("<Q", seq) + check + b"TIMBUS\0\0"
    return None


class Writer:
    """A ring buffer map, a counter and the WRITER program bound to them."""

    def __init__(self, ring_bytes: int = 1 << 16) -> None:
        self.events = Map.create(MapSpec(name="events", type="ringbuf", key_size=0, value_size=0, max_entries=ring_bytes))
        self.counter = Map.create(MapSpec(name="counter", type="array", key_size=4, value_size=8, max_entries=1))
        self.prog = load(assemble(WRITER, filename="writer.s"), "socket_filter",
                         maps={"events": self.events, "counter": self.counter})
        self.seq = 0

    def run(self, n: int) -> list[bytes]:
        """Run the program ``n`` times; the records those runs write (if the ring has room)."""
        self.prog.test_run(bytes(64), repeat=n)
        out = [expected(s) for s in range(self.seq, self.seq + n)]
        self.seq += n
        return [r for r in out if r is not None]

    def close(self) -> None:
        for obj in (self.prog, self.events, self.counter):
            obj.close()


@pytest.fixture
def writer():
    w = Writer()
    yield w
    w.close()


def test_callback_delivers_every_record_in_order_and_skips_discards(writer: Writer) -> None:
    got: list[bytes] = []
    with RingBufReader(writer.events, callback=lambda rec: got.append(bytes(rec))) as rb:
        want = writer.run(300)
        assert rb.poll(timeout_ms=1000) == len(want)
        assert got == want
        assert rb.discarded == 100  # seq % 3 == 2
        assert rb.records == 200
        assert rb.poll(timeout_ms=0) == 0


def test_read_batch_memoryviews_bytes_and_numpy(writer: Writer) -> None:
    rb = RingBufReader(writer.events, memoryviews=True)
    raw = RingBufReader(writer.events)  # bytes: the default
    dtype = np.dtype([("seq", "<u8"), ("check", "<u8"), ("tag", "S8")])
    arr_reader = RingBufReader(writer.events, dtype=dtype)
    try:
        want = writer.run(60)
        batch = rb.read_batch()
        assert all(isinstance(r, memoryview) for r in batch)
        assert [bytes(r) for r in batch] == want
        # the three readers share one ring (one consumer position): the first one took it all
        assert raw.read_batch() == [] and len(arr_reader.read_batch()) == 0
        want = writer.run(30)
        records = raw.read_batch()
        assert records == want and all(type(r) is bytes for r in records)
        want = writer.run(30)
        arr = arr_reader.read_batch()
        assert arr.dtype == dtype and len(arr) == len(want)
        assert [bytes(row.tobytes()) for row in arr] == [w.ljust(24, b"\0") for w in want]
        assert list(arr["seq"]) == [struct.unpack_from("<Q", w)[0] for w in want]
        assert arr_reader.mismatched == sum(len(w) != 24 for w in want)  # 12-byte records padded
    finally:
        for r in (rb, raw, arr_reader):
            r.close()


def test_read_batch_returns_packed_records(writer: Writer) -> None:
    with RingBufReader(writer.events) as rb:
        want = writer.run(60)  # 12- and 24-byte records: cut by the drain's offsets
        batch = rb.read_batch()
        assert type(batch) is Records and batch == want and batch.tolist() == want
        assert repr(batch) == repr(want) and batch[-1] == want[-1] and batch[3:9] == want[3:9]
        assert batch.record_size is None and bytes(batch.buffer) == b"".join(want)
        assert list(batch.offsets) == list(accumulate(map(len, want), initial=0))
        writer.prog.close()
        writer.prog = load(assemble(WRITER.replace("if r8 == 0 goto output",
                                                   "if r8 == 0 goto submit\nif r8 == 5 goto output"),
                                    filename="writer.s"), "socket_filter",
                           maps={"events": writer.events, "counter": writer.counter})
        writer.run(30)  # now every kept record is 24 bytes: cut by that length
        batch = rb.read_batch()
        assert batch.record_size == 24 and len(batch) == 20 and batch.buffer.readonly
        assert [struct.unpack_from("<Q", r)[0] % 3 for r in batch] == [0, 1] * 10
        assert type(rb.read_batch()) is Records and not rb.read_batch()


def test_records_left_by_a_failing_callback_come_first_in_read_batch(writer: Writer) -> None:
    def cb(rec: bytes) -> None:
        raise RuntimeError("boom")

    with RingBufReader(writer.events, callback=cb) as rb:
        want = writer.run(9)
        with pytest.raises(RuntimeError, match="boom"):
            rb.poll(timeout_ms=100)
        more = writer.run(6)
        batch = rb.read_batch()
        assert type(batch) is Records and batch == want[1:] + more


def test_record_flavour_keywords(writer: Writer) -> None:
    # as_bytes, the older keyword, still chooses: False gives the memoryviews of before
    with RingBufReader(writer.events, as_bytes=False) as old, \
            RingBufReader(writer.events, as_bytes=True) as explicit:
        want = writer.run(20)
        batch = old.read_batch()
        assert [bytes(r) for r in batch] == want and all(type(r) is memoryview for r in batch)
        want = writer.run(20)
        batch = explicit.read_batch()
        assert batch == want and all(type(r) is bytes for r in batch)
    with pytest.raises(PybpfError, match="as_bytes=True and memoryviews=True contradict"):
        RingBufReader(writer.events, as_bytes=True, memoryviews=True)


def test_default_records_are_bytes_in_callbacks(writer: Writer) -> None:
    kept: list[object] = []
    with RingBufReader(writer.events, callback=kept.append) as rb:
        want = writer.run(25)
        assert rb.poll(timeout_ms=100) == len(want)
    # kept after the callback and after close(): plain bytes, equal to what was written
    assert kept == want and all(type(r) is bytes for r in kept)


def test_read_batch_into_a_caller_array(writer: Writer) -> None:
    dtype = np.dtype([("seq", "<u8"), ("check", "<u8"), ("tag", "S8")])
    got: list[int] = []

    def cb(rec: object) -> None:
        if len(got) == 2:
            raise RuntimeError("stop")
        got.append(int(rec["seq"]))  # type: ignore[index]

    with RingBufReader(writer.events, callback=cb, dtype=dtype) as rb:
        buf = np.zeros(16, dtype=dtype)
        want = writer.run(60)  # 40 records
        with pytest.raises(RuntimeError):
            rb.poll(0)  # delivers 2, fails on the 3rd: 37 left pending after it
        seqs: list[int] = []
        while True:
            part = rb.read_batch(out=buf)
            assert part.base is buf or part.base is buf.base or np.shares_memory(part, buf)
            if not len(part):
                break
            seqs += part["seq"].tolist()
        assert got + seqs == [struct.unpack_from("<Q", w)[0] for w in want[:2] + want[3:]]
        with pytest.raises(PybpfError, match="1-D C-contiguous"):
            rb.read_batch(out=np.zeros(4, dtype="<u8"))
        with pytest.raises(PybpfError, match="1-D C-contiguous"):
            rb.read_batch(out=buf[::2])
    with RingBufReader(writer.events) as rb, pytest.raises(PybpfError, match="needs a ring added with a dtype"):
        rb.read_batch(out=buf)


@pytest.mark.parametrize("memoryviews", [False, True])
def test_records_outlive_reader_and_map(memoryviews: bool) -> None:
    w = Writer()
    rb = RingBufReader(w.events, memoryviews=memoryviews)
    want = w.run(9)
    batch = rb.read_batch()
    rb.close()
    w.close()
    assert [bytes(r) for r in batch] == want  # copies: valid after munmap and map close
    with pytest.raises(ClosedError):
        rb.read_batch()
    rb.close()  # twice is fine


def test_poll_timeout_returns_zero_when_idle(writer: Writer) -> None:
    with RingBufReader(writer.events, callback=lambda rec: None) as rb:
        t = time.monotonic()
        assert rb.poll(timeout_ms=80) == 0
        assert time.monotonic() - t >= 0.07
        t = time.monotonic()
        assert rb.read_batch(timeout_ms=80) == []
        assert time.monotonic() - t >= 0.07
        assert rb.read_batch() == []


def test_two_ring_buffers_on_one_epoll() -> None:
    a, b = Writer(), Writer()
    got: dict[str, list[bytes]] = {"a": [], "b": []}
    try:
        rb = RingBufReader(a.events, callback=lambda rec: got["a"].append(bytes(rec)))
        assert rb.add(b.events, callback=lambda rec: got["b"].append(bytes(rec))) == 1
        assert len(rb) == 2
        want_b = b.run(10)
        assert rb.poll(timeout_ms=1000) == len(want_b)  # woken by the second ring alone
        assert got == {"a": [], "b": want_b}
        want_a = a.run(20)
        want_b += b.run(5)
        assert rb.poll(timeout_ms=1000) == len(want_a) + len(want_b) - 7
        assert got == {"a": want_a, "b": want_b}
        assert rb.read_batch(ring=1) == []
        with pytest.raises(PybpfError, match="no ring buffer 2"):
            rb.read_batch(ring=2)
        rb.close()
    finally:
        a.close()
        b.close()


def test_poll_blocks_until_a_tracepoint_fires() -> None:
    """A tracepoint program on getpid, filtered on this process: poll() wakes up when it writes."""
    probe = f"""
    call bpf_get_current_pid_tgid
    r6 = r0
    r0 >>= 32
    if r0 != {os.getpid()} goto out
    *(u64 *)(r10 - 8) = r6
    r1 = events ll
    r2 = r10
    r2 += -8
    r3 = 8
    r4 = 0
    call bpf_ringbuf_output
    out:
    r0 = 0
    exit
    """
    events = Map.create(MapSpec(name="events", type="ringbuf", key_size=0, value_size=0, max_entries=4096))
    prog = load(assemble(probe), "tracepoint", maps={"events": events})
    got: list[int] = []
    try:
        with tracepoint(prog, "syscalls:sys_enter_getpid"), \
                RingBufReader(events, callback=lambda r: got.append(struct.unpack("<Q", r)[0])) as rb:
            rb.consume()
            got.clear()
            timer = threading.Timer(0.2, os.getpid)
            t = time.monotonic()
            timer.start()
            n = rb.poll(timeout_ms=5000)
            waited = time.monotonic() - t
            timer.join()
            assert n >= 1 and 0.1 < waited < 4
            assert got and all(v >> 32 == os.getpid() for v in got)
    finally:
        prog.close()
        events.close()


def test_wrap_around_over_thousands_of_records() -> None:
    w = Writer(ring_bytes=4096)
    try:
        with RingBufReader(w.events) as rb:
            total: list[bytes] = []
            want: list[bytes] = []
            for _ in range(120):
                want += w.run(60)  # about 1.3 KiB of records per round, a third of the ring
                total += [bytes(r) for r in rb.read_batch()]
            assert total == want and len(total) == 4800
            assert rb.discarded == 2400
    finally:
        w.close()


def model_of(ring_bytes: int, seqs: range) -> tuple[list[bytes], int]:
    """What the kernel keeps of runs ``seqs`` in a ring nobody reads: `RingModel`'s answer
    (records, discarded records)."""
    m = RingModel(ring_bytes)
    discarded = 0
    for seq in seqs:
        rec = expected(seq)
        if rec is None:
            pos = m.reserve(24)
            if pos is not None:
                m.commit(pos, discard=True)
                discarded += 1
        else:
            m.output(rec)
    return m.consume(), discarded


def test_consumer_that_falls_behind_keeps_what_fit_like_the_model() -> None:
    w = Writer(ring_bytes=4096)
    try:
        with RingBufReader(w.events) as rb:
            w.run(1000)  # far more than 4 KiB: the kernel refuses what does not fit
            got = [bytes(r) for r in rb.read_batch()]
            want, discarded = model_of(4096, range(1000))
            assert 50 < len(got) < 200
            assert got == want  # the same records as the model, in order, nothing torn
            assert rb.discarded == discarded
            # once drained, the ring takes records again, from the current run on
            want = w.run(10)
            assert [bytes(r) for r in rb.read_batch()] == want
    finally:
        w.close()


def test_callback_exception_keeps_the_rest_for_next_poll(writer: Writer) -> None:
    got: list[bytes] = []

    def cb(rec: memoryview) -> None:
        if len(got) == 3 and not getattr(cb, "raised", False):
            cb.raised = True  # type: ignore[attr-defined]
            raise RuntimeError("boom")
        got.append(bytes(rec))

    with RingBufReader(writer.events, callback=cb) as rb:
        want = writer.run(30)
        with pytest.raises(RuntimeError, match="boom"):
            rb.poll(timeout_ms=100)
        assert rb.poll(timeout_ms=100) == len(want) - 4
        assert got == want[:3] + want[4:]


def test_wrong_maps_are_refused() -> None:
    arr = Map.create(MapSpec(name="notring", type="array", key_size=4, value_size=8, max_entries=1))
    user = Map.create(MapSpec(name="user", type="user_ringbuf", key_size=0, value_size=0, max_entries=4096))
    try:
        with pytest.raises(PybpfError, match="array map, not a ringbuf"):
            RingBufReader(arr)
        with pytest.raises(PybpfError, match="user_ringbuf"):
            RingBufReader(user)
        with RingBufReader() as empty, pytest.raises(PybpfError, match="no ring buffer"):
            empty.poll(0)
        with RingBufReader(None) as rb:
            with pytest.raises(PybpfError, match="no ring buffer"):
                rb.read_batch()
    finally:
        arr.close()
        user.close()


def bpf_mappings() -> int:
    """How many mappings of BPF objects this process has."""
    with open("/proc/self/maps") as f:
        return sum("anon_inode:bpf" in line for line in f)


def test_no_fd_or_mapping_leak_over_many_readers(writer: Writer) -> None:
    before = len(os.listdir("/proc/self/fd")), bpf_mappings()
    for _ in range(200):
        with RingBufReader(writer.events) as rb:
            rb.add(writer.events)
            assert bpf_mappings() == before[1] + 4  # consumer page + data, per ring
    with pytest.raises(TypeError):
        RingBufReader(writer.events, dtype="not a dtype")
    RingBufReader(writer.events)  # dropped without close(): the garbage collector closes it
    assert (len(os.listdir("/proc/self/fd")), bpf_mappings()) == before


# -- the kernel against the producer model, on random operation sequences --------------------------
XDP_WRITER = """
r6 = r1
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 64
if r4 > r3 goto out
r7 = *(u8 *)(r2 + 0)
r8 = *(u8 *)(r2 + 1)
if r8 == 1 goto submit
if r8 == 2 goto discard
if r7 > 56 goto out
r1 = *(u64 *)(r2 + 8)
*(u64 *)(r10 - 56) = r1
r1 = *(u64 *)(r2 + 16)
*(u64 *)(r10 - 48) = r1
r1 = *(u64 *)(r2 + 24)
*(u64 *)(r10 - 40) = r1
r1 = *(u64 *)(r2 + 32)
*(u64 *)(r10 - 32) = r1
r1 = *(u64 *)(r2 + 40)
*(u64 *)(r10 - 24) = r1
r1 = *(u64 *)(r2 + 48)
*(u64 *)(r10 - 16) = r1
r1 = *(u64 *)(r2 + 56)
*(u64 *)(r10 - 8) = r1
r1 = events ll
r2 = r10
r2 += -56
r3 = r7
r4 = 0
call bpf_ringbuf_output
goto out
submit:
r1 = events ll
r2 = 16
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = r2
r4 += 64
if r4 > r3 goto drop
r1 = *(u64 *)(r2 + 8)
*(u64 *)(r0 + 0) = r1
r1 = *(u64 *)(r2 + 16)
*(u64 *)(r0 + 8) = r1
r1 = r0
r2 = 0
call bpf_ringbuf_submit
goto out
drop:
r1 = r0
r2 = 0
call bpf_ringbuf_discard
goto out
discard:
r1 = events ll
r2 = 16
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r1 = r0
r2 = 0
call bpf_ringbuf_discard
out:
r0 = 2
exit
"""

_output = st.tuples(st.just(0), st.integers(0, 56), st.binary(min_size=56, max_size=56))
_submit = st.tuples(st.just(1), st.just(16), st.binary(min_size=56, max_size=56))
_discard = st.tuples(st.just(2), st.just(16), st.just(bytes(56)))
_consume = st.tuples(st.just(3), st.just(0), st.just(b""))
# long sequences with few consumes, so that the 4 KiB ring also overflows
_ops = st.lists(st.one_of(_output, _output, _output, _submit, _discard, _consume),
                min_size=1, max_size=250)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ops)
@example([(0, 56, bytes(range(56)))] * 100 + [(2, 16, bytes(56))] * 30 + [(3, 0, b"")]
         + [(1, 16, bytes(range(100, 156)))] * 200)  # overflows, drains, overflows again
def test_kernel_ring_matches_the_model(ops: list[tuple[int, int, bytes]]) -> None:
    events = Map.create(MapSpec(name="events", type="ringbuf", key_size=0, value_size=0, max_entries=4096))
    prog = load(assemble(XDP_WRITER, filename="xdp_writer.s"), "xdp", maps={"events": events})
    model = RingModel(4096)
    discarded = 0
    try:
        with RingBufReader(events, as_bytes=True) as rb:
            for kind, length, payload in ops:
                if kind == 3:
                    assert rb.read_batch() == model.consume()
                    continue
                prog.test_run(bytes([length, kind]) + bytes(6) + payload)
                if kind == 0:
                    model.output(payload[:length])
                elif kind == 1:
                    model.output(payload[:16])
                else:
                    pos = model.reserve(16)
                    if pos is not None:
                        model.commit(pos, discard=True)
                        discarded += 1
            assert rb.read_batch() == model.consume()
            assert rb.discarded == discarded
    finally:
        prog.close()
        events.close()


def test_a_callback_may_close_the_reader() -> None:
    a, b = Writer(), Writer()
    try:
        got: list[bytes] = []
        rb = RingBufReader()

        def close_it(rec: memoryview) -> None:
            got.append(bytes(rec))
            rb.close()

        rb.add(a.events, callback=close_it)
        rb.add(b.events, callback=lambda rec: got.append(bytes(rec)))
        want = a.run(4)
        b.run(4)
        rb.poll(timeout_ms=100)  # ring 0's first callback closes: nothing more, no crash
        assert got == want  # the rest of ring 0's batch was already copied out
        with pytest.raises(ClosedError):
            rb.poll(0)
    finally:
        a.close()
        b.close()


def test_close_from_another_thread_while_reading() -> None:
    w = Writer(ring_bytes=1 << 20)
    try:
        for _ in range(20):
            rb = RingBufReader(w.events)
            w.run(2000)
            errors: list[BaseException] = []

            def reader(rb: RingBufReader = rb, errors: list[BaseException] = errors) -> None:
                try:
                    while True:
                        rb.read_batch(timeout_ms=1)
                except ClosedError:
                    pass
                except BaseException as e:  # reported below
                    errors.append(e)

            t = threading.Thread(target=reader)
            t.start()
            time.sleep(0.002)
            rb.close()
            t.join(5)
            assert not t.is_alive() and errors == []
    finally:
        w.close()


def test_signals_interrupt_a_blocking_poll(writer: Writer) -> None:
    """EINTR: a handler that returns lets poll() go on waiting its full timeout; one that raises
    stops poll(-1) with its exception (so Ctrl-C works)."""
    hits: list[int] = []

    def count(signum: int, frame: object) -> None:
        hits.append(signum)

    def stop(signum: int, frame: object) -> None:
        raise TimeoutError("interrupted")

    old = signal.signal(signal.SIGALRM, count)
    try:
        with RingBufReader(writer.events, callback=lambda rec: None) as rb:
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            t = time.monotonic()
            assert rb.poll(timeout_ms=300) == 0
            assert hits and time.monotonic() - t >= 0.28
            signal.signal(signal.SIGALRM, stop)
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            with pytest.raises(TimeoutError):
                rb.poll(timeout_ms=-1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_reader_in_a_selector_loop(writer: Writer) -> None:
    got: list[bytes] = []
    with RingBufReader(writer.events, callback=lambda rec: got.append(bytes(rec))) as rb, \
            selectors.DefaultSelector() as sel:
        sel.register(rb, selectors.EVENT_READ)
        assert sel.select(timeout=0.05) == []
        want = writer.run(5)
        assert [key.fileobj for key, _ in sel.select(timeout=1)] == [rb]
        assert rb.consume() == len(want) and got == want
        assert sel.select(timeout=0.05) == []
