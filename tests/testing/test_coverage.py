"""eBPF coverage against hand traces: which source lines and branches a run reached, for the
DSL probe examples/xdp_drop.py, for C (trace_open.bpf.c through its BTF line info) and for
assembly; and the report formats, read back by coverage.py and checked as LCOV."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pybpf.asm import assemble
from pybpf.coverage import Coverage, lcov, text_report, write_coverage_data
from pybpf.testing import BpfProgram, tracepoint_context
from pybpf.testing.ctxgen import EXAMPLE_FORMAT
from pybpf.testing.frames import ethernet, ipv4, udp
from pybpf.vm import VM

ROOT = Path(__file__).resolve().parents[2]
XDP_DROP = ROOT / "examples" / "xdp_drop.py"


def line_of(path: Path, text: str, nth: int = 0) -> int:
    """The line number of the ``nth`` line of ``path`` whose stripped text is ``text``."""
    hits = [i for i, ln in enumerate(path.read_text().splitlines(), 1) if ln.strip() == text]
    return hits[nth]


def xdp_lines() -> dict[str, int]:
    L = {
        "def": line_of(XDP_DROP, "def drop_udp_port(ctx):"),
        "eth": line_of(XDP_DROP, "eth = header(ctx, EthHdr, 0)"),
        "eth?": line_of(XDP_DROP, "if eth is None or eth.proto != ETH_P_IP:"),
        "ret1": line_of(XDP_DROP, "return XDP_PASS", 0),
        "ip": line_of(XDP_DROP, "ip = header(ctx, IpHdr, ETH_HLEN)"),
        "ip?": line_of(XDP_DROP, "if ip is None or ip.protocol != IPPROTO_UDP or ip.ver_ihl != 0x45:"),
        "udp": line_of(XDP_DROP, "udp = header(ctx, UdpHdr, ETH_HLEN + 20)"),
        "udp?": line_of(XDP_DROP, "if udp is None or udp.dest != PORT:"),
        "count": line_of(XDP_DROP, "drops[ip.saddr] += 1"),
        "drop": line_of(XDP_DROP, "return XDP_DROP"),
    }
    return L


def test_dsl_probe_hand_trace():
    """Hand trace of drop_udp_port: a UDP packet to the port runs every line but the
    `return XDP_PASS`es (the compiler emits the three as one shared return, at the first
    one's line: the other two have no code of their own); an ARP frame runs the first
    three lines and that return. Each `if` is a branch; the map update's lookup misses on
    the first packet and hits on the second."""
    L = xdp_lines()
    cov = Coverage()
    prog = BpfProgram.load(XDP_DROP)
    prog.coverage = cov
    prog.run(packet=ethernet(ipv4(udp(b"", dport=9999))))
    f = cov.files()[str(XDP_DROP)]
    run = {L[k] for k in ("def", "eth", "eth?", "ip", "ip?", "udp", "udp?", "count", "drop")}
    assert f.lines == run | {L["ret1"]}
    assert f.executed == run and f.missing == {L["ret1"]}
    count = [b for b in f.branch_list if b.line == L["count"]]
    assert [(b.taken, b.not_taken) for b in count] == [(True, False)]  # lookup missed
    assert all((b.taken, b.not_taken) == (False, True) for b in f.branch_list if b.line != L["count"])
    prog.run(packet=ethernet(ipv4(udp(b"", dport=9999))))
    f = cov.files()[str(XDP_DROP)]
    assert [(b.taken, b.not_taken) for b in f.branch_list if b.line == L["count"]] == [(True, True)]
    prog.run(packet=ethernet(b"\x00\x01" + bytes(26), ethertype=0x0806))   # ARP
    f = cov.files()[str(XDP_DROP)]
    assert f.missing == set()
    eth_branches = [b for b in f.branch_list if b.line == L["eth?"]]
    assert eth_branches and all(b.taken and b.not_taken for b in eth_branches)
    report = text_report(cov.files(), show_missing=True)
    row = next(r for r in report.splitlines() if r.startswith("examples/xdp_drop.py"))
    assert row.split()[1:3] == [str(len(f.lines)), "0"]


@pytest.mark.clang
def test_c_hand_trace(bpf_compile, vmlinux_h):
    """trace_open.bpf.c through its BTF line info: with no target pid every line runs (the
    two `return 0`s are clang's shared epilogue, at the closing brace); with a target that
    is not us only the filter and the epilogue do."""
    obj = bpf_compile("trace_open", vmlinux_h)
    src = ROOT / "tests" / "progs" / "trace_open.bpf.c"
    lines = {name: line_of(src, text) for name, text in [
        ("sig", "int handle_openat(struct trace_event_raw_sys_enter *ctx)"),
        ("id", "__u64 id = bpf_get_current_pid_tgid();"), ("tgid", "__u32 tgid = id >> 32;"),
        ("filter", "if (target_tgid && tgid != target_tgid)"),
        ("reserve", "struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);"),
        ("null?", "if (!e)"), ("pid", "e->pid = tgid;"), ("tid", "e->tid = (__u32)id;"),
        ("comm", "bpf_get_current_comm(e->comm, sizeof(e->comm));"),
        ("path", "bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)ctx->args[1]);"),
        ("submit", "bpf_ringbuf_submit(e, 0);"), ("end", "}")]}
    ctx = tracepoint_context("syscalls/sys_enter_openat", {"filename": "/etc/hosts"},
                             format=EXAMPLE_FORMAT)
    cov = Coverage()
    prog = BpfProgram.load(obj)
    prog.coverage = cov
    prog.run(ctx=ctx)
    f = cov.files()[str(src)]
    assert f.lines == set(lines.values()) and f.missing == set()
    assert {a for a, _ in f.missing_arcs()} == {lines["filter"], lines["null?"]}
    cov2 = Coverage()
    other = BpfProgram.load(obj)
    other.group.vmobj.rodata["target_tgid"] = 1  # before the first run: its initial value
    other.coverage = cov2
    other.run(ctx=ctx)
    f = cov2.files()[str(src)]
    assert f.executed == {lines[k] for k in ("sig", "id", "tgid", "filter", "end")}


def test_assembly_lines_and_branches(tmp_path):
    src = tmp_path / "prog.s"
    src.write_text("r0 = 0\nif r1 > 10 goto big\nr0 = 1\nexit\nbig:\nr0 = 2\nexit\n")
    cov = Coverage()
    prog = assemble(src.read_text(), filename=str(src))
    VM(coverage=cov).run(prog, args=[3])
    f = cov.files()[str(src)]
    assert (f.executed, f.missing) == ({1, 2, 3, 4}, {6, 7})
    assert f.missing_arcs() == [(2, 6)]
    VM(coverage=cov).run(prog, args=[30])
    assert cov.files()[str(src)].percent == 100.0


def test_lcov_and_coverage_py_data(tmp_path):
    cov = Coverage()
    prog = BpfProgram.load(XDP_DROP)
    prog.coverage = cov
    prog.run(packet=ethernet(ipv4(udp(b"", dport=9999))))
    files = cov.files()
    f = files[str(XDP_DROP)]
    text = lcov(files)
    assert f"SF:{XDP_DROP}" in text and text.rstrip().endswith("end_of_record")
    da = {int(ln.split(":")[1].split(",")[0]): int(ln.split(",")[1])
          for ln in text.splitlines() if ln.startswith("DA:")}
    assert da == {ln: int(ln in f.executed) for ln in f.lines}
    assert f"LH:{len(f.executed)}" in text and f"BRF:{f.branches}" in text
    data = write_coverage_data(files, tmp_path / ".coverage")
    out = subprocess.run([sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", "-",
                          "--include", str(XDP_DROP)], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "COVERAGE_RCFILE": os.devnull})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    entry = next(v for k, v in report["files"].items() if k.endswith("examples/xdp_drop.py"))
    assert set(entry["executed_lines"]) == f.executed


OPENSNOOP = ROOT / "examples" / "opensnoop.py"


def test_opensnoop_hand_trace():
    """Hand trace of opensnoop's two probes: the entry probe runs all its lines (but
    `s = Start()`, which has no code: both fields are stored before the struct is used);
    the exit probe without an entry runs its lookup, the `if` (taken) and `return 0`, and
    nothing after; after an entry it runs every line but that early return (the two
    `return 0`s are separate lines, each with its own exit), and the `if` has then gone
    both ways."""
    lines = {name: line_of(OPENSNOOP, text) for name, text in [
        ("enter", "def openat_enter(ctx):"), ("ts", "s.ts = ktime_ns()"),
        ("fname", "s.fname = ctx.filename"), ("store", "start[tid()] = s"),
        ("exit", "def openat_exit(ctx):"), ("t", "t = tid()"), ("lookup", "s = start.lookup(t)"),
        ("none?", "if s is None:"), ("early", "return 0"), ("e", "e = Event()"),
        ("pid", "e.pid = pid()"), ("tid", "e.tid = t"), ("ret", "e.ret = ctx.ret"),
        ("lat", "e.lat_ns = ktime_ns() - s.ts"), ("comm", "e.comm = comm()"),
        ("path", "e.filename = probe_read_user_str(s.fname)"), ("del", "del start[t]"),
        ("output", "events.output(e)")]}
    lines["last"] = line_of(OPENSNOOP, "return 0", 1)
    entry_lines = {lines[k] for k in ("enter", "ts", "fname", "store")}
    exit_body = {lines[k] for k in ("e", "pid", "tid", "ret", "lat", "comm", "path", "del",
                                    "output", "last")}
    head = {lines[k] for k in ("exit", "t", "lookup", "none?")}
    enter_ctx = tracepoint_context("syscalls/sys_enter_openat", {"filename": "/etc/hosts"})
    exit_ctx = tracepoint_context("syscalls/sys_exit_openat", {"ret": 3})
    progs = BpfProgram.load_all(OPENSNOOP)
    cov = Coverage()
    for p in progs.values():
        p.coverage = cov

    progs["openat_exit"].run(ctx=exit_ctx, backend="vm")          # no entry: early return
    f = cov.files()[str(OPENSNOOP)]
    assert f.executed == head | {lines["early"]}
    assert f.missing == entry_lines | exit_body
    assert [(b.taken, b.not_taken) for b in f.branch_list if b.line == lines["none?"]] \
        == [(True, False)]

    progs["openat_enter"].run(ctx=enter_ctx, backend="vm")
    out = progs["openat_exit"].run(ctx=exit_ctx, backend="vm")
    assert len(out.records["events"]) == 1
    f = cov.files()[str(OPENSNOOP)]
    assert f.executed == entry_lines | head | {lines["early"]} | exit_body
    assert f.missing == set() and f.lines == f.executed
    assert [(b.taken, b.not_taken) for b in f.branch_list if b.line == lines["none?"]] \
        == [(True, True)]
