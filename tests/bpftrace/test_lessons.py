"""bpftrace's one-liner tutorial, lesson by lesson, run verbatim by ``pybpf trace`` and by
bpftrace 0.17 side by side on the same trigger: the same lines about the trigger, the same
layout. Lessons 6, 7 and 12 use kprobes, which this kernel does not have: pybpf says so
before loading anything (as its own test below shows)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .sidebyside import BPFTRACE, child, run_both, unique

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(BPFTRACE is None, reason="bpftrace is not installed (make deps)")]


def _mine(run, token):
    return [ln for ln in run.lines if token in ln]


def test_lesson1_listing_probes():
    pattern = "tracepoint:syscalls:sys_enter_*"
    ours = subprocess.run([sys.executable, "-m", "pybpf", "trace", "-l", pattern],
                          capture_output=True, text=True, timeout=60)
    theirs = subprocess.run([BPFTRACE, "-l", pattern], capture_output=True, text=True, timeout=60)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.splitlines() == sorted(theirs.stdout.splitlines())
    assert "tracepoint:syscalls:sys_enter_openat" in ours.stdout.splitlines()


def test_lesson2_hello_world():
    b, p = run_both(["-e", 'BEGIN { printf("hello world\\n"); }'])
    assert p.stdout == b.stdout == "Attaching 1 probe...\nhello world\n\n\n", (b.stdout, p.stdout)


def test_lesson3_file_opens():
    comm = unique("lsn3-")
    files = [f"/tmp/lesson3-{comm}-{i}" for i in range(3)]
    prog = 'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args->filename)); }'
    code = "for p in sys.argv[1:]:\n    try: open(p).close()\n    except OSError: pass\n"
    b, p = run_both(["-e", prog], lambda: child(code, comm, *files))
    want = [f"{comm} {f}" for f in files]
    assert _mine(b, comm) == want
    assert _mine(p, comm) == want
    assert p.lines[0] == b.lines[0] == "Attaching 1 probe..."


def test_lesson4_syscall_counts_by_process():
    comm = unique("lsn4-")
    b, p = run_both(["-e", "tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }"],
                    lambda: child("for _ in range(2000): os.getppid()\n", comm))
    ours, theirs = _mine(p, f"@[{comm}]"), _mine(b, f"@[{comm}]")
    assert ours == theirs and len(ours) == 1
    assert int(ours[0].split(": ")[1]) >= 2000
    for run in (b, p):  # every entry, sorted by count
        rows = [ln for ln in run.lines if ln.startswith("@[")]
        assert all(re.fullmatch(r"@\[.*\]: \d+", ln) for ln in rows)
        counts = [int(ln.rsplit(": ", 1)[1]) for ln in rows]
        assert counts == sorted(counts)
    assert p.stdout.startswith("Attaching 1 probe...\n\n\n@[")


def test_lesson5_distribution_of_read_bytes():
    """The lesson's filter on one pid: a child that waits, then reads known sizes."""
    r, w = os.pipe()
    reader = subprocess.Popen([sys.executable, "-c",
                               "import os, sys\nr = int(sys.argv[1])\nos.read(r, 1)\n"
                               "fd = os.open('/dev/zero', os.O_RDONLY)\n"
                               "for n in (0, 1, 1, 3, 100, 4096, 4096, 70000):\n"
                               "    os.read(fd, n)\n", str(r)], pass_fds=(r,))
    os.close(r)
    prog = f"tracepoint:syscalls:sys_exit_read /pid == {reader.pid}/ {{ @bytes = hist(args->ret); }}"

    def go():
        os.write(w, b"x")
        os.close(w)
        reader.wait(timeout=30)

    b, p = run_both(["-e", prog], go)
    assert p.stdout == b.stdout, f"bpftrace:\n{b.stdout}\npybpf:\n{p.stdout}"
    assert "[0]                    1 |" in p.stdout and "[1]                    3 |" in p.stdout


@pytest.mark.parametrize("lesson,prog", [
    ("6", "kretprobe:vfs_read { @bytes = lhist(retval, 0, 2000, 200); }"),
    ("7", "kprobe:vfs_read { @start[tid] = nsecs; } kretprobe:vfs_read /@start[tid]/ "
          "{ @ns[comm] = hist(nsecs - @start[tid]); delete(@start[tid]); }"),
])
def test_kprobe_lessons_say_this_kernel_has_no_kprobes(lesson, prog):
    out = subprocess.run([sys.executable, "-m", "pybpf", "trace", "-e", prog], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert "this kernel has no kprobes" in out.stderr and "CONFIG_KPROBES" in out.stderr
    assert "<program>:1:1" in out.stderr  # the probe's line and column
    assert "Attaching" not in out.stdout


def test_lesson8_process_level_events():
    """Verbatim, interval:s:5 and exit() included: both end by themselves."""
    prog = "tracepoint:sched:sched* { @[probe] = count(); } interval:s:5 { exit(); }"
    b, p = run_both(["-e", prog], self_exit=True, settle=0)
    for run in (b, p):
        rows = [ln for ln in run.lines if ln.startswith("@[")]
        assert rows and all(re.fullmatch(r"@\[tracepoint:sched:\w+\]: \d+", ln) for ln in rows)
        counts = [int(ln.rsplit(": ", 1)[1]) for ln in rows]
        assert counts == sorted(counts)
        assert any("sched_switch" in ln for ln in rows)
    assert p.lines[0] == b.lines[0]  # the same number of attach points, wildcard expanded


def _stacks(run):
    """{frames tuple: count} of a ``@[kstack] = count()`` map as printed."""
    out: dict[tuple[str, ...], int] = {}
    frames: list[str] | None = None
    for ln in run.lines:
        if ln == "@[":
            frames = []
        elif frames is not None and ln.startswith("]: "):
            out[tuple(frames)] = int(ln[3:])
            frames = None
        elif frames is not None:
            assert re.fullmatch(r"    \S+\+\d+", ln), ln
            frames.append(ln.strip())
    return out


def test_lesson9_on_cpu_kernel_stacks():
    comm = unique("lsn9-")
    busy = ("import time\nfd = os.open('/dev/zero', os.O_RDONLY)\n"
            "while time.process_time() < 0.5: os.read(fd, 65536)\n")  # CPU time: the machine is shared
    b, p = run_both(["-e", "profile:hz:99 { @[kstack] = count(); }"], lambda: child(busy, comm))
    for run in (b, p):
        st = _stacks(run)
        assert st, run.stdout[:2000]
        assert any(any(f.startswith("read_zero") or f.startswith("__x64_sys_read") for f in fr)
                   for fr in st)


def test_lesson10_scheduler_stacks():
    comm = unique("lsn10-")
    sleeper = "import time\nfor _ in range(50): time.sleep(0.001)\n"
    b, p = run_both(["-e", "tracepoint:sched:sched_switch { @[kstack] = count(); }"],
                    lambda: child(sleeper, comm))
    for run in (b, p):
        st = _stacks(run)
        assert any("__schedule" in f.split("+")[0] or "schedule" == f.split("+")[0]
                   for fr in st for f in fr), run.stdout[:2000]
        assert any(f.startswith("hrtimer_nanosleep") or f.startswith("do_nanosleep")
                   for fr in st for f in fr)


def _direct_writes(comm, tmpdir, n=16, size=4096):
    code = (f"import mmap\nbuf = mmap.mmap(-1, {size})\nbuf.write(b'x' * {size})\n"
            "fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY | os.O_DIRECT | os.O_DSYNC, 0o600)\n"
            f"for i in range({n}): os.pwrite(fd, buf, i * {size})\nos.close(fd)\n")
    child(code, comm, os.path.join(tmpdir, "direct.bin"))


def test_lesson11_block_io_sizes(tmp_path):
    comm = unique("lsn11-")
    b, p = run_both(["-e", "tracepoint:block:block_rq_issue { @ = hist(args->bytes); }"],
                    lambda: _direct_writes(comm, str(tmp_path)))
    for run in (b, p):
        assert run.lines[:3] == ["Attaching 1 probe...", "", ""]
        assert run.lines[3] == "@: "
        rows = [ln for ln in run.lines[4:] if ln]
        assert all(re.fullmatch(r"(\[\S+(, \S+)?\)|\[\d+\]) +\d+ \|@* *\|", ln) for ln in rows), rows
        assert all(len(ln) == 79 for ln in rows)
        assert any(ln.startswith("[4K, 8K)") and int(ln[16:24]) >= 16 for ln in rows)
