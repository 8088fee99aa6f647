"""The perf buffer figures of benchmarks/ringbuf.py: pybpf's `PerfBufReader` vs C libbpf's
``perf_buffer__poll`` / ``perf_buffer__consume``, on the same producer.

A tracepoint program on ``syscalls:sys_enter_getpid``, filtered on the tgid of the driver
(ringbuf.py's), sends one 32-byte sample per call with ``bpf_perf_event_output``
(``BPF_F_CURRENT_CPU``) into a ``BPF_MAP_TYPE_PERF_EVENT_ARRAY``; failed sends are counted
in an array map (the drops). Each CPU's ring holds ``PAGES`` pages (32 MiB), room for the
whole backlog (a sample is 48 bytes with its headers), so drops mean a bug. Both consumers
open one perf event per CPU with one wake-up per sample (libbpf's setting, and pybpf's
default) and put them in the same map (the C side finds it by id).

Figures (``perf_`` + ringbuf.py's names; ratio > 1 means pybpf is better):

- ``perf_events_per_s...``: live, the consumer polls while the driver runs (0 lost);
- ``perf_drain_cpu_events_per_s...``: the driver runs first, then the consumer drains the
  backlog; samples over the CPU seconds of the consumer's process in the drain, the median
  of the runs with their spread.

pybpf's flavours: ``read_batch()`` (the reader's default: a `pybpf.kernel.records.Records`,
the samples packed in the drain's buffer, counted with ``len``: no ``bytes`` made), the same
with every sample made a ``bytes`` (``read_batch().tolist()``, ``_bytes_list``: the
per-object price), ``memoryviews=True`` (``_memoryview``, a list), these three with
``max_batch_bytes=256 KiB``, and ``read_batch(out=...)`` into one reused numpy array of
64 Ki samples (``_numpy_out``).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import time
from typing import Any

from _common import emit

BENCH = "ringbuf"
PAGES = 8192  # per CPU: 32 MiB with 4 KiB pages
SAMPLE = 32
#: the list flavours read 256 KiB of samples per CPU and call, as ringbuf.py's do: each
#: batch's objects are freed and their memory reused by the next
BATCH = 1 << 18

PROBE = """
; one 32-byte sample per getpid of the driver: pid_tgid, ktime, syscall nr, 0
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
r1 = r6
r2 = events ll
r3 = 0xffffffff ll
r4 = r10
r4 += -32
r5 = 32
call bpf_perf_event_output
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
"""

LIBBPF_C = r"""
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static unsigned long long count, lost;

static void on_sample(void *ctx, int cpu, void *data, unsigned int size)
{
	(void)ctx; (void)cpu; (void)data; (void)size;
	count++;
}

static void on_lost(void *ctx, int cpu, unsigned long long n)
{
	(void)ctx; (void)cpu;
	lost += n;
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

/* argv: map id, "live" or "backlog", pages per CPU. stdin: "expect N" (live), "go N" (backlog). */
int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int fd = bpf_map_get_fd_by_id((unsigned)atoi(argv[1]));
	if (fd < 0) {
		perror("bpf_map_get_fd_by_id");
		return 1;
	}
	size_t pages = (size_t)atoi(argv[3]);
	struct perf_buffer *pb = perf_buffer__new(fd, pages, on_sample, on_lost, NULL, NULL);
	if (!pb) {
		perror("perf_buffer__new");
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
		int r = backlog ? perf_buffer__consume(pb) : perf_buffer__poll(pb, 10);
		if (r < 0) {
			fprintf(stderr, "perf buffer error %d\n", r);
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
	printf("{\"count\": %llu, \"lost\": %llu, ", count, lost);
	printf("\"t_start\": %.9f, \"t_end\": %.9f, \"cpu\": %.9f}\n", t0, t1, c1 - c0);
	perf_buffer__free(pb);
	return 0;
}
"""


class PerfProbe:
    """The pybpf program and maps for one driver process."""

    def __init__(self, tgid: int) -> None:
        from pybpf.asm import assemble
        from pybpf.isa import MapSpec
        from pybpf.kernel.link import tracepoint
        from pybpf.kernel.maps import Map, possible_cpus
        from pybpf.kernel.prog import load

        program = assemble(PROBE.format(tgid=tgid), filename="perfbuf-probe.s")
        self.events = Map.create(MapSpec(name="events", type="perf_event_array", key_size=4,
                                         value_size=4, max_entries=possible_cpus()))
        self.lost_map = Map.create(MapSpec(name="lost", type="array", key_size=4, value_size=8,
                                           max_entries=1))
        self.prog = load(program, "tracepoint", maps={"events": self.events, "lost": self.lost_map})
        self.link = tracepoint(self.prog, "syscalls:sys_enter_getpid")

    def lost(self) -> int:
        raw = self.lost_map.lookup_raw((0).to_bytes(4, "little"))
        return int.from_bytes(raw or b"\0" * 8, "little")

    def close(self) -> None:
        for obj in (self.link, self.prog, self.events, self.lost_map):
            obj.close()


def run_pybpf(rb: Any, tools: Any, n: int, backlog: bool, variant: str) -> dict[str, float]:
    """One run of `PerfBufReader` (``rb``: benchmarks/ringbuf.py, for its driver and clock)."""
    import numpy as np

    from pybpf.kernel.perfbuf import PerfBufReader

    driver = rb.start_driver(tools, n)
    probe = PerfProbe(driver.pid)
    dtype = np.dtype([("pid_tgid", "<u8"), ("ts", "<u8"), ("nr", "<u8"), ("pad", "<u8")])
    try:
        reader: dict[str, Any] = {"dtype": dtype} if variant == "numpy_out" else \
            {"max_batch_bytes": BATCH, "memoryviews": variant == "memoryview"}
        with PerfBufReader(probe.events, page_count=PAGES, **reader) as pb:
            read = (lambda **k: pb.read_batch(**k).tolist()) if variant == "bytes_list" else \
                pb.read_batch
            kw: dict[str, Any] = {}
            if variant == "numpy_out":
                kw["out"] = np.empty(1 << 16, dtype=dtype)
                kw["out"].view(np.uint8).fill(0)  # allocated and touched once, before timing
            count, c0 = 0, 0.0
            if backlog:
                rb.release(driver)
                driver.wait()
                expected = n - probe.lost()
                t0, c0 = rb.now(), time.process_time()
                while count < expected:
                    count += len(read(**kw))
            else:
                expected = -1
                t0 = rb.release(driver)
                while expected < 0 or count < expected:
                    count += len(read(timeout_ms=10, **kw))
                    if expected < 0 and driver.poll() is not None:
                        expected = n - probe.lost()
            t1, c1 = rb.now(), time.process_time()
            return {"count": count, "lost": probe.lost() + pb.lost, "seconds": t1 - t0,
                    "cpu": c1 - c0}
    finally:
        driver.wait()
        probe.close()


def run_libbpf(rb: Any, tools: Any, exe: str, n: int, backlog: bool) -> dict[str, float]:
    driver = rb.start_driver(tools, n)
    probe = PerfProbe(driver.pid)
    consumer = subprocess.Popen([exe, str(probe.events.id), "backlog" if backlog else "live",
                                 str(PAGES)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
    try:
        assert consumer.stdin is not None and consumer.stdout is not None
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError("libbpf perf consumer did not start")
        t0 = rb.release(driver)
        driver.wait()
        lost = probe.lost()
        consumer.stdin.write(f"{'go' if backlog else 'expect'} {n - lost}\n")
        consumer.stdin.flush()
        out = json.loads(consumer.stdout.readline())
        consumer.wait()
        start = out["t_start"] if backlog else t0
        return {"count": out["count"], "lost": lost + out["lost"], "seconds": out["t_end"] - start,
                "cpu": out["cpu"]}
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait()
        driver.wait()
        probe.close()


VARIANTS = {"bytes": "", "bytes_list": "_bytes_list", "memoryview": "_memoryview",
            "numpy_out": "_numpy_out"}


def figures(rb: Any, tools: Any, n: int, repeat: int) -> None:
    """Every perf buffer figure (``rb``: the benchmarks/ringbuf.py module; ``tools``: its
    compiled driver and libbpf)."""
    if tools.libbpf is None:
        rb.skip(BENCH, "perf_events_per_s", "needs libbpf-dev")
        return
    exe = str(tools._cc("libbpf_perf_consumer", LIBBPF_C, ["-O2", "-lbpf"]))
    for backlog in (False, True):
        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(repeat):  # round robin: other work on the machine falls on all alike
            for variant in VARIANTS:
                runs.setdefault(variant, []).append(run_pybpf(rb, tools, n, backlog, variant))
            runs.setdefault("libbpf", []).append(run_libbpf(rb, tools, exe, n, backlog))
        theirs = runs["libbpf"]
        for variant, suffix in VARIANTS.items():
            mine = runs[variant]
            lost = {"pybpf_lost": max(r["lost"] for r in mine),
                    "peer_lost": max(r["lost"] for r in theirs),
                    "pybpf_received": min(r["count"] for r in mine),
                    "peer_received": min(r["count"] for r in theirs)}
            if backlog:
                a = [r["count"] / r["cpu"] for r in mine if r["cpu"] > 0]
                b = [r["count"] / r["cpu"] for r in theirs if r["cpu"] > 0]
                emit(BENCH, "perf_drain_cpu_events_per_s" + suffix, statistics.median(a), "libbpf",
                     statistics.median(b), lower_is_better=False, events=n, runs=len(a),
                     spread={"pybpf": [round(min(a)), round(max(a))],
                             "peer": [round(min(b)), round(max(b))]}, **lost)
            else:
                best_mine, best_theirs = rb.best(mine), rb.best(theirs)
                emit(BENCH, "perf_events_per_s" + suffix, best_mine["rate"], "libbpf",
                     best_theirs["rate"], lower_is_better=False, events=n, record_bytes=SAMPLE,
                     pybpf_seconds=round(best_mine["seconds"], 4),
                     peer_seconds=round(best_theirs["seconds"], 4), **lost)
