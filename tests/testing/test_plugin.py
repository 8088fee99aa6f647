"""The pytest plugin, as a user meets it: a test file in a directory of its own, run by pytest
in a child process (the plugin comes from the pytest11 entry point), as root and as nobody."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

USER_TESTS = textwrap.dedent('''
    import pytest
    from hypothesis import given, settings, strategies as st

    XDP_DROP = {xdp_drop!r}
    CLOCK = "call bpf_ktime_get_ns\\nr0 &= 0xffff\\nr0 |= 1\\nexit"

    @pytest.mark.vm_vs_kernel
    @settings(max_examples=5, database=None, deadline=None)  # the first example loads the program
    @given(st.binary(min_size=14, max_size=80))
    def test_agree(bpf_program, pkt):
        out = bpf_program(XDP_DROP).run(packet=pkt)
        print("kernel ran:", out.kernel is not None)

    @pytest.mark.vm_vs_kernel
    def test_disagree(bpf_program):
        bpf_program(CLOCK, prog_type="xdp").run(packet=bytes(64))

    def test_vm_only_by_default(bpf_program):
        assert bpf_program(CLOCK, prog_type="xdp").run(packet=bytes(64)).kernel is None

    def test_bpf_vm(bpf_vm):
        assert bpf_vm.run("r0 = 3\\nexit", prog_type="xdp", packet=bytes(14)).retval == 3

    def test_bpf_kernel(bpf_kernel):
        assert bpf_kernel.run("r0 = 3\\nexit", prog_type="xdp", packet=bytes(14)).retval == 3

    def test_maps_start_empty(bpf_program):
        from pybpf.testing.frames import ethernet, ipv4, udp
        pkt = ethernet(ipv4(udp(b"", dport=9999)))
        for n in (1, 2):
            p = bpf_program(XDP_DROP)
            p.run(packet=pkt)
            assert sum(dict(p.maps["drops"]).values()) == 1
''')


def run_user_suite(tmp: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess:
    test = tmp / "test_user.py"
    test.write_text(USER_TESTS.format(xdp_drop=str(ROOT / "examples" / "xdp_drop.py")))
    cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-s", "-p", "no:cacheprovider", str(test), *args]
    if user is not None:  # root without any capability: bpf() refuses it as it refuses nobody,
        # and it can still read a checkout in a directory only root may enter (a CI's clone)
        cmd = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *cmd]
    env = {k: v for k, v in os.environ.items() if k != "PYBPF_REQUIRE_KERNEL"}
    env["HOME"] = str(tmp)
    return subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def user_dir():
    d = Path(tempfile.mkdtemp(prefix="pybpf-plugin-"))
    d.chmod(0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.kernel
def test_plugin_as_root(user_dir):
    """The marked test that disagrees fails with the difference; --bpf-backend=both makes
    every test compare (the unmarked clock test fails too); --bpf-cov reports the lines
    of the probe and writes LCOV."""
    lcov = user_dir / "bpf.lcov"
    res = run_user_suite(user_dir, "--bpf-cov", "--bpf-cov-report=term-missing",
                         f"--bpf-cov-report=lcov:{lcov}")
    out = res.stdout
    assert re.search(r"1 failed, 5 passed", out), out + res.stderr
    assert "BackendMismatch" in out and "retval: VM" in out
    assert re.search(r"_ test_disagree _", out)
    assert "kernel ran: True" in out
    assert "eBPF coverage (pybpf)" in out
    assert re.search(r"examples/xdp_drop\.py\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+%", out), out
    assert "SF:" + str(ROOT / "examples" / "xdp_drop.py") in lcov.read_text()
    res = run_user_suite(user_dir, "-k", "vm_only", "--bpf-backend=both")
    assert re.search(r"1 failed, 5 deselected", res.stdout), res.stdout + res.stderr


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is missing")
def test_plugin_without_root_skips_the_kernel_with_the_reason(user_dir):
    """Without capabilities: the marked tests run in the VM alone (the disagreement cannot show),
    bpf_kernel skips and says why."""
    res = run_user_suite(user_dir, user="65534")
    out = res.stdout
    assert re.search(r"5 passed, 1 skipped", out), out + res.stderr
    assert "bpf_kernel: not root" in out
    assert "kernel ran: False" in out
