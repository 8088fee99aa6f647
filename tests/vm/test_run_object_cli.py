"""``pybpf run OBJ.o``: a program of a clang object in the VM from the command line."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest

pytestmark = pytest.mark.clang


def pybpf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pybpf", "run", *args], capture_output=True,
                          text=True, timeout=120)


def test_object_program_with_globals(bpf_compile):
    obj = str(bpf_compile("subprogs"))
    res = pybpf(obj, "--program", "subprogs_xdp", "--packet", "00" * 60, "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["program"] == "subprogs_xdp" and doc["packet"] == "00" * 60
    assert doc["globals"][".bss"]["calls"] == 1 and doc["globals"][".rodata"]["factor"] == 3
    res = pybpf(obj, "--program", "subprogs_xdp", "--packet", "00" * 60, "--repeat", "3",
                "--set", "factor=5", "--json")
    doc2 = json.loads(res.stdout)
    assert doc2["globals"][".bss"]["calls"] == 3 and doc2["globals"][".rodata"]["factor"] == 5
    assert doc2["r0"] != doc["r0"]
    text = pybpf(obj, "--program", "subprogs_sock", "--packet", "00" * 60).stdout
    assert text.startswith("r0 = ") and ".bss calls = 2" in text  # calls += 2


def test_errors_name_what_is_wrong(bpf_compile):
    obj = str(bpf_compile("subprogs"))
    res = pybpf(obj)
    assert res.returncode == 1 and "2 programs: choose one with --program NAME (subprogs_xdp (xdp), subprogs_sock (socket))" \
        in res.stderr
    res = pybpf(obj, "--program", "nope", "--json")
    assert res.returncode == 1 and "no program 'nope'" in json.loads(res.stdout)["error"]
    res = pybpf(obj, "--program", "subprogs_xdp", "--set", "nothere=1")
    assert "--set nothere: no global variable" in res.stderr


def test_trace_open_from_a_context(bpf_compile, vmlinux_h):
    """The tracepoint record as bytes: its filename pointer points nowhere the VM knows, so
    bpf_probe_read_user_str fails and the path is empty, as in the kernel."""
    obj = str(bpf_compile("trace_open", vmlinux_h))
    ctx = bytearray(64)
    struct.pack_into("<Q", ctx, 24, 0x7F00DEAD0000)
    res = pybpf(obj, "--ctx", ctx.hex(), "--json")
    assert res.returncode == 0, res.stderr
    rec = bytes.fromhex(json.loads(res.stdout)["maps"]["events"][0]["record"])
    pid, tid, comm, path = struct.unpack("<II16s256s", rec)
    assert path.rstrip(b"\0") == b"" and comm.rstrip(b"\0")


@pytest.mark.kernel
def test_trace_open_by_fields(bpf_compile, vmlinux_h):
    obj = str(bpf_compile("trace_open", vmlinux_h))
    res = pybpf(obj, "--field", "filename=/etc/hosts", "--json")
    rec = bytes.fromhex(json.loads(res.stdout)["maps"]["events"][0]["record"])
    pid, tid, comm, path = struct.unpack("<II16s256s", rec)
    assert path.split(b"\0")[0] == b"/etc/hosts" and pid != 0
    res = pybpf(obj, "--field", "filename=/etc/hosts", "--set", f"target_tgid={os.getpid()}",
                "--json")
    assert json.loads(res.stdout)["maps"] == {}                       # filtered out
    res = pybpf(obj, "--field", "nope=1")
    assert res.returncode == 1 and "no field nope (fields: __syscall_nr, dfd, filename" in res.stderr
