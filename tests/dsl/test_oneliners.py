"""examples/oneliners/: bpftrace's tutorial lessons and three one-liners written in the DSL,
each run by ``pybpf probe`` with a trigger the test makes, its output checked."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bpftrace.sidebyside import child, unique

pytestmark = pytest.mark.kernel
ONELINERS = Path(__file__).resolve().parents[2] / "examples" / "oneliners"


def probe_run(name: str, trigger: Callable[[], object] | None = None, *, env: dict | None = None,
              duration: float | None = None, path: Path | None = None) -> str:
    """stdout of ``pybpf probe examples/oneliners/NAME.py`` (or ``path``), stopped (SIGINT)
    after the trigger."""
    argv = [sys.executable, "-m", "pybpf", "probe", str(path or ONELINERS / f"{name}.py")]
    if duration is not None:
        argv += ["--duration", str(duration)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    line = proc.stderr.readline()
    assert line.startswith("attached "), line + proc.stderr.read()
    if trigger is not None:
        trigger()
    if duration is None:
        proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    reader.join(10)
    assert rc == 0, proc.stderr.read()
    return "".join(out)


def test_hello():
    assert probe_run("hello").startswith("hello world\n")


def test_opens():
    comm = unique("ol-op-")
    files = [f"/tmp/oneliner-{comm}-{i}" for i in range(2)]
    code = "for p in sys.argv[1:]:\n    try: open(p).close()\n    except OSError: pass\n"
    out = probe_run("opens", lambda: child(code, comm, *files))
    assert [ln for ln in out.splitlines() if comm in ln] == [f"{comm} {f}" for f in files]


def test_syscount():
    comm = unique("ol-sc-")
    out = probe_run("syscount", lambda: child("for _ in range(1000): os.getppid()\n", comm))
    rows = [ln for ln in out.splitlines() if ln.startswith("@[")]
    counts = [int(ln.rsplit(": ", 1)[1]) for ln in rows]
    assert counts == sorted(counts)  # bpftrace's order: by count
    mine = [ln for ln in rows if ln.startswith(f"@[{comm}]: ")]
    assert len(mine) == 1 and int(mine[0].split(": ")[1]) >= 1000


def test_read_bytes_of_one_process(tmp_path):
    r, w = os.pipe()
    reader = subprocess.Popen([sys.executable, "-c",
                               "import os, sys\nr = int(sys.argv[1])\nos.read(r, 1)\n"
                               "fd = os.open('/dev/zero', os.O_RDONLY)\n"
                               "for n in (0, 1, 1, 3, 4096): os.read(fd, n)\n", str(r)], pass_fds=(r,))
    os.close(r)

    def go():
        os.write(w, b"x")
        os.close(w)
        reader.wait(timeout=30)

    # the lesson filters on a PID typed into the program (18644): the user puts theirs there
    lesson = (ONELINERS / "read_bytes.py").read_text()
    assert lesson.count("when=pid == 18644") == 1
    mine = tmp_path / "read_bytes.py"
    mine.write_text(lesson.replace("when=pid == 18644", f"when=pid == {reader.pid}"))
    out = probe_run("read_bytes", go, path=mine)
    assert "@bytes: \n[0]                    1 |" in out
    assert "\n[1]                    3 |" in out and "\n[2, 4)                 1 |" in out
    assert "\n[4K, 8K)               1 |" in out


def test_sched_events():
    out = probe_run("sched_events", duration=1)
    rows = [ln for ln in out.splitlines() if ln.startswith("@[")]
    assert rows and all(re.fullmatch(r"@\[tracepoint:sched:\w+\]: \d+", ln) for ln in rows)
    assert any(ln.startswith("@[tracepoint:sched:sched_switch]: ") for ln in rows)


def _frames(out: str) -> list[str]:
    return [ln.strip() for ln in out.splitlines() if ln.startswith("    ")]


def test_kernel_stacks():
    busy = ("import time\nfd = os.open('/dev/zero', os.O_RDONLY)\n"
            "while time.process_time() < 0.4: os.read(fd, 65536)\n")
    out = probe_run("kernel_stacks", lambda: child(busy, unique("ol-ks-")))
    frames = _frames(out)
    assert frames and all(re.fullmatch(r"\S+\+\d+", f) for f in frames)
    assert any(f.startswith(("read_zero", "__x64_sys_read")) for f in frames)


def test_switch_stacks():
    sleeper = "import time\nfor _ in range(20): time.sleep(0.001)\n"
    out = probe_run("switch_stacks", lambda: child(sleeper, unique("ol-sw-")))
    assert any(f.startswith(("do_nanosleep", "hrtimer_nanosleep")) for f in _frames(out))


def _direct(tmpdir: str, comm: str) -> None:
    from tests.bpftrace.test_lessons import _direct_writes

    _direct_writes(comm, tmpdir)


def _hist_rows(out: str, title: str) -> list[str]:
    lines = out.splitlines()
    i = lines.index(title)
    rows = []
    for ln in lines[i + 1:]:
        if not ln:
            break
        rows.append(ln)
    assert rows and all(len(r) == 79 for r in rows)
    return rows


def test_block_sizes(tmp_path):
    out = probe_run("block_sizes", lambda: _direct(str(tmp_path), unique("ol-bs-")))
    rows = _hist_rows(out, "@bytes: ")
    assert any(r.startswith("[4K, 8K)") and int(r[16:24]) >= 16 for r in rows)


def test_openat_latency():
    comm = unique("ol-lat-")
    path = Path(f"/tmp/{comm}")  # short: str() keeps 64 bytes, as bpftrace's
    path.write_text("x")
    out = probe_run("openat_latency", lambda: child("open(sys.argv[1]).close()\n", comm, str(path)))
    mine = [ln for ln in out.splitlines() if ln.startswith(comm) and ln.endswith(str(path))]
    assert len(mine) == 1
    assert re.fullmatch(rf"{re.escape(comm)} +\d+ +\d+ us {re.escape(str(path))}", mine[0])
    assert len(mine[0].split(" us ")[0]) == 20 + 1 + 6 + 1 + 10  # %-20s %-6d %10d
    path.unlink()


def test_block_latency(tmp_path):
    out = probe_run("block_latency", lambda: _direct(str(tmp_path), unique("ol-bl-")))
    rows = _hist_rows(out, "@usecs: ")
    assert sum(int(r[16:24]) for r in rows) >= 16


def test_oneliners_are_short():
    """Code lines (no imports, blank lines, comments or docstrings) of each DSL one-liner."""
    import ast

    for path in sorted(ONELINERS.glob("*.py")):
        tree = ast.parse(path.read_text())
        body = [n for n in tree.body if not isinstance(n, (ast.Import, ast.ImportFrom))
                and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        lines = {ln for n in body for ln in range(n.lineno, n.end_lineno + 1)}
        for n in body:
            if isinstance(n, ast.FunctionDef):
                lines |= {d.lineno for d in n.decorator_list}
        assert len(lines) <= 11, f"{path.name}: {len(lines)} lines"
