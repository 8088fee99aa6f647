"""The seed example end to end: trace_open.bpf.c (vmlinux.h from pybpf's BTF printer),
compiled by clang-19, loaded and attached by pybpf; the test sees its own pid and the
path it opened come out of the ring buffer."""
from __future__ import annotations

import os
import struct

import pytest

from pybpf.elf.loader import BpfObject
from pybpf.kernel.ringbuf import RingBufReader

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

EVENT = struct.Struct("<II16s256s")



def test_trace_open_reports_our_open(bpf_compile, vmlinux_dir, tmp_path):
    obj_path = bpf_compile("trace_open", vmlinux_dir)
    target = tmp_path / "opened-by-the-test.txt"
    target.write_text("x")
    seen = []
    with BpfObject.open(str(obj_path)) as obj:
        obj.rodata["target_tgid"] = os.getpid()
        obj.load()
        obj.programs["handle_openat"].attach()
        with RingBufReader(obj.maps["events"], lambda rec: seen.append(bytes(rec))) as rb:
            with open(target) as f:
                f.read()
            for _ in range(50):
                rb.poll(100)
                if any(str(target).encode() in r for r in seen):
                    break
    events = [EVENT.unpack(r[:EVENT.size]) for r in seen]
    paths = [(pid, tid, p.split(b"\0")[0].decode()) for pid, tid, _comm, p in events]
    assert (os.getpid(), os.getpid(), str(target)) in paths  # main thread: tid == pid
    assert all(pid == os.getpid() for pid, _tid, _path in paths)  # the filter in .rodata works
