"""Each example probe on the real kernel, with its own trigger and asserted output."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pybpf.dsl import Session, load_module, module_probes

pytestmark = pytest.mark.kernel
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _session(name: str):
    mod = load_module(str(EXAMPLES / f"{name}.py"))
    return mod, Session(module_probes(mod))


def _drain(s: Session, rounds: int = 4) -> None:
    for _ in range(rounds):
        s.poll(50)


def test_syscount_counts_our_getppid_calls():
    mod, s = _session("syscount")
    me = Path("/proc/self/comm").read_text().strip().encode()
    with s:
        before = mod.counts.get(me, 0)
        for _ in range(500):
            os.getppid()
        after = mod.counts.get(me, 0)
    assert after - before >= 500
    assert mod.counts.kernel is None  # detached and freed on close


def test_opensnoop_sees_our_open_with_pid_and_return_value(tmp_path):
    mod, s = _session("opensnoop")
    target = tmp_path / "opensnoop-target.txt"
    with s:
        fd = os.open(target, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
        try:
            os.open(tmp_path / "missing", os.O_RDONLY)
        except FileNotFoundError:
            pass
        _drain(s)
    mine = {e.filename: e for e in s.events if e.pid == os.getpid()}
    ok = mine[str(target).encode()]
    assert ok.ret >= 0 and ok.tid == ok.pid  # single-threaded test process
    assert 0 < ok.lat_ns < 10**9
    assert mine[str(tmp_path / "missing").encode()].ret == -2  # -ENOENT


def test_execsnoop_reports_parent_pid_and_argv0():
    mod, s = _session("execsnoop")
    with s:
        subprocess.run(["/bin/true", "--execsnoop-test"], check=True)
        _drain(s)
    ev = [e for e in s.events if e.filename == b"/bin/true"]
    assert ev, s.events
    assert ev[0].ppid == os.getpid()
    assert ev[0].argv0 == b"/bin/true"


def test_kill_exec_kills_only_the_forbidden_binary(tmp_path):
    mod, s = _session("kill_exec")
    bad = tmp_path / "forbidden-binary"
    shutil.copy("/bin/sleep", bad)
    with s:
        mod.blocked[str(bad).encode()] = 1
        victim = subprocess.Popen([str(bad), "5"])
        bystander = subprocess.Popen(["/bin/sleep", "0.2"])
        assert victim.wait(timeout=5) == -9  # SIGKILL
        assert bystander.wait(timeout=5) == 0
        assert dict(mod.killed.items()) == {victim.pid: 1}


def test_sensitive_read_alerts_unlisted_process_only(tmp_path):
    mod, s = _session("sensitive_read")
    secret = tmp_path / "watched" / "secret"
    secret.parent.mkdir()
    secret.write_text("x")
    with s:
        mod.watch_dir(str(secret.parent), allow=("cat",))
        subprocess.run(["/bin/cat", str(secret)], check=True, capture_output=True)
        subprocess.run(["/usr/bin/head", str(secret)], check=True, capture_output=True)
        open(tmp_path / "not-watched", "w").close()
        _drain(s)
    comms = sorted({a.comm for a in s.events if a.filename == str(secret).encode()})
    assert comms == [b"head"]
    assert not [a for a in s.events if b"not-watched" in a.filename]


def test_cli_probe_json_prints_rows_and_detaches():
    out = subprocess.run([sys.executable, "-m", "pybpf", "probe", str(EXAMPLES / "syscount.py"),
                          "--duration", "0.5", "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert rows and all(set(r) == {"comm", "count"} for r in rows)
    assert any(r["count"] > 0 for r in rows)


def test_tcpconnect_sees_our_connect_to_a_local_listener():
    import socket

    mod, s = _session("tcpconnect")
    with s, socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as cli:
            sport = cli.getsockname()[1]
            _drain(s)
    ev = [e for e in s.events if e.dport == port]
    assert len(ev) == 1, s.events
    e = ev[0]
    assert (e.pid, e.sport) == (os.getpid(), sport)
    assert e.daddr == [127, 0, 0, 1] and e.saddr == [127, 0, 0, 1]
    assert 0 < e.lat_ns < 10**9


def test_biolatency_histogram_counts_our_direct_writes(tmp_path):
    import mmap

    mod, s = _session("biolatency")
    buf = mmap.mmap(-1, 4096)
    buf.write(b"x" * 4096)
    with s:
        before = sum(mod.usecs.buckets())
        fd = os.open(tmp_path / "direct.bin", os.O_CREAT | os.O_WRONLY | os.O_DIRECT | os.O_DSYNC,
                     0o600)
        try:
            for i in range(16):
                os.pwrite(fd, buf, i * 4096)
        finally:
            os.close(fd)
        buckets = mod.usecs.buckets()
        text = mod.usecs.format("us")
    assert sum(buckets) - before >= 16
    assert "@" in text and text.count("\n") + 1 == len([ln for ln in text.splitlines() if "|" in ln])


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _profile_for_cpu_time(pid: int, seconds: float) -> subprocess.CompletedProcess[str]:
    """``pybpf probe examples/profile.py`` with PID=pid, stopped (SIGINT) once the process has
    run ``seconds`` of CPU time since the probe attached (so ~99 samples a CPU second however
    loaded the machine is; 60 s at most)."""
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "pybpf", "probe", str(EXAMPLES / "profile.py")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PID": str(pid)})
    try:
        first = proc.stderr.readline()
        assert first.startswith("attached "), first + proc.stderr.read()
        start, deadline = _cpu_seconds(pid), time.monotonic() + 60
        while _cpu_seconds(pid) - start < seconds and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, first + stderr)


def test_profile_folds_stacks_that_name_a_function_of_the_profiled_binary(tmp_path):
    """examples/profile.py on a test binary spinning in pybpf_profile_spin(): its folded
    stacks name that function (ELF symbols through the process's mappings) and kernel
    functions (kallsyms) of the getppid() calls it makes."""
    binary = tmp_path / "pybpf-prof"
    subprocess.run(["cc", "-O1", "-fno-omit-frame-pointer", "-o", str(binary),
                    str(Path(__file__).resolve().parents[1] / "progs" / "profile_target.c")],
                   check=True)
    spinner = subprocess.Popen([str(binary)])
    try:
        out = _profile_for_cpu_time(spinner.pid, 1.0)
    finally:
        spinner.kill()
        spinner.wait()
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(re.fullmatch(r"\S.* \d+", ln) for ln in lines)  # folded: stack, space, count
    # the spinner's samples: its name, then its frames (none for a sample taken where no
    # frame could be read, which folds to "pybpf-prof N")
    mine = [ln for ln in lines if ln.split(" ", 1)[0].split(";", 1)[0] == "pybpf-prof"]
    assert mine and len(mine) == len(lines)  # PID= keeps the profile to the spinner
    assert sum(int(ln.rsplit(" ", 1)[1]) for ln in mine) >= 30  # 99 Hz, 1 s of the spinner's CPU
    assert any(";pybpf_profile_spin" in ln for ln in mine), mine[:10]
    kernel = [ln for ln in mine if "_[k]" in ln]  # kernel frames, marked as flame graphs do
    assert any(re.search(r";(__x64_sys_getppid|do_syscall_64|entry_SYSCALL_64\w*)_\[k\]", ln)
               for ln in kernel), mine[:10]


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel"))
import netns  # noqa: E402

veth = netns.veth  # two network namespaces joined by a veth pair, removed afterwards


def test_xdp_drop_drops_one_udp_port_and_counts_by_source(veth):
    import socket
    import struct

    from pybpf.kernel import link

    mod = load_module(str(EXAMPLES / "xdp_drop.py"))
    port = mod.PORT
    with Session(module_probes(mod), attach=False) as s:
        lk = veth.run("b", link.xdp, s.progs[0], veth.if_b)
        rx_drop = veth.socket("b")
        rx_pass = veth.socket("b")
        tx = veth.socket("a")
        try:
            rx_drop.bind((veth.ip_b, port))
            rx_pass.bind((veth.ip_b, port + 1))
            for sock in (rx_drop, rx_pass):
                sock.settimeout(0.5)
            for _ in range(5):
                tx.sendto(b"dropped", (veth.ip_b, port))
                tx.sendto(b"passed", (veth.ip_b, port + 1))
            assert [rx_pass.recv(64) for _ in range(5)] == [b"passed"] * 5
            with pytest.raises(socket.timeout):
                rx_drop.recv(64)
            src = struct.unpack(">I", socket.inet_aton(veth.ip_a))[0]
            assert dict(mod.drops.items()) == {src: 5}
        finally:
            for sock in (rx_drop, rx_pass, tx):
                sock.close()
            lk.close()


def test_opensnoop_batch_mode_gives_a_numpy_array(tmp_path):
    mod = load_module(str(EXAMPLES / "opensnoop.py"))
    target = tmp_path / "batch-target"
    with Session(module_probes(mod), batch=True) as s:
        for _ in range(3):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        arr = s.read_batch(mod.events, timeout_ms=200)
    assert arr.dtype == mod.Event.dtype()
    mine = arr[(arr["pid"] == os.getpid()) & (arr["filename"] == str(target).encode())]
    assert len(mine) == 3 and (mine["ret"] >= 0).all()


def test_cli_probe_stops_cleanly_on_ctrl_c():
    import signal
    import time

    # faulthandler: if the probe ever fails to stop, SIGABRT makes it print where it hangs
    # started as a shell starts a background job, with SIGINT ignored: Python then installs no
    # KeyboardInterrupt handler of its own, and the probe must still stop on SIGINT
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "pybpf", "probe",
                             str(EXAMPLES / "syscount.py"), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert proc.stderr.readline().startswith("attached count_syscalls")
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate(timeout=10)
        raise AssertionError(f"pybpf probe did not stop 30 s after SIGINT; where it was:\n{err}") from None
    assert proc.returncode == 0, err
    assert out and all("count" in json.loads(line) for line in out.splitlines())


def test_tc_ipv6_drops_one_udp_port_and_counts_by_source(veth):
    import ipaddress
    import socket

    from pybpf.kernel import link

    for side, ifname, addr in (("a", veth.if_a, "fd00:250::1"), ("b", veth.if_b, "fd00:250::2")):
        veth.exec(side, "ip", "-6", "addr", "add", f"{addr}/64", "dev", ifname, "nodad")
    mod = load_module(str(EXAMPLES / "tc_ipv6.py"))
    port = mod.PORT
    with Session(module_probes(mod), attach=False) as s:
        lk = veth.run("b", link.tcx, s.progs[0], veth.if_b, "ingress")
        rx_drop = veth.socket("b", socket.AF_INET6)
        rx_pass = veth.socket("b", socket.AF_INET6)
        tx = veth.socket("a", socket.AF_INET6)
        try:
            rx_drop.bind(("fd00:250::2", port))
            rx_pass.bind(("fd00:250::2", port + 1))
            for sock in (rx_drop, rx_pass):
                sock.settimeout(0.5)
            for _ in range(4):
                tx.sendto(b"dropped", ("fd00:250::2", port))
                tx.sendto(b"passed", ("fd00:250::2", port + 1))
            assert [rx_pass.recv(64) for _ in range(4)] == [b"passed"] * 4
            with pytest.raises(socket.timeout):
                rx_drop.recv(64)
            got = {str(ipaddress.IPv6Address(bytes(k))): v for k, v in mod.drops.items()}
            assert got == {"fd00:250::1": 4}
        finally:
            for sock in (rx_drop, rx_pass, tx):
                sock.close()
            lk.close()
