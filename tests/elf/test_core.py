"""CO-RE on the live kernel: every relocation kind, a ___flavor struct, pybpf's vmlinux.h.

The oracle for offsets, sizes and enum values is bpftool's own dump of the kernel BTF
(``format raw``), and for the loads themselves the running process: the probe must
read this process's pid, tgid and comm through the relocated offsets.
"""
from __future__ import annotations

import os
import re
import struct
import subprocess
from functools import cache

import pytest

from pybpf.elf.loader import BpfObject

pytestmark = [pytest.mark.kernel, pytest.mark.clang]



@cache
def _bpftool_raw() -> str:
    return subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format",
                           "raw"], capture_output=True, text=True, check=True).stdout


def _struct(name: str) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """(type id, size, {member: (bit offset, bitfield size)}) of a kernel struct, per bpftool."""
    raw = _bpftool_raw()
    m = re.search(rf"^\[(\d+)\] STRUCT '{name}' size=(\d+) vlen=(\d+)\n", raw, re.M)
    assert m, name
    members = {}
    for line in raw[m.end():].splitlines()[: int(m.group(3))]:
        mm = re.match(r"\t'(\w*)' type_id=\d+ bits_offset=(\d+)(?: bitfield_size=(\d+))?", line)
        members[mm.group(1)] = (int(mm.group(2)), int(mm.group(3) or 0))
    return int(m.group(1)), int(m.group(2)), members


def _enum_value(enum: str, name: str) -> int:
    raw = _bpftool_raw()
    m = re.search(rf"^\[\d+\] ENUM '{enum}' .*\n((?:\t.*\n)+)", raw, re.M)
    return int(re.search(rf"'{name}' val=(-?\d+)", m.group(1)).group(1))


def test_every_relocation_kind(bpf_compile, vmlinux_dir):
    obj_path = bpf_compile("core", vmlinux_dir)
    with BpfObject.open(str(obj_path)) as obj:
        obj.rodata["target_pid"] = os.getpid()
        obj.load()
        assert obj.programs["core_probe"].core_failures == []
        obj.programs["core_probe"].attach()
        os.getpid()
        out = struct.unpack("<24Q", obj.bss.raw("out"))
    task_id, task_size, members = _struct("task_struct")
    bit, bits = members["in_execve"]
    container = 4  # unsigned int bitfield
    byte_off = bit // 8 // container * container
    assert out[20] == 0xC0DE, "the probe did not run"
    assert out[0] == os.getpid()                    # tgid through a relocated offset
    assert out[1] == os.getpid()                    # pid through the ___mine flavor
    assert (out[2], out[3]) == (0, 1)               # field exists
    assert out[4] == 16                             # sizeof(comm)
    assert out[5] == 1                              # pid_t is signed
    assert out[8] == byte_off
    assert out[6] == 64 - (bit + bits - byte_off * 8)
    assert out[7] == 64 - bits
    assert (out[9], out[10], out[11], out[12]) == (1, 1, task_size, task_id)
    assert (out[13], out[14], out[15]) == (1, _enum_value("bpf_map_type", "BPF_MAP_TYPE_RINGBUF"), 0)
    assert out[16] == 0                             # ___mine has a field the kernel lacks
    comm = struct.pack("<2Q", out[17], out[18]).split(b"\0")[0]
    assert comm == open("/proc/self/comm", "rb").read().strip()[:15]
    assert out[19] == 1


def test_unmatched_field_poisons_only_when_reached(tmp_path, vmlinux_dir):
    """A read of a field the kernel lacks is poisoned; loading fails with a clear message."""
    from pybpf.errors import ProgLoadError

    src = tmp_path / "bad.bpf.c"
    src.write_text('#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n'
                   'char LICENSE[] SEC("license") = "GPL";\n'
                   "struct task_struct___x { int not_in_kernel; } __attribute__((preserve_access_index));\n"
                   'SEC("tp/syscalls/sys_enter_getpid") int bad(void *ctx) {\n'
                   "  struct task_struct___x *t = (void *)bpf_get_current_task();\n"
                   "  return BPF_CORE_READ(t, not_in_kernel); }\n")
    obj_path = tmp_path / "bad.bpf.o"
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-c", str(src), "-o", str(obj_path),
                    f"-I{vmlinux_dir}"], check=True)
    with BpfObject.open(str(obj_path)) as obj, pytest.raises(ProgLoadError) as info:
        obj.load()
    assert "CO-RE relocation found no match" in str(info.value)
    assert "task_struct___x" in str(info.value)
