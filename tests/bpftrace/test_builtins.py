"""bpftrace's memory builtins (``buf()``, ``ntop()``, ``bswap()``, ``cat()``, ``*p``) run by
``pybpf trace`` and by bpftrace 0.17 side by side: the same lines."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from .sidebyside import BPFTRACE, child, run_both, unique

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(BPFTRACE is None, reason="bpftrace is not installed (make deps)")]


def test_constants_print_as_bpftrace_prints_them():
    path = Path(f"/tmp/{unique('cat-')}")  # short: bpftrace's strings are 64 bytes
    path.write_text("first line\nsecond line\n")
    prog = ('BEGIN { printf("[%r] [%r] [%s] [%s] [%s] [%x] [%x] [%lx]\\n", buf("ab\\x01\\xff c\\\\", 7), '
            'buf("abcdef", 3), ntop(0x0100007f), ntop(10, 0x0100007f), ntop(2, 0xffffffff), '
            'bswap((uint32)0x11223344), bswap((uint16)0x1122), bswap(0x1122334455667788)); '
            f'cat("{path}"); cat("%s-missing-%d", "{path}", 7); print(ntop(0x0100a8c0)); exit(); }}')
    try:
        b, p = run_both(["-e", prog], self_exit=True)
    finally:
        path.unlink()
    assert b.rc == 0 and p.rc == 0, (b.stderr, p.stderr)
    assert p.lines[1] == b.lines[1] == \
        "[ab\\x01\\xff c\\] [abc] [127.0.0.1] [7f00:1::] [255.255.255.255] [44332211] [2211] " \
        "[8877665544332211]"
    assert p.lines[2:4] == b.lines[2:4] == ["first line", "second line"]
    assert p.lines[4:] == b.lines[4:] and p.lines[4] == "192.168.0.1"
    for run in (b, p):  # the error names the file, on stderr
        assert f"ERROR: failed to open file '{path}-missing-7': No such file or directory" in run.stderr


def test_ntop_of_the_addresses_of_a_connection():
    with socket.socket(socket.AF_INET6) as server:
        server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        server.bind(("::", 0))
        server.listen(4)
        port = server.getsockname()[1]
        prog = ("tracepoint:sock:inet_sock_set_state /args->dport == PORT && args->newstate == 1/ "
                "{ printf(\"%s %s -> %s %s %d\\n\", ntop(args->saddr), ntop(args->saddr_v6), "
                "ntop(args->daddr), ntop(10, args->daddr_v6), args->dport); }").replace("PORT", str(port))
        code = ("import socket\n"
                f"for fam, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):\n"
                "    with socket.socket(fam) as s:\n"
                f"        s.connect((host, {port}))\n")
        b, p = run_both(["-e", prog], lambda: child(code, unique("ntop-")))
    mine = [ln for ln in p.lines if ln.endswith(f" {port}")]
    assert mine == [ln for ln in b.lines if ln.endswith(f" {port}")]
    assert mine == [f"127.0.0.1 ::ffff:127.0.0.1 -> 127.0.0.1 ::ffff:127.0.0.1 {port}",
                    f"0.0.0.0 ::1 -> 0.0.0.0 ::1 {port}"]


def test_dereference_of_a_syscall_argument():
    comm = unique("deref-")
    prog = (f'tracepoint:syscalls:sys_enter_sched_setaffinity /comm == "{comm}"/ '
            '{ printf("%d %d %x\\n", *args->user_mask_ptr, *(uint8 *)args->user_mask_ptr, '
            'bswap(*(uint16 *)args->user_mask_ptr)); }')
    code = "os.sched_setaffinity(0, {0})\nos.sched_setaffinity(0, os.sched_getaffinity(0) | {0})\n"
    b, p = run_both(["-e", prog], lambda: child(code, comm))
    mine = [ln for ln in p.lines if ln and ln[0].isdigit()]
    assert mine == [ln for ln in b.lines if ln and ln[0].isdigit()]
    assert mine[0] == "1 1 100"


@pytest.mark.parametrize("prog, message", [
    ('BEGIN { printf("%d\\n", buf(0, 100)); }', "buf() reads 1 to 64 bytes"),
    ('BEGIN { printf("%d\\n", buf("ab")); }', "this is a buf() (use %r)"),
    ('BEGIN { printf("%r\\n", 5); }', "%r prints a buf()"),
    ('BEGIN { printf("%s\\n", ntop(3, 1)); }', "AF_INET (2) or AF_INET6 (10)"),
    ('BEGIN { cat("/proc/%d/status"); }', "cat: the file name has 1 conversion and 0 arguments"),
    ('BEGIN { printf("%d\\n", *curtask); }', "read one of its fields"),
])
def test_misuse_is_an_error_at_the_script_column(prog, message):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "pybpf", "trace", "-e", prog], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "<program>:1:" in r.stderr
