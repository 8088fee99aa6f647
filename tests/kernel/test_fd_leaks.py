"""Robustness: create/load/test_run/close cycles leave the process's fd count unchanged, and
objects dropped without close() are closed by the garbage collector."""
from __future__ import annotations

import gc
import os
import time

import pytest

from pybpf.asm import assemble
from pybpf.errors import KernelError, ProgLoadError
from pybpf.isa import MapSpec
from pybpf.kernel.maps import ArrayMap, HashMap, Map, QueueMap, RingBufMap
from pybpf.kernel.prog import load

pytestmark = pytest.mark.kernel

COUNTER = assemble("""
    .map hits array key=4 value=8 max_entries=1
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = hits ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
out:
    r0 = 0
    exit
""")


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.slow
def test_10k_create_load_run_close_cycles_leak_nothing():
    pkt = bytes(64)
    gc.collect()
    before = fd_count()
    start = time.monotonic()
    for i in range(10_000):
        with HashMap.create(MapSpec(key_size=4, value_size=8, max_entries=4)) as m:
            m[i & 3] = i
            with load(COUNTER, "socket_filter") as p:
                assert p.test_run(pkt).retval == 0
                if i % 2500 == 0:
                    assert p.maps["hits"][0] == (1).to_bytes(8, "little")
    elapsed = time.monotonic() - start
    gc.collect()
    assert fd_count() == before
    assert elapsed < 60, f"10k cycles took {elapsed:.1f}s"


def test_dropped_objects_are_closed_by_gc():
    gc.collect()
    before = fd_count()
    for _ in range(200):
        m = ArrayMap.create(MapSpec(value_size=4, max_entries=1))
        p = load(COUNTER, "xdp")
        q = QueueMap.create(MapSpec(value_size=4, max_entries=2))
        r = RingBufMap.create(MapSpec(max_entries=4096))
        del m, p, q, r
    gc.collect()
    assert fd_count() == before


def test_failures_leak_nothing():
    gc.collect()
    before = fd_count()
    bad = assemble("""
        .map m hash key=4 value=8 max_entries=4
        r1 = 0
        *(u32 *)(r10 - 4) = r1
        r2 = r10
        r2 += -4
        r1 = m ll
        call bpf_map_lookup_elem
        r0 = *(u64 *)(r0 + 0)
        exit
    """)
    for _ in range(100):
        with pytest.raises(ProgLoadError):
            load(bad, "socket_filter")  # the map created for the program is closed again
        with pytest.raises(KernelError):
            Map.create(MapSpec(type="stack_trace", key_size=4, value_size=8 * 100000, max_entries=4))
        with pytest.raises(KernelError):
            Map.from_id(0x7FFFFFF0)
    gc.collect()
    assert fd_count() == before


def test_mmap_outlives_close_safely():
    m = ArrayMap.create(MapSpec(value_size=8, max_entries=4, flags=1024))
    mem = m.memory()
    mem[0:8] = b"\x01" * 8
    m.close()  # the view stays valid: the mapping keeps the map alive
    assert bytes(mem[0:8]) == b"\x01" * 8
    mem.release()
