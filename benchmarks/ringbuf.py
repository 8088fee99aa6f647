"""Ring buffer drain rate: pybpf's batch reader vs BCC's ``ring_buffer_poll`` vs C libbpf.

A tracepoint program on ``syscalls:sys_enter_getpid``, filtered on the tgid of
a driver process, writes one 32-byte record per call with
``bpf_ringbuf_output`` into a 128 MiB ring buffer (failed writes are counted
in an array map: the drops). The driver, a small C program compiled here with
``cc``, calls getpid ``N`` (2,000,000) times. Three consumers drain:

- pybpf: `RingBufReader.read_batch` in this process, five figures by record
  flavour: the default (``events_per_s``), a `pybpf.kernel.records.Records`
  per call: the records packed in the drain's buffer, counted with ``len``, no
  ``bytes`` made (a consumer that only counts, or reads the payloads through
  ``.buffer``); the same with every record made a ``bytes`` object
  (``read_batch().tolist()``, ``..._bytes_list``: what iterating the records
  costs, the per-object price of CPython); a list of memoryviews
  (``..._memoryview``, ``memoryviews=True``) (these three with
  ``max_batch_bytes=256 KiB``: the consumer processes and drops each batch, as a streaming consumer does), one new
  numpy structured array per call holding every ready record (``..._numpy``),
  records copied into one reused numpy array of 64 Ki records
  (``read_batch(out=...)``, ``..._numpy_out``);
- libbpf: a C consumer (``cc -lbpf``) that opens pybpf's map by id
  (``bpf_map_get_fd_by_id``), so the same kernel program feeds it, and calls
  ``ring_buffer__poll``;
- BCC: ``/usr/bin/python3`` (Debian's python3-bpfcc) compiling its own version
  of the probe with ``BPF(text=...)`` and calling ``ring_buffer_poll`` with a
  Python callback.

Two figures per peer:

- ``events_per_s``: the consumer polls while the driver runs; events received
  / (time of the last record drained - time the driver was released). A
  consumer that keeps up measures the producer: on a 2-CPU machine the driver
  (one CPU) bounds this figure for every consumer that is fast enough;
- ``drain_events_per_s``: the driver runs to completion first, then the
  consumer drains the full backlog; events / drain time (the consumer alone).
  BCC drains with ``ring_buffer_consume`` and libbpf with
  ``ring_buffer__consume`` here, the non-waiting forms of the same loop.
- ``drain_cpu_events_per_s``: the same drain, records over the CPU seconds (user + system)
  of the consumer's process during it, the median of the ``--repeat`` runs with their
  spread: the figure that other work on the shared machine moves least.

Each line carries the lost counts (records the program could not write; the
ring holds all 2,000,000 records, so drops mean a bug) and the best of
``--repeat`` runs per consumer (other work on the machine disturbs single runs).
BCC needs kernel headers: when ``/lib/modules/$(uname -r)/build`` is absent the
Debian ``linux-headers-*`` package under /usr/src is used (merged into one tree).
The perf buffer's figures (``perf_...``, benchmarks/_perfbuf.py: ``PerfBufReader`` against
C libbpf's ``perf_buffer__poll``/``__consume``, on ``--perf-events`` getpid calls) follow.

Run as root: ``.venv/bin/python benchmarks/ringbuf.py [--events N] [--repeat R] [--perf-events N]``.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bcc_env, emit, skip  # noqa: E402

BENCH = "ringbuf"
RING_BYTES = 128 << 20
RECORD = 32

DRIVER_C = r"""
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
/* Wait for one byte on stdin, then call getpid argv[1] times. */
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	char c;
	if (read(0, &c, 1) != 1)
		return 1;
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	return 0;
}
"""

LIBBPF_C = r"""
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static unsigned long long count;

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx; (void)data; (void)size;
	count++;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* argv: map id, "live" or "backlog". stdin: "expect N" (live), "go N" (backlog). */
int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int fd = bpf_map_get_fd_by_id((unsigned)atoi(argv[1]));
	if (fd < 0) {
		perror("bpf_map_get_fd_by_id");
		return 1;
	}
	struct ring_buffer *rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb) {
		perror("ring_buffer__new");
		return 1;
	}
	int backlog = strcmp(argv[2], "backlog") == 0;
	long long expected = -1;
	char line[128];
	double t0 = 0, c0 = 0;
	printf("ready\n");
	fflush(stdout);
	if (backlog) {
		if (!fgets(line, sizeof(line), stdin) || sscanf(line, "go %lld", &expected) != 1)
			return 3;
		t0 = now();
		c0 = cpu();
	}
	while (expected < 0 || (long long)count < expected) {
		int r = backlog ? ring_buffer__consume(rb) : ring_buffer__poll(rb, 10);
		if (r < 0) {
			fprintf(stderr, "ring buffer error %d\n", r);
			return 1;
		}
		if (expected < 0) {
			struct pollfd p = {.fd = 0, .events = POLLIN};
			if (poll(&p, 1, 0) > 0) {
				if (!fgets(line, sizeof(line), stdin) || sscanf(line, "expect %lld", &expected) != 1)
					return 3;
			}
		}
	}
	double t1 = now(), c1 = cpu();
	printf("{\"count\": %llu, \"t_start\": %.9f, \"t_end\": %.9f, \"cpu\": %.9f}\n",
		count, t0, t1, c1 - c0);
	ring_buffer__free(rb);
	return 0;
}
"""

BCC_PY = r'''
import ctypes, json, select, sys, time
from bcc import BPF
tgid, mode, pages = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
text = """
struct event { u64 pid_tgid; u64 ts; u64 nr; u64 pad; };
BPF_RINGBUF_OUTPUT(events, PAGES);
BPF_ARRAY(lost, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
    u64 pt = bpf_get_current_pid_tgid();
    if ((pt >> 32) != TGID)
        return 0;
    struct event e = {};
    e.pid_tgid = pt;
    e.ts = bpf_ktime_get_ns();
    e.nr = args->__syscall_nr;
    if (events.ringbuf_output(&e, sizeof(e), 0) != 0) {
        int k = 0;
        u64 *v = lost.lookup(&k);
        if (v)
            __sync_fetch_and_add(v, 1);
    }
    return 0;
}
""".replace("PAGES", str(pages)).replace("TGID", str(tgid))
b = BPF(text=text)
count = 0
def cb(ctx, data, size):
    global count
    count += 1
b["events"].open_ring_buffer(cb)
print("ready", flush=True)
expected, t0, c0 = -1, 0.0, 0.0
if mode == "backlog":
    line = sys.stdin.readline().split()
    t0, c0 = time.monotonic(), time.process_time()
    while count < int(line[1]) - b["lost"][ctypes.c_int(0)].value:
        b.ring_buffer_consume()
else:
    while expected < 0 or count < expected:
        b.ring_buffer_poll(10)
        if expected < 0 and select.select([sys.stdin], [], [], 0)[0]:
            n = int(sys.stdin.readline().split()[1])
            expected = n - b["lost"][ctypes.c_int(0)].value
t1, c1 = time.monotonic(), time.process_time()
print(json.dumps({"count": count, "lost": b["lost"][ctypes.c_int(0)].value, "t_start": t0, "t_end": t1,
                  "cpu": c1 - c0}), flush=True)
'''

PROBE = """
; one 32-byte record per getpid of the driver: pid_tgid, ktime, syscall nr, 0
r6 = r1
call bpf_get_current_pid_tgid
r7 = r0
r0 >>= 32
if r0 != {tgid} goto out
*(u64 *)(r10 - 32) = r7
call bpf_ktime_get_ns
*(u64 *)(r10 - 24) = r0
r1 = *(s32 *)(r6 + 8)
*(u64 *)(r10 - 16) = r1
r1 = 0
*(u64 *)(r10 - 8) = r1
r1 = events ll
r2 = r10
r2 += -32
r3 = 32
r4 = 0
call bpf_ringbuf_output
if r0 == 0 goto out
r1 = 0
*(u32 *)(r10 - 36) = r1
r1 = lost ll
r2 = r10
r2 += -36
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = 0
exit
.map events ringbuf key=0 value=0 max_entries={ring}
.map lost array key=4 value=8 max_entries=1
"""


def now() -> float:
    return time.monotonic()  # CLOCK_MONOTONIC, the clock the C consumer reads too


class Tools:
    """The C programs of this benchmark, compiled once into a temporary directory."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pybpf-bench-ringbuf-"))
        self.driver = self._cc("driver", DRIVER_C, ["-O2"])
        self.libbpf = self._cc("libbpf_consumer", LIBBPF_C, ["-O2", "-lbpf"]) \
            if Path("/usr/include/bpf/libbpf.h").exists() else None

    def _cc(self, name: str, source: str, flags: list[str]) -> Path:
        src = self.dir / f"{name}.c"
        src.write_text(source)
        out = self.dir / name
        cmd = ["cc", str(src), "-o", str(out), *[f for f in flags if f != "-lbpf"]]
        cmd += [f for f in flags if f == "-lbpf"]
        subprocess.run(cmd, check=True, capture_output=True)
        return out

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def start_driver(tools: Tools, n: int) -> subprocess.Popen:
    return subprocess.Popen([str(tools.driver), str(n)], stdin=subprocess.PIPE)


def release(driver: subprocess.Popen) -> float:
    t0 = now()
    assert driver.stdin is not None
    driver.stdin.write(b"g")
    driver.stdin.close()
    return t0


class PybpfProbe:
    """The pybpf program and maps for one driver process."""

    def __init__(self, tgid: int) -> None:
        from pybpf.asm import assemble
        from pybpf.isa import MapSpec
        from pybpf.kernel.link import tracepoint
        from pybpf.kernel.maps import Map
        from pybpf.kernel.prog import load

        program = assemble(PROBE.format(tgid=tgid, ring=RING_BYTES), filename="ringbuf-probe.s")
        self.events = Map.create(MapSpec(name="events", type="ringbuf", key_size=0, value_size=0, max_entries=RING_BYTES))
        self.lost_map = Map.create(MapSpec(name="lost", type="array", key_size=4, value_size=8, max_entries=1))
        self.prog = load(program, "tracepoint", maps={"events": self.events, "lost": self.lost_map})
        self.link = tracepoint(self.prog, "syscalls:sys_enter_getpid")

    def lost(self) -> int:
        raw = self.lost_map.lookup_raw((0).to_bytes(4, "little"))
        return int.from_bytes(raw or b"\0" * 8, "little")

    def close(self) -> None:
        for obj in (self.link, self.prog, self.events, self.lost_map):
            obj.close()


def run_pybpf(tools: Tools, n: int, backlog: bool, out_records: int = 0, tolist: bool = False,
              **reader: Any) -> dict[str, float]:
    """One run of the pybpf reader; ``out_records`` > 0: read into one reused array of that size;
    ``tolist``: make every record of each batch a ``bytes`` (``read_batch().tolist()``)."""
    from pybpf.kernel.ringbuf import RingBufReader

    driver = start_driver(tools, n)
    probe = PybpfProbe(driver.pid)
    try:
        with RingBufReader(probe.events, **reader) as rb:
            read = (lambda **k: rb.read_batch(**k).tolist()) if tolist else rb.read_batch
            kw: dict[str, Any] = {}
            if out_records:
                import numpy as np

                kw["out"] = np.empty(out_records, dtype=reader["dtype"])
                kw["out"].view(np.uint8).fill(0)  # allocated and touched once, before timing
            count = 0
            c0 = 0.0
            if backlog:
                release(driver)
                driver.wait()
                expected = n - probe.lost()
                t0, c0 = now(), time.process_time()
                while count < expected:
                    count += len(read(**kw))
            else:
                expected = -1
                t0 = release(driver)
                while expected < 0 or count < expected:
                    count += len(read(timeout_ms=10, **kw))
                    if expected < 0 and driver.poll() is not None:
                        expected = n - probe.lost()
            t1, c1 = now(), time.process_time()
            return {"count": count, "lost": probe.lost(), "seconds": t1 - t0, "cpu": c1 - c0}
    finally:
        driver.wait()
        probe.close()


def run_libbpf(tools: Tools, n: int, backlog: bool) -> dict[str, float]:
    assert tools.libbpf is not None
    driver = start_driver(tools, n)
    probe = PybpfProbe(driver.pid)
    consumer = subprocess.Popen([str(tools.libbpf), str(probe.events.id), "live" if not backlog
                                 else "backlog"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
    try:
        assert consumer.stdin is not None and consumer.stdout is not None
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError("libbpf consumer did not start")
        t0 = release(driver)
        driver.wait()
        lost = probe.lost()
        consumer.stdin.write(f"{'go' if backlog else 'expect'} {n - lost}\n")
        consumer.stdin.flush()
        out = json.loads(consumer.stdout.readline())
        consumer.wait()
        start = out["t_start"] if backlog else t0
        return {"count": out["count"], "lost": lost, "seconds": out["t_end"] - start,
                "cpu": out["cpu"]}
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
        driver.wait()
        probe.close()


def run_bcc(tools: Tools, n: int, backlog: bool) -> dict[str, float]:
    driver = start_driver(tools, n)
    pages = RING_BYTES // os.sysconf("SC_PAGE_SIZE")
    bcc = subprocess.Popen(["/usr/bin/python3", "-c", BCC_PY, str(driver.pid),
                            "backlog" if backlog else "live", str(pages)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=bcc_env(tools.dir))
    try:
        assert bcc.stdin is not None and bcc.stdout is not None
        ready, _, _ = select.select([bcc.stdout], [], [], 120)
        if not ready or bcc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"BCC consumer did not start: {bcc.stderr.read()[-500:] if bcc.stderr else ''}")
        t0 = release(driver)
        driver.wait()
        bcc.stdin.write(f"{'go' if backlog else 'expect'} {n}\n")
        bcc.stdin.flush()
        out = json.loads(bcc.stdout.readline())
        bcc.wait()
        start = out["t_start"] if backlog else t0
        return {"count": out["count"], "lost": out["lost"], "seconds": out["t_end"] - start,
                "cpu": out["cpu"]}
    finally:
        if bcc.poll() is None:
            bcc.kill()
            bcc.wait()
        if driver.poll() is None:
            driver.kill()
        driver.wait()


#: metric name suffix per record flavour of read_batch: Records (the default), Records made
#: a list[bytes], list[memoryview], numpy array, numpy array reused
VARIANT_SUFFIX = {"bytes": "", "bytes_list": "_bytes_list", "memoryview": "_memoryview",
                  "numpy": "_numpy", "numpy_out": "_numpy_out"}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the highest rate (runs share 2 CPUs with other work: take the least disturbed)."""
    for r in runs:
        r["rate"] = r["count"] / r["seconds"] if r["seconds"] > 0 else 0.0
    return max(runs, key=lambda r: r["rate"])


def cpu_figures(runs: dict[str, list[dict[str, float]]], variants: dict[str, Any],
                events: int) -> None:
    """``drain_cpu_events_per_s...``: the drain's records over the CPU seconds the consumer's
    process spent in it (user + system: the ring's memory is read in both), the median of
    the runs with their spread; CPU time moves much less than wall time with other work on
    the machine."""
    def rates(name: str) -> list[float]:
        return [r["count"] / r["cpu"] for r in runs[name] if r.get("cpu", 0) > 0]

    for variant in variants:
        mine = rates(variant)
        for peer in ("bcc", "libbpf"):
            theirs = rates(peer) if peer in runs else []
            if not mine or not theirs:
                continue
            emit(BENCH, "drain_cpu_events_per_s" + VARIANT_SUFFIX[variant],
                 statistics.median(mine), peer, statistics.median(theirs),
                 lower_is_better=False, events=events, runs=len(mine),
                 spread={"pybpf": [round(min(mine)), round(max(mine))],
                         "peer": [round(min(theirs)), round(max(theirs))]})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=2_000_000, help="getpid calls of the driver")
    ap.add_argument("--repeat", type=int, default=2, help="runs per consumer (the best is kept)")
    ap.add_argument("--perf-events", type=int, default=200_000,
                    help="getpid calls of the driver for the perf buffer figures (0: none)")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        skip(BENCH, "events_per_s", "needs root (bpf, tracepoints)")
        return 0
    if shutil.which("cc") is None:
        skip(BENCH, "events_per_s", "needs cc to build the driver")
        return 0
    import numpy as np

    from pybpf.kernel.fs import ensure_tracefs

    ensure_tracefs()  # BCC reads tracepoint formats from tracefs too
    dtype = np.dtype([("pid_tgid", "<u8"), ("ts", "<u8"), ("nr", "<u8"), ("pad", "<u8")])
    # the list flavours read 256 KiB of ring per call, so each batch's objects are freed
    # and their memory reused before the next (2M live memoryviews would be 400 MB)
    batch = 1 << 18
    variants: dict[str, dict[str, Any]] = {"bytes": {"max_batch_bytes": batch},
                                           "bytes_list": {"max_batch_bytes": batch,
                                                          "tolist": True},
                                           "memoryview": {"memoryviews": True,
                                                          "max_batch_bytes": batch},
                                           "numpy": {"dtype": dtype},
                                           "numpy_out": {"dtype": dtype, "out_records": 1 << 16}}
    tools = Tools()
    try:
        have_bcc = subprocess.run(["/usr/bin/python3", "-c", "import bcc"],
                                  capture_output=True).returncode == 0
        for backlog, metric in ((False, "events_per_s"), (True, "drain_events_per_s")):
            # round-robin over the consumers, so that load from other work on the machine
            # falls on all of them alike; the best run of each is kept
            runs: dict[str, list[dict[str, float]]] = {}
            for _ in range(args.repeat):
                for variant, reader in variants.items():
                    runs.setdefault(variant, []).append(
                        run_pybpf(tools, args.events, backlog, **reader))
                if tools.libbpf is not None:
                    runs.setdefault("libbpf", []).append(run_libbpf(tools, args.events, backlog))
                if have_bcc:
                    runs.setdefault("bcc", []).append(run_bcc(tools, args.events, backlog))
            results = {name: best(r) for name, r in runs.items()}
            if backlog:
                cpu_figures(runs, variants, args.events)
            for variant in variants:
                mine = results[variant]
                name = metric + VARIANT_SUFFIX[variant]
                for peer in ("bcc", "libbpf"):
                    if peer not in results:
                        skip(BENCH, name, f"{peer} unavailable")
                        continue
                    other = results[peer]
                    emit(BENCH, name, mine["rate"], peer, other["rate"], lower_is_better=False,
                         events=args.events, record_bytes=RECORD, ring_bytes=RING_BYTES,
                         pybpf_received=mine["count"], pybpf_lost=mine["lost"],
                         peer_received=other["count"], peer_lost=other["lost"],
                         pybpf_seconds=round(mine["seconds"], 4),
                         peer_seconds=round(other["seconds"], 4))
        if args.perf_events > 0:
            import _perfbuf  # the perf buffer's figures, on the same driver

            _perfbuf.figures(sys.modules[__name__], tools, args.perf_events, max(args.repeat, 3))
    finally:
        tools.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
