"""pybpf's vmlinux.h compiles the test programs to the same code as bpftool's vmlinux.h."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from pybpf.elf import read_object

pytestmark = pytest.mark.clang


@pytest.fixture(scope="module")
def bpftool_vmlinux_dir(tmp_path_factory):
    if shutil.which("bpftool") is None:
        pytest.skip("bpftool is not on PATH (apt-get install bpftool; /usr/sbin)")
    d = tmp_path_factory.mktemp("bpftool-vmlinux")
    out = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"],
                         capture_output=True, check=True).stdout
    (d / "vmlinux.h").write_bytes(out)
    return d


@pytest.mark.parametrize("name", ["trace_open", "core"])
def test_same_code_with_either_header(bpf_compile, vmlinux_dir, bpftool_vmlinux_dir, name):
    ours = read_object(str(bpf_compile(name, vmlinux_dir)))
    theirs = read_object(str(bpf_compile(name, bpftool_vmlinux_dir)))
    assert set(ours.programs) == set(theirs.programs)
    for pname, prog in ours.programs.items():
        assert prog.program.insns == theirs.programs[pname].program.insns, pname
        assert prog.program.refs == theirs.programs[pname].program.refs, pname
    assert {n: (m.type, m.key_size, m.value_size, m.max_entries) for n, m in ours.maps.items()} == \
        {n: (m.type, m.key_size, m.value_size, m.max_entries) for n, m in theirs.maps.items()}
