"""A user's test suite for examples/opensnoop.py: openat() traced through two tracepoints.

The contract: for each openat() the exit probe sends one event with the caller's pid and
thread id, the return value, the time between entry and exit, the caller's name, and the
path (up to 127 characters; longer paths are cut there); an exit without an entry sends
nothing, and no entry stays behind in the ``start`` map.

Tracepoint programs cannot be test-run in the kernel, so the two halves differ:

- in the VM, hypothesis draws the tracepoint records themselves (from the tracepoints'
  format files), the path in a fake user memory, and a fake clock that makes the
  latency exact;
- in the kernel, the probes are attached for real and the test calls openat() with
  drawn paths; the events must describe those calls.
"""
from __future__ import annotations

import errno
import os
import threading
import time

import planted
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.testing import BpfProgram, c_strings, tracepoint_contexts

PROBE = planted.OPENSNOOP
MAX_PATH = 127  # characters of the path an event carries
STEP_NS = 1000  # the VM's fake clock advances this much per ktime_ns() call

# the fields the format files name; the path is drawn as bytes, the pointer placed for it
ENTER = tracepoint_contexts("syscalls/sys_enter_openat", fields={"filename": c_strings(300)})
EXIT = tracepoint_contexts("syscalls/sys_exit_openat",
                           fields={"ret": st.one_of(st.integers(-4095, -1), st.integers(0, 1 << 20))})


def check_open(progs: dict[str, BpfProgram], enter_ctx, exit_ctx) -> None:
    """One openat() through both probes in the VM: the event says what happened."""
    enter, exit_ = progs["openat_enter"], progs["openat_exit"]
    enter.reset()
    assert enter.run(ctx=enter_ctx, backend="vm").records["events"] == []
    out = exit_.run(ctx=exit_ctx, backend="vm")
    assert len(out.records["events"]) == 1, "one event per openat()"
    e = exit_.decode("events", out.records["events"][0])
    task = enter.vm.task
    path = enter_ctx.strings["filename"]
    assert (e.pid, e.tid) == (task.tgid, task.pid)
    assert e.ret == exit_ctx.values["ret"]
    assert e.lat_ns == STEP_NS
    assert e.comm.split(b"\0")[0] == task.comm.encode()[:15]
    got = e.filename.split(b"\0")[0]
    assert got == path[:MAX_PATH], f"path of {len(path)} bytes came out as {len(got)} bytes"
    assert dict(exit_.maps["start"]) == {}, "the entry stays in the start map"


@pytest.fixture(scope="module")
def opensnoop():
    return BpfProgram.load_all(PROBE)


@given(enter_ctx=ENTER, exit_ctx=EXIT)
def test_event_per_open(opensnoop, enter_ctx, exit_ctx):
    check_open(opensnoop, enter_ctx, exit_ctx)


@given(exit_ctx=EXIT)
def test_exit_without_entry_sends_nothing(opensnoop, exit_ctx):
    opensnoop["openat_exit"].reset()
    assert opensnoop["openat_exit"].run(ctx=exit_ctx, backend="vm").records["events"] == []


class LiveOpensnoop:
    """The probes attached in the kernel; `open` calls openat() and returns what the
    call returned and the events of this thread."""

    def __init__(self, path) -> None:
        from pybpf.dsl import Session, load_module, module_probes

        self.module = load_module(str(path))
        self.events: list = []
        self.session = Session(module_probes(self.module), on_event=self.events.append)

    def open(self, path: bytes):
        me = threading.get_native_id()
        self.session.poll(0)
        self.events.clear()
        try:
            fd = os.open(path, os.O_RDONLY)
            os.close(fd)
            ret = fd
        except OSError as exc:
            ret = -exc.errno
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            self.session.poll(20)
            mine = [e for e in self.events if e.tid == me]
            if mine:
                return ret, mine
        return ret, []

    def close(self) -> None:
        self.session.close()


def check_live_open(live: LiveOpensnoop, path: bytes) -> None:
    ret, events = live.open(path)
    assert len(events) == 1, f"{len(events)} events for one openat()"
    e = events[0]
    assert (e.pid, e.ret) == (os.getpid(), ret)
    got = e.filename.split(b"\0")[0]
    assert got == path[:MAX_PATH], f"path of {len(path)} bytes came out as {len(got)} bytes"
    assert e.lat_ns > 0


@pytest.fixture(scope="module")
def live(bpf_kernel):
    probe = LiveOpensnoop(PROBE)
    yield probe
    probe.close()


@settings(max_examples=60)
@given(path=c_strings(300))
def test_live_open(live, path):
    """Real openat() calls with drawn paths: each event describes its call."""
    check_live_open(live, path)


def test_live_open_of_an_existing_file(live, tmp_path):
    f = tmp_path / "there"
    f.write_text("x")
    ret, events = live.open(bytes(f))
    assert ret >= 0 and events and events[0].ret == ret
    ret, events = live.open(bytes(tmp_path / "not-there"))
    assert ret == -errno.ENOENT and events[0].ret == -errno.ENOENT


def examples_to_failure(check, strategy, max_examples: int = 200) -> int | None:
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


def test_finds_planted_bug_in_the_vm(tmp_path, opensnoop):
    buggy = BpfProgram.load_all(planted.write("filename_off_by_one", tmp_path))
    n = examples_to_failure(lambda c: check_open(buggy, *c), st.tuples(ENTER, EXIT))
    assert n is not None, "filename_off_by_one: not found in 200 examples (VM)"
    print(f"filename_off_by_one found by the VM after {n} examples")
    assert examples_to_failure(lambda c: check_open(opensnoop, *c), st.tuples(ENTER, EXIT)) is None


def test_finds_planted_bug_in_the_kernel(tmp_path, bpf_kernel):
    buggy = LiveOpensnoop(planted.write("filename_off_by_one", tmp_path))
    try:
        n = examples_to_failure(lambda p: check_live_open(buggy, p), c_strings(300))
    finally:
        buggy.close()
    assert n is not None, "filename_off_by_one: not found in 200 examples (kernel)"
    print(f"filename_off_by_one found by the kernel after {n} examples")
