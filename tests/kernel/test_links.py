"""Links on the live kernel: every attach kind this kernel allows really observes its event.

A probe program (pybpf assembly) counts events in a one-slot array map; each
test triggers the event (getpid, a function of a test binary, a packet through
a veth pair in namespaces the test creates, a connect() in a test cgroup...)
and checks the count, then that closing the link stops it.
"""
from __future__ import annotations

import errno
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import netns  # noqa: E402
from netns import VethPair, setns  # noqa: E402

from pybpf.asm import assemble  # noqa: E402
from pybpf.errors import BtfError, ElfError, KernelError, ProgLoadError  # noqa: E402
from pybpf.isa import MapSpec  # noqa: E402
from pybpf.kernel import link as L  # noqa: E402
from pybpf.kernel.fs import cgroup2_root  # noqa: E402
from pybpf.kernel.link.perf_event import online_cpus  # noqa: E402
from pybpf.kernel.maps import ArrayMap, Map  # noqa: E402
from pybpf.kernel.prog import LoadOptions, Program, load  # noqa: E402

kernel = pytest.mark.kernel
veth = netns.veth  # the fixture: two namespaces joined by a veth pair

PROGS = Path(__file__).resolve().parent.parent / "progs"
GETPID_NR = {"x86_64": 39, "aarch64": 172}[platform.machine()]

_COUNT = """
{pre}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = counts ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
out:
    r0 = {ret}
    exit
.map counts array key=4 value=8 max_entries=1
"""
_MY_TGID = """
    call bpf_get_current_pid_tgid
    r0 >>= 32
    if r0 != {tgid} goto out
"""
# raw_tracepoint / tp_btf sys_enter: ctx is u64 args[]: args[0] = regs, args[1] = syscall nr
_SYSCALL_IS_GETPID = """
    r6 = *(u64 *)(r1 + 8)
    if r6 != {nr} goto out
"""


class Probe:
    """A loaded counting program and its counter."""

    def __init__(self, prog: Program, counts: Map) -> None:
        self.prog = prog
        self.counts = counts

    @property
    def count(self) -> int:
        return self.counts[0]

    def close(self) -> None:
        self.prog.close()
        self.counts.close()


def probe_text(*, ret: int = 0, my_tgid: bool = False, getpid_only: bool = False) -> str:
    pre = ""
    if getpid_only:
        pre += _SYSCALL_IS_GETPID.format(nr=GETPID_NR)
    if my_tgid:
        pre += _MY_TGID.format(tgid=os.getpid())
    return _COUNT.format(pre=pre, ret=ret)


@pytest.fixture
def make_probe() -> Iterator[Callable[..., Probe]]:
    made: list[Probe] = []

    def make(prog_type: str, *, ret: int = 0, my_tgid: bool = False, getpid_only: bool = False,
             expected_attach_type: str | int | None = None, attach_btf_id: int | None = None) -> Probe:
        counts = ArrayMap.create(MapSpec(key_size=4, value_size=8, max_entries=1, value_type="<Q"))
        try:
            prog = load(assemble(probe_text(ret=ret, my_tgid=my_tgid, getpid_only=getpid_only)), prog_type, maps={"counts": counts}, options=LoadOptions(expected_attach_type=expected_attach_type, attach_btf_id=attach_btf_id))
        except BaseException:
            counts.close()
            raise
        made.append(Probe(prog, counts))
        return made[-1]

    yield make
    for p in made:
        p.close()


def getpids(n: int) -> None:
    for _ in range(n):
        os.getpid()


# -- tracepoints ------------------------------------------------------------------------------
@kernel
def test_tracepoint_counts_getpid_and_close_detaches(make_probe):
    p = make_probe("tracepoint", my_tgid=True)
    with L.tracepoint(p.prog, "syscalls:sys_enter_getpid") as lk:
        getpids(25)
        assert p.count == 25
        info = lk.info()
        assert info.type == L.LinkType.PERF_EVENT and info.prog_id == p.prog.id
        assert info.details["tp_name"] == "sys_enter_getpid"
        assert info.details["perf_event_type"] == L.PerfEventType.TRACEPOINT
    assert lk.closed
    getpids(10)
    assert p.count == 25


@kernel
def test_pinned_link_survives_close_and_unpin_removes_it(make_probe):
    p = make_probe("tracepoint", my_tgid=True)
    name = f"pybpf-test-pin-{os.getpid()}"
    lk = L.tracepoint(p.prog, "syscalls:sys_enter_getpid")
    try:
        path = lk.pin(name)
        link_id = lk.id
        lk.close()
        getpids(7)
        assert p.count == 7, "a pinned link must stay attached after its fd is closed"
        again = L.from_pinned(path)
        assert again.info().id == link_id and again.kind == "perf_event"
        again.unpin()
        assert not os.path.exists(path)
        again.close()
        getpids(5)
        assert p.count == 7, "unpinned and closed: detached"
        assert link_id not in set(L.link_ids())
    finally:
        lk.close()
        if os.path.exists(f"/sys/fs/bpf/{name}"):
            os.unlink(f"/sys/fs/bpf/{name}")


@kernel
def test_from_pinned_refuses_a_pinned_map(tmp_path):
    name = f"pybpf-test-map-{os.getpid()}"
    with ArrayMap.create(MapSpec(key_size=4, value_size=8, max_entries=1)) as m:
        path = m.pin(name)
        try:
            with pytest.raises(KernelError, match=f"{path} is not a BPF link"):
                L.from_pinned(name)
        finally:
            os.unlink(path)
    with pytest.raises(KernelError, match="no link with id 4294967295"):
        L.from_id(0xFFFFFFFF)


@kernel
def test_raw_tracepoint_sys_enter(make_probe):
    p = make_probe("raw_tracepoint", my_tgid=True, getpid_only=True)
    with L.raw_tracepoint(p.prog, "sys_enter") as lk:
        getpids(12)
        assert p.count == 12
        info = lk.info()
        assert info.type == L.LinkType.RAW_TRACEPOINT and info.details["tp_name"] == "sys_enter"
    getpids(3)
    assert p.count == 12


@kernel
def test_tp_btf_sys_enter(make_probe):
    target = L.tracing.attach_target("tp_btf", "sys_enter")
    p = make_probe("tracing", my_tgid=True, getpid_only=True,
                   expected_attach_type=int(target.expected_attach_type),
                   attach_btf_id=target.attach_btf_id)
    with L.tp_btf(p.prog) as lk:
        getpids(9)
        assert p.count == 9
        assert lk.info().type == L.LinkType.RAW_TRACEPOINT
    getpids(3)
    assert p.count == 9


# -- uprobes ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def uprobe_target(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uprobe") / "uprobe_target"
    subprocess.run(["cc", "-O1", "-o", str(out), str(PROGS / "uprobe_target.c")], check=True,
                   capture_output=True, timeout=60)
    return out


@kernel
def test_uprobe_counts_calls(make_probe, uprobe_target):
    p = make_probe("kprobe")
    with L.uprobe(p.prog, str(uprobe_target), "pybpf_uprobe_target") as lk:
        subprocess.run([str(uprobe_target), "17"], check=True, capture_output=True)
        assert p.count == 17
        info = lk.info()
        assert info.details["perf_event_type"] == L.PerfEventType.UPROBE
        assert info.details["file_name"] == str(uprobe_target.resolve())
        assert info.details["offset"] == L.symbol_offset(str(uprobe_target), "pybpf_uprobe_target")
    subprocess.run([str(uprobe_target), "5"], check=True, capture_output=True)
    assert p.count == 17


@kernel
def test_uretprobe_counts_returns_of_one_pid(make_probe, uprobe_target):
    p = make_probe("kprobe")
    # a stopped child: the probe is attached to its pid before it runs
    child = subprocess.Popen(["sh", "-c", f'read x; exec "{uprobe_target}" 6'], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL)
    try:
        with L.uretprobe(p.prog, str(uprobe_target), "pybpf_uprobe_target", pid=child.pid) as lk:
            assert lk.info().details["perf_event_type"] == L.PerfEventType.URETPROBE
            subprocess.run([str(uprobe_target), "4"], check=True, capture_output=True)  # other pid
            child.communicate(b"go\n", timeout=10)
            assert p.count == 6
    finally:
        child.kill()
        child.wait()


@kernel
def test_uprobe_on_libc_by_library_name_for_this_process(make_probe):
    """``libc.so.6`` is found as mapped in this process; pid= limits the probe to us."""
    p = make_probe("kprobe")
    with L.uprobe(p.prog, "libc.so.6", "getpid", pid=os.getpid()) as lk:
        getpids(11)
        subprocess.run([sys.executable, "-S", "-c", "import os\nfor _ in range(50): os.getpid()"],
                       check=True)  # another process calling libc getpid: not counted
        assert p.count == 11
        assert lk.info().details["file_name"].endswith("libc.so.6")


@kernel
def test_uprobe_multi_counts_every_symbol(make_probe, uprobe_target):
    p = make_probe("kprobe", expected_attach_type="trace_uprobe_multi")
    with L.uprobe_multi(p.prog, str(uprobe_target), ["pybpf_uprobe_target", "main"]) as lk:
        subprocess.run([str(uprobe_target), "9"], check=True, capture_output=True)
        assert p.count == 9 + 1
        info = lk.info()
        assert info.type == L.LinkType.UPROBE_MULTI and info.details["count"] == 2
        assert info.details["path"] == str(uprobe_target.resolve())
    subprocess.run([str(uprobe_target), "3"], check=True, capture_output=True)
    assert p.count == 10


@kernel
def test_kprobe_kinds_refused_clearly_or_working(make_probe):
    """This kernel has no kprobes and no fprobe: the errors say so. Elsewhere they must count."""
    single = make_probe("kprobe")
    multi = make_probe("kprobe", expected_attach_type="trace_kprobe_multi")
    if not os.path.exists("/sys/bus/event_source/devices/kprobe"):
        with pytest.raises(KernelError, match=r"perf_event_open \(kprobe\).*no kprobe PMU") as exc:
            L.kprobe(single.prog, "__x64_sys_getpid")
        assert exc.value.errno == errno.ENOENT
    else:  # pragma: no cover - kernels with kprobes
        with L.kprobe(single.prog, "__x64_sys_getpid"):
            getpids(3)
            assert single.count >= 3
    try:
        lk = L.kprobe_multi(multi.prog, ["__x64_sys_getpid"])
    except KernelError as e:
        assert e.errno == errno.EOPNOTSUPP and "no multi-kprobe links" in str(e)
    else:  # pragma: no cover - kernels with fprobe
        with lk:
            getpids(3)
            assert multi.count >= 3


@pytest.mark.parametrize("pie", [True, False])
def test_symbol_offset_matches_objdump(tmp_path, pie):
    """Differential: the file offset pybpf computes equals GNU objdump's ``File Offset``."""
    out = tmp_path / "t"
    flags = ["-fPIE", "-pie"] if pie else ["-fno-pie", "-no-pie"]
    subprocess.run(["cc", "-O1", *flags, "-o", str(out), str(PROGS / "uprobe_target.c")], check=True,
                   capture_output=True, timeout=60)
    text = subprocess.run(["objdump", "-d", "-F", "--disassemble=pybpf_uprobe_target", str(out)],
                          check=True, capture_output=True, text=True).stdout
    line = next(ln for ln in text.splitlines() if "<pybpf_uprobe_target> (File Offset:" in ln)
    expected = int(line.split("File Offset:")[1].strip(" ):"), 16)
    resolved = L.resolve_symbol(str(out), "pybpf_uprobe_target")
    assert resolved.offset == expected
    assert resolved.address == int(line.split()[0], 16)
    assert (resolved.address != resolved.offset) == (not pie)


@kernel
def test_uprobe_missing_symbol_names_symbol_and_file(make_probe, uprobe_target):
    p = make_probe("kprobe")
    with pytest.raises(ElfError) as exc:
        L.uprobe(p.prog, str(uprobe_target), "no_such_function")
    assert "no_such_function" in str(exc.value) and str(uprobe_target.resolve()) in str(exc.value)
    with pytest.raises(ElfError, match="no such file"):
        L.uprobe(p.prog, "/nonexistent/binary", "main")


# -- perf events ------------------------------------------------------------------------------
@kernel
def test_perf_event_cpu_clock_samples_busy_loop(make_probe):
    p = make_probe("perf_event")
    with L.perf_event(p.prog, frequency=1000) as group:
        assert len(group) == len(online_cpus())
        end = time.monotonic() + 0.15
        while time.monotonic() < end:
            pass
        assert p.count > 0
        assert all(i.details["perf_event_type"] == L.PerfEventType.EVENT for i in group.info())
    settled = p.count
    end = time.monotonic() + 0.05
    while time.monotonic() < end:
        pass
    assert p.count == settled


@kernel
def test_perf_event_single_cpu_period(make_probe):
    p = make_probe("perf_event")
    os.sched_setaffinity(0, {0})
    try:
        with L.perf_event(p.prog, cpu=0, period=100_000) as lk:  # every 100 us of CPU clock
            end = time.monotonic() + 0.05
            while time.monotonic() < end:
                pass
            assert p.count > 0
            assert isinstance(lk, L.Link)
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


# -- networking: XDP, tcx, sk_lookup, socket filter ---------------------------------------------
def _udp_pair(v: VethPair, port: int) -> tuple[socket.socket, socket.socket]:
    rx = v.socket("b")
    rx.bind((v.ip_b, port))
    rx.settimeout(2)
    tx = v.socket("a")
    return tx, rx


def _send(v: VethPair, tx: socket.socket, rx: socket.socket, port: int, n: int) -> None:
    for i in range(n):
        tx.sendto(b"%d" % i, (v.ip_b, port))
    for _ in range(n):
        rx.recv(64)


XDP_PASS = 2


@kernel
def test_xdp_counts_veth_packets_update_and_close(veth, make_probe):
    p = make_probe("xdp", ret=XDP_PASS, expected_attach_type="xdp")
    q = make_probe("xdp", ret=XDP_PASS, expected_attach_type="xdp")
    tx, rx = _udp_pair(veth, 4000)
    with tx, rx:
        lk = veth.run("b", L.xdp, p.prog, veth.if_b)
        try:
            _send(veth, tx, rx, 4000, 8)
            assert p.count >= 8
            info = lk.info()
            assert info.type == L.LinkType.XDP and info.details["ifindex"] == veth.ifindex("b")
            lk.update(q.prog)
            assert lk.info().prog_id == q.prog.id
            before = p.count
            _send(veth, tx, rx, 4000, 5)
            assert p.count == before and q.count >= 5
        finally:
            lk.close()
        seen = q.count
        _send(veth, tx, rx, 4000, 4)
        assert q.count == seen


@kernel
def test_xdp_detach_keeps_fd_but_stops(veth, make_probe):
    p = make_probe("xdp", ret=XDP_PASS, expected_attach_type="xdp")
    tx, rx = _udp_pair(veth, 4001)
    with tx, rx, veth.run("b", lambda: L.xdp(p.prog, veth.ifindex("b"), mode="skb")) as lk:
        _send(veth, tx, rx, 4001, 3)
        assert p.count >= 3
        lk.detach()
        seen = p.count
        _send(veth, tx, rx, 4001, 3)
        assert p.count == seen and not lk.closed


@kernel
@pytest.mark.parametrize("direction, side", [("ingress", "b"), ("egress", "a")])
def test_tcx_counts_packets(veth, make_probe, direction, side):
    p = make_probe("sched_cls", ret=0)  # TC_ACT_OK
    tx, rx = _udp_pair(veth, 4002)
    ifname = veth.if_b if side == "b" else veth.if_a
    with tx, rx:
        with veth.run(side, L.tcx, p.prog, ifname, direction) as lk:
            _send(veth, tx, rx, 4002, 6)
            assert p.count >= 6
            info = lk.info()
            assert info.type == L.LinkType.TCX
            assert info.details["attach_type"] == getattr(L.AttachType, f"TCX_{direction.upper()}")
        seen = p.count
        _send(veth, tx, rx, 4002, 3)
        assert p.count == seen


@kernel
def test_tcx_before_after_and_revision(veth, make_probe):
    from pybpf.kernel.link.tcx import query

    first, second, third = (make_probe("sched_cls") for _ in range(3))
    a = veth.run("a", L.tcx, first.prog, veth.if_a, "egress")
    with a, veth.run("a", lambda: L.tcx(second.prog, veth.if_a, "egress", before=a)) as b, \
            veth.run("a", lambda: L.tcx(third.prog, veth.if_a, "egress", after=first.prog)) as c:
        chain = veth.run("a", query, veth.if_a, "egress")
        assert chain.prog_ids == [second.prog.id, first.prog.id, third.prog.id]
        assert chain.link_ids == [b.id, a.id, c.id]
        with pytest.raises(KernelError, match="revision differs") as exc:
            veth.run("a", lambda: L.tcx(make_probe("sched_cls").prog, veth.if_a, "egress",
                                        expected_revision=chain.revision + 7))
        assert exc.value.errno == errno.ESTALE
    assert veth.run("a", query, veth.if_a, "egress").prog_ids == []


@kernel
def test_flow_dissector_runs_for_rps_hashing(veth, make_probe):
    """With RPS on the receiving veth, every packet's hash goes through the netns's dissector."""
    p = make_probe("flow_dissector", ret=0, expected_attach_type="flow_dissector")  # BPF_OK
    veth.exec("b", "sh", "-c", f"echo 1 > /sys/class/net/{veth.if_b}/queues/rx-0/rps_cpus")
    tx, rx = _udp_pair(veth, 4004)
    with tx, rx:
        with veth.run("b", L.flow_dissector, p.prog) as lk:
            _send(veth, tx, rx, 4004, 5)
            assert p.count >= 5
            assert lk.info().details["attach_type"] == L.AttachType.FLOW_DISSECTOR
        seen = p.count
        _send(veth, tx, rx, 4004, 3)
        assert p.count == seen


@kernel
def test_netfilter_local_in_counts_and_drops(veth, make_probe):
    accept = make_probe("netfilter", ret=1, expected_attach_type="netfilter")  # NF_ACCEPT
    drop = make_probe("netfilter", ret=0, expected_attach_type="netfilter")    # NF_DROP
    tx, rx = _udp_pair(veth, 4005)
    with tx, rx:
        with veth.run("b", L.netfilter, accept.prog, "ipv4", "local_in", priority=-100) as lk:
            _send(veth, tx, rx, 4005, 4)
            assert accept.count == 4
            assert lk.info().details == {"pf": 2, "hooknum": 1, "priority": -100, "flags": 0}
            with veth.run("b", L.netfilter, drop.prog, "ipv4", "local_in", priority=-50):
                tx.sendto(b"dropped", (veth.ip_b, 4005))
                with pytest.raises(TimeoutError):
                    rx.settimeout(0.2)
                    rx.recv(64)
                assert drop.count == 1
            rx.settimeout(2)
            _send(veth, tx, rx, 4005, 1)
        assert accept.count == 6  # 4, the dropped one (seen first at -100), and 1 more


SK_PASS = 1


@kernel
def test_sk_lookup_counts_lookups_in_its_netns(veth, make_probe):
    p = make_probe("sk_lookup", ret=SK_PASS, expected_attach_type="sk_lookup")
    tx, rx = _udp_pair(veth, 4003)
    with tx, rx:
        with veth.run("b", L.sk_lookup, p.prog) as lk:
            _send(veth, tx, rx, 4003, 5)
            assert p.count == 5
            info = lk.info()
            assert info.type == L.LinkType.NETNS
            assert info.details["netns_ino"] == os.stat(veth.ns_path("b")).st_ino
        _send(veth, tx, rx, 4003, 2)
        assert p.count == 5


@kernel
def test_socket_filter_drops_then_close_lets_through(make_probe):
    p = make_probe("socket_filter", ret=0)  # keep 0 bytes: drop
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        b.setblocking(False)
        with L.socket_filter(p.prog, b) as lk:
            a.send(b"one")
            a.send(b"two")
            with pytest.raises(BlockingIOError):
                b.recv(16)
            assert p.count == 2
            with pytest.raises(KernelError, match="not a bpf_link") as exc:
                lk.pin("x")
            assert exc.value.errno == errno.EOPNOTSUPP
        a.send(b"three")
        assert b.recv(16) == b"three" and p.count == 2


@kernel
def test_socket_filter_update_swaps_program(make_probe):
    drop = make_probe("socket_filter", ret=0)
    keep = make_probe("socket_filter", ret=0xFFFF)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b, L.socket_filter(drop.prog, b) as lk:
        b.setblocking(False)
        lk.update(keep.prog)
        a.send(b"kept")
        assert b.recv(16) == b"kept" and (drop.count, keep.count) == (0, 1)


# -- cgroups ----------------------------------------------------------------------------------
@pytest.fixture
def cgroup_dir() -> Iterator[str]:
    path = os.path.join(cgroup2_root(), f"pybpf-test-{os.getpid()}-{time.monotonic_ns()}")
    os.mkdir(path)
    try:
        yield path
    finally:
        for _ in range(50):
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.02)


def in_child(fn: Callable[[], None], cgroup: str | None = None) -> None:
    """Run ``fn`` in a forked child (moved into ``cgroup`` first); fail if it fails."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            if cgroup is not None:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                    f.write("0")
            fn()
        except BaseException as e:  # noqa: BLE001
            os.write(2, f"child failed: {e!r}\n".encode())
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def _cgroup_actions(v: VethPair) -> dict[str, Callable[[], None]]:
    def udp_connect() -> None:
        setns(v.ns_path("a"))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((v.ip_b, 9))

    def udp_send() -> None:
        setns(v.ns_path("a"))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"x", (v.ip_b, 9))

    def udp_loop() -> None:
        """Send from namespace a and receive in namespace b, both sockets in this process."""
        setns(v.ns_path("a"))
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        setns(v.ns_path("b"))
        with tx, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
            rx.bind((v.ip_b, 4100))
            rx.settimeout(2)
            tx.sendto(b"x", (v.ip_b, 4100))
            assert rx.recv(8) == b"x"

    def read_sysctl() -> None:
        with open("/proc/sys/kernel/ostype", "rb", buffering=0) as f:
            f.read(64)

    def open_dev_null() -> None:
        os.close(os.open("/dev/null", os.O_RDONLY))

    return {"connect": udp_connect, "send": udp_send, "loop": udp_loop, "sysctl": read_sysctl,
            "dev": open_dev_null}


@kernel
@pytest.mark.parametrize("hook, prog_type, expected, action", [
    ("connect4", "cgroup_sock_addr", "cgroup_inet4_connect", "connect"),
    ("sock_create", "cgroup_sock", "cgroup_inet_sock_create", "connect"),
    ("sendmsg4", "cgroup_sock_addr", "cgroup_udp4_sendmsg", "send"),
    ("egress", "cgroup_skb", "cgroup_inet_egress", "send"),
    ("ingress", "cgroup_skb", "cgroup_inet_ingress", "loop"),
    ("sysctl", "cgroup_sysctl", "cgroup_sysctl", "sysctl"),
    ("dev", "cgroup_device", "cgroup_device", "dev"),
])
def test_cgroup_hook_sees_only_its_cgroup(veth, make_probe, cgroup_dir, hook, prog_type, expected, action):
    act = _cgroup_actions(veth)[action]
    p = make_probe(prog_type, ret=1, expected_attach_type=expected)
    with L.cgroup(p.prog, cgroup_dir, hook) as lk:
        in_child(act, cgroup_dir)
        inside = p.count
        assert inside >= 1
        in_child(act, None)  # a process outside the cgroup
        assert p.count == inside
        info = lk.info()
        assert info.type == L.LinkType.CGROUP
        assert info.details["attach_type"] == getattr(L.AttachType, expected.upper())
        assert info.details["cgroup_id"] == os.stat(cgroup_dir).st_ino
    in_child(act, cgroup_dir)
    assert p.count == inside


@kernel
def cgroup_dir_detach_and_update(veth, make_probe, cgroup_dir):
    act = _cgroup_actions(veth)["connect"]
    p = make_probe("cgroup_sock_addr", ret=1, expected_attach_type="cgroup_inet4_connect")
    q = make_probe("cgroup_sock_addr", ret=1, expected_attach_type="cgroup_inet4_connect")
    with L.cgroup(p.prog, cgroup_dir, "connect4") as lk:
        lk.update(q.prog)
        in_child(act, cgroup_dir)
        assert (p.count, q.count) == (0, 1)
        lk.detach()
        in_child(act, cgroup_dir)
        assert q.count == 1


# -- BTF-attached kinds and iterators -----------------------------------------------------------
@pytest.mark.parametrize("kind, target", [("fentry", "__do_sys_getpid"), ("fexit", "__do_sys_getpid"),
                                          ("lsm", "file_open")])
@kernel
def test_trampoline_kinds(kind, target):
    """This kernel refuses trampolines with EPERM: the error names the kind and the restriction.

    On a kernel that allows them, the program must attach and really count getpid calls.
    """
    counts = ArrayMap.create(MapSpec(key_size=4, value_size=8, max_entries=1, value_type="<Q"))
    with counts:
        try:
            prog = L.tracing.load(assemble(probe_text()), kind, target, maps={"counts": counts})
        except ProgLoadError as e:
            assert e.errno == errno.EPERM
            assert f"({kind} {target})" in str(e) and f"this kernel refuses {kind} programs" in str(e)
            return
        with prog, L.ATTACH[kind](prog):  # pragma: no cover - kernels that allow trampolines
            if kind == "lsm":
                open("/dev/null").close()
            else:
                getpids(3)
            assert counts[0] >= 1


@kernel
def test_btf_target_missing_is_named():
    with pytest.raises(BtfError, match="fentry target 'no_such_kernel_fn'"):
        L.tracing.attach_target("fentry", "no_such_kernel_fn")
    with pytest.raises(ValueError, match="unknown BTF attach kind"):
        L.tracing.attach_target("fprobe", "x")


_TASK_ITER = """
    r2 = *(u64 *)(r1 + 8)
    if r2 == 0 goto out
    r1 = *(u64 *)(r1 + 0)
    r1 = *(u64 *)(r1 + 0)
    r3 = *(u32 *)(r2 + {pid_off})
    *(u32 *)(r10 - 4) = r3
    r2 = r10
    r2 += -4
    r3 = 4
    call bpf_seq_write
out:
    r0 = 0
    exit
"""


@kernel
def test_task_iterator_lists_our_pid():
    from pybpf.btf import vmlinux

    btf = vmlinux()
    _, bit_offset, _ = btf.member(btf.find("task_struct", "struct"), "pid")
    pid_off = bit_offset // 8
    prog = L.tracing.load(assemble(_TASK_ITER.format(pid_off=pid_off)), "iter", "task")
    with prog, L.iterator(prog) as it:
        procs = {int(d) for d in os.listdir("/proc") if d.isdigit()}
        data = it.read()
        assert len(data) % 4 == 0 and len(data) > 0
        pids = [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]
        assert pids == sorted(pids) and os.getpid() in pids  # the task iterator walks pid order
        assert len(procs - set(pids)) <= 5  # every process (a few may exit meanwhile)
        assert it.info().details["target_name"] == "task"
        assert len(it.read()) > 0  # each read is a fresh pass


# -- bad input ----------------------------------------------------------------------------------
@kernel
def test_unknown_tracepoint_is_named(make_probe):
    p = make_probe("tracepoint")
    with pytest.raises(KernelError, match="unknown tracepoint syscalls:sys_enter_nope") as exc:
        L.tracepoint(p.prog, "syscalls:sys_enter_nope")
    assert exc.value.errno == errno.ENOENT
    r = make_probe("raw_tracepoint")
    with pytest.raises(KernelError, match="unknown raw tracepoint 'no_such_tp'") as exc:
        L.raw_tracepoint(r.prog, "no_such_tp")
    assert exc.value.errno == errno.ENOENT


@kernel
def test_wrong_program_type_is_explained(make_probe):
    p = make_probe("socket_filter")
    with pytest.raises(KernelError, match=r"BPF_LINK_CREATE \(tracepoint\).*must be of type tracepoint"):
        L.tracepoint(p.prog, "syscalls:sys_enter_getpid")


@kernel
def test_unsupported_operations_are_specific(make_probe):
    p = make_probe("tracepoint")
    with L.tracepoint(p.prog, "syscalls:sys_enter_getpid") as lk:
        with pytest.raises(KernelError, match="cannot force-detach a tracepoint link") as exc:
            lk.detach()
        assert exc.value.errno == errno.EOPNOTSUPP
        with pytest.raises(KernelError, match="tracepoint links cannot swap their program"):
            lk.update(p.prog)
    with pytest.raises(Exception, match="closed"):
        lk.info()


@kernel
def test_bad_ifindex_and_interface(veth, make_probe):
    p = make_probe("xdp", ret=XDP_PASS, expected_attach_type="xdp")
    for bad in (987654, "pybpf-nope0", 0):
        with pytest.raises(KernelError, match="no network interface") as exc:
            veth.run("b", L.xdp, p.prog, bad)
        assert exc.value.errno == errno.ENODEV
    with pytest.raises(KernelError, match=r"BPF_LINK_CREATE \(tcx\).*no network interface"):
        L.tcx(make_probe("sched_cls").prog, 987654, "ingress")


@kernel
def test_bad_cgroup_path(make_probe, tmp_path):
    p = make_probe("cgroup_device", ret=1, expected_attach_type="cgroup_device")
    with pytest.raises(KernelError, match="cannot open cgroup /nonexistent/cg") as exc:
        L.cgroup(p.prog, "/nonexistent/cg", "dev")
    assert exc.value.errno == errno.ENOENT and cgroup2_root() in str(exc.value)
    with pytest.raises(KernelError, match=f"{tmp_path} is not a cgroup v2 directory"):
        L.cgroup(p.prog, str(tmp_path), "dev")
    with pytest.raises(ValueError, match="unknown cgroup hook 'connect5'"):
        L.cgroup(p.prog, cgroup2_root(), "connect5")


# -- oracle and robustness ----------------------------------------------------------------------
@kernel
@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool absent")
def test_link_info_agrees_with_bpftool(make_probe):
    p = make_probe("tracepoint")
    r = make_probe("raw_tracepoint")
    with L.tracepoint(p.prog, "syscalls:sys_enter_getpid") as a, L.raw_tracepoint(r.prog, "sys_exit") as b:
        for lk in (a, b):
            info = lk.info()
            out = subprocess.run(["bpftool", "link", "show", "id", str(info.id), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            tool = json.loads(out)
            assert tool["id"] == info.id and tool["prog_id"] == info.prog_id
            assert tool["type"] == info.type.name.lower()
        assert json.loads(subprocess.run(["bpftool", "link", "show", "id", str(b.id), "--json"],
                                         check=True, capture_output=True, text=True).stdout
                          )["tp_name"] == "sys_exit"


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@kernel
def test_attach_detach_cycles_leak_nothing():
    """1,000 tracepoint attach/detach cycles leave no fd and no link behind.

    Releasing a perf-event link waits for an RCU grace period in the kernel
    (~40 ms here), so the cycles run in 50 threads (one program each: a program
    attaches to a tracepoint once) whose waits overlap.
    """
    threads, per_thread = 50, 20
    counts = ArrayMap.create(MapSpec(key_size=4, value_size=8, max_entries=1, value_type="<Q"))
    progs = [load(assemble(probe_text(my_tgid=True)), "tracepoint", maps={"counts": counts})
             for _ in range(threads)]
    try:
        L.tracepoint(progs[0], "syscalls:sys_enter_getpid").close()  # warm caches (tracefs...)
        before = _open_fds()

        def cycles(prog: Program) -> None:
            for _ in range(per_thread):
                L.tracepoint(prog, "syscalls:sys_enter_getpid").close()

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(cycles, progs))
        assert _open_fds() == before
        ours = {p.id for p in progs}
        attached = []
        for link_id in L.link_ids():
            try:
                with L.from_id(link_id) as other:
                    if other.info().prog_id in ours:
                        attached.append(link_id)
            except KernelError:
                pass  # freed meanwhile
        assert attached == []
        getpids(3)
        assert counts[0] == 0
    finally:
        for p in progs:
            p.close()
        counts.close()


# -- without the kernel: layouts against BTF, error paths through the bpf() seam -----------------
@pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"), reason="no vmlinux BTF")
def test_perf_event_attr_layout_matches_kernel_btf():
    """pybpf's own perf_event_attr packing puts every field where the kernel's BTF says."""
    import struct

    from pybpf.btf import vmlinux
    from pybpf.kernel.link.perf import PerfEventAttr

    btf = vmlinux()
    struct_id = btf.find("perf_event_attr", "struct")
    attr = PerfEventAttr(type=0x11, config=0x22, sample_period=0x33, sample_type=0x44, freq=True,
                         disabled=True, wakeup_events=0x55, config1=0x66, config2=0x77)
    raw = attr.pack()
    for name, value in (("type", 0x11), ("config", 0x22), ("sample_period", 0x33),
                        ("sample_type", 0x44), ("wakeup_events", 0x55), ("config1", 0x66),
                        ("config2", 0x77), ("size", len(raw))):
        _, bit, _ = btf.member(struct_id, name)
        size = btf.size_of(btf.member(struct_id, name)[0])
        assert int.from_bytes(raw[bit // 8:bit // 8 + size], "little") == value, name
    word_bit = btf.member(struct_id, "disabled")[1] // 64 * 64
    word = struct.unpack_from("<Q", raw, word_bit // 8)[0]
    set_bits = {btf.member(struct_id, n)[1] - word_bit for n in ("disabled", "freq")}
    assert {b for b in range(64) if word >> b & 1} == set_bits


def test_cgroup_hook_names():
    from pybpf.kernel.link.cgroup import resolve_hook

    assert resolve_hook("connect4") == L.AttachType.CGROUP_INET4_CONNECT
    assert resolve_hook("cgroup/sendmsg6") == L.AttachType.CGROUP_UDP6_SENDMSG
    assert resolve_hook("inet_ingress") == L.AttachType.CGROUP_INET_INGRESS
    assert resolve_hook(int(L.AttachType.CGROUP_SYSCTL)) == L.AttachType.CGROUP_SYSCTL
    with pytest.raises(ValueError, match="unknown cgroup hook 'bogus'"):
        resolve_hook("bogus")


@pytest.fixture
def fake_bpf(monkeypatch):
    """Replace the bpf() syscall seam: ``fail[cmd] = errno`` makes that command fail."""
    from pybpf.kernel import syscall

    fail: dict[int, int] = {}
    calls: list[int] = []

    def fake(cmd: int, attr: bytearray) -> tuple[int, int]:
        calls.append(cmd)
        if cmd in fail:
            return -1, fail[cmd]
        raise AssertionError(f"unexpected bpf command {cmd}")

    monkeypatch.setattr(syscall, "_sys_bpf", fake)
    return fail, calls


@pytest.mark.parametrize("kind", ["fentry", "fexit", "fmod_ret", "lsm"])
def test_trampoline_attach_refusal_names_kind(fake_bpf, kind):
    from pybpf.kernel.syscall import Cmd

    fail, calls = fake_bpf
    fail[Cmd.LINK_CREATE] = errno.EPERM
    with pytest.raises(KernelError) as exc:
        L.ATTACH[kind](12345)
    assert calls == [Cmd.LINK_CREATE] and exc.value.errno == errno.EPERM
    assert f"BPF_LINK_CREATE ({kind})" in str(exc.value)
    assert f"this kernel refuses {kind} programs" in str(exc.value)


def test_iterator_attach_error_explains_loading(fake_bpf):
    from pybpf.kernel.syscall import Cmd

    fail, _ = fake_bpf
    fail[Cmd.LINK_CREATE] = errno.EINVAL
    with pytest.raises(KernelError, match=r"BPF_LINK_CREATE \(iter\).*BPF_TRACE_ITER"):
        L.iterator(12345)
