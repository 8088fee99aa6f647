"""``pybpf trace OBJ.o``: a libbpf-style object (tests/progs/trace_open.bpf.c: the openat
tracepoint sends pid, tid, comm and the path through a ring buffer) runs with one command,
which prints each event decoded by the object's own ``struct event``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from .sidebyside import ROOT, child, unique

pytestmark = [pytest.mark.kernel, pytest.mark.clang]


@pytest.fixture(scope="module")
def trace_open(bpf_compile, tmp_path_factory):
    from pybpf.btf import vmlinux
    from pybpf.btf.cprint import to_c

    d = tmp_path_factory.mktemp("vmlinux")
    (d / "vmlinux.h").write_text(to_c(vmlinux()))
    return bpf_compile("trace_open", d)


def _run(args, trigger):
    proc = subprocess.Popen([sys.executable, "-m", "pybpf", "trace", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(proc.stdout.readline, "")),
                              daemon=True)
    reader.start()
    line = proc.stderr.readline()
    assert line.startswith("attached handle_openat"), line + proc.stderr.read()
    trigger()
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=60)
    reader.join(10)
    return rc, "".join(chunks), proc.stderr.read()


def test_object_prints_pid_and_path_per_event(trace_open, tmp_path):
    comm = unique("obj-")
    path = tmp_path / f"opened-by-{comm}"
    path.write_text("x")
    pids: list[int] = []

    def go():
        out = child("open(sys.argv[1]).close()\nprint(os.getpid())\n", comm, str(path))
        pids.append(int(out.stdout))

    rc, out, err = _run([str(trace_open)], go)
    assert rc == 0, err
    mine = [ln for ln in out.splitlines() if ln.endswith(f"path={path}")]
    assert mine == [f"pid={pids[0]} tid={pids[0]} comm={comm} path={path}"], out[-2000:]


def test_object_json_and_a_rodata_filter(trace_open, tmp_path):
    """``--set`` writes .rodata before load: only our own process's opens come out."""
    path = tmp_path / "json-target"
    path.write_text("x")
    rc, out, err = _run([str(trace_open), "--json", "--set", f"target_tgid={os.getpid()}"],
                        lambda: open(path).close())
    assert rc == 0, err
    events = [json.loads(ln) for ln in out.splitlines()]
    assert events and all(e["pid"] == os.getpid() and e["map"] == "events" for e in events)
    assert {"pid", "tid", "comm", "path"} <= set(events[0])
    assert any(e["path"] == str(path) for e in events)


def test_object_errors_name_the_variable_and_the_map(trace_open):
    for args, words in ((["--set", "nope=1"], "no global variable 'nope'"),
                        (["--follow", "nomap"], "no ring or perf buffer of that name")):
        out = subprocess.run([sys.executable, "-m", "pybpf", "trace", str(trace_open), *args,
                              "--duration", "0.1"], capture_output=True, text=True, timeout=60,
                             cwd=ROOT)
        assert out.returncode == 1 and words in out.stderr and "Traceback" not in out.stderr


def test_bpf_object_attach_attaches_what_the_sections_name(trace_open):
    from pybpf.elf.loader import BpfObject

    with BpfObject.open(str(trace_open)) as obj:
        obj.load()
        links = obj.attach()
        assert list(links) == ["handle_openat"]
        assert obj.programs["handle_openat"].links == [links["handle_openat"]]
