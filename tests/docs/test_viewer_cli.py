"""``--html`` of ``pybpf verify`` and ``pybpf run`` at the command line: every input kind
the verdict takes (here assembly, a DSL probe and a clang object), the verdict still
printed, and a clear error (no traceback, no page) where no page can be written."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = '''\
from pybpf.dsl import HashMap, pid, probe, u32, u64

calls = HashMap(u32, u64, max_entries=16)


@probe("tracepoint:syscalls:sys_enter_getppid")
def getppids(ctx):
    calls[pid()] += 1
'''

C_SRC = r'''
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int first_byte(struct __sk_buff *skb)
{
	return skb->len > 10 ? 1 : 0;
}
char LICENSE[] SEC("license") = "GPL";
'''


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pybpf", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_verify_html_of_a_dsl_probe(tmp_path: Path) -> None:
    (tmp_path / "probe.py").write_text(PROBE)
    res = _cli("verify", "probe.py", "--html", "probe.html", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "getppids: accepted" in res.stdout
    page = (tmp_path / "probe.html").read_text()
    assert "getppids" in page and "calls[pid()] += 1" in page  # the probe's own line


@pytest.mark.clang
def test_verify_html_of_a_clang_object(tmp_path: Path) -> None:
    if shutil.which("clang-19") is None:
        pytest.skip("clang-19 is not installed")
    (tmp_path / "f.bpf.c").write_text(C_SRC)
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu",
                    "-c", "f.bpf.c", "-o", "f.bpf.o"], cwd=tmp_path, check=True)
    res = _cli("verify", "f.bpf.o", "--html", "f.html", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    page = (tmp_path / "f.html").read_text()
    assert "first_byte" in page and "return skb->len > 10" in page  # the C line (BTF line info)
    res = _cli("run", "f.bpf.o", "--html", "run.html", cwd=tmp_path)
    assert res.returncode == 1
    assert "pybpf verify OBJ.o --html" in res.stderr + res.stdout
    assert "Traceback" not in res.stderr and not (tmp_path / "run.html").exists()


@pytest.mark.parametrize("verb", ["verify", "run"])
def test_a_page_that_cannot_be_written_is_an_error(tmp_path: Path, verb: str) -> None:
    (tmp_path / "p.s").write_text("r0 = 0\nexit\n")
    typed = ["--type", "socket_filter"] if verb == "verify" else []
    res = _cli(verb, "p.s", *typed, "--html", "no/such/dir/p.html", cwd=tmp_path)
    assert res.returncode == 1
    assert "no/such/dir/p.html" in res.stderr and "cannot write the page" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
