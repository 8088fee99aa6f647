"""Helpers a test replaces, the memory image probe_read_* read, the current task, new map kinds.

The errno answers (-EFAULT for unmapped or wrong-space reads) are checked against the
kernel in tests/vm/test_probe_read_kernel.py; here the VM's own contract, no root needed.
"""
from __future__ import annotations

import errno
import os
import struct

import pytest

from pybpf.asm import assemble
from pybpf.errors import PybpfError, VMFault
from pybpf.isa import MapSpec
from pybpf.vm import VM, FakeClock, MemoryImage, Task, make_map
from pybpf.vm.maps import MapOfMaps, PerfEventArrayMap, vm_map

M64 = (1 << 64) - 1


def neg(e: int) -> int:
    return -e & M64


def test_probe_read_user_reads_user_memory_only():
    img = MemoryImage()
    user = img.string(b"/etc/passwd")
    kern = img.add(b"kernel bytes", space="kernel")
    prog = assemble("""
        r6 = r1
        r1 = r10
        r1 += -16
        r2 = 8
        r3 = r6
        call bpf_probe_read_user
        r7 = r0
        r0 = *(u64 *)(r10 - 16)
        if r7 == 0 goto +1
        r0 = r7
        exit
    """)
    vm = VM(image=img)
    assert vm.run(prog, args=[user]).r0.to_bytes(8, "little") == b"/etc/pas"
    assert vm.run(prog, args=[kern]).r0 == neg(errno.EFAULT)         # wrong space
    assert vm.run(prog, args=[0x7F00DEAD0000]).r0 == neg(errno.EFAULT)  # nothing there
    assert vm.run(prog, args=[user + 8]).r0 == neg(errno.EFAULT)      # runs off the string's end


def test_probe_read_str_variants():
    img = MemoryImage()
    user = img.string(b"abc")
    kern = img.add(b"kern\0junk", space="kernel")
    prog = assemble("""
        r6 = r1
        r1 = r10
        r1 += -16
        r2 = 16
        r3 = r6
        call bpf_{h}
        exit
    """.replace("{h}", "probe_read_user_str"))
    vm = VM(image=img)
    assert vm.run(prog, args=[user]).r0 == 4               # 3 bytes and the NUL
    assert vm.run(prog, args=[kern]).r0 == neg(errno.EFAULT)
    kprog = assemble("""
        r6 = r1
        r1 = r10
        r1 += -16
        r2 = 3
        r3 = r6
        call bpf_probe_read_kernel_str
        r0 <<= 32
        r1 = *(u8 *)(r10 - 14)
        r0 |= r1
        exit
    """)
    r0 = vm.run(kprog, args=[kern]).r0
    assert (r0 >> 32, r0 & 0xFF) == (3, 0)                 # cut at size - 1, NUL-terminated
    legacy = assemble("r6 = r1\nr1 = r10\nr1 += -16\nr2 = 16\nr3 = r6\ncall bpf_probe_read_str\nexit")
    assert vm.run(legacy, args=[user]).r0 == 4 and vm.run(legacy, args=[kern]).r0 == 5


def test_user_memory_is_not_directly_readable():
    img = MemoryImage()
    user = img.string(b"secret")
    with pytest.raises(VMFault, match="not readable") as info:
        VM(image=img).run(assemble("r0 = *(u8 *)(r1 + 0)\nexit"), args=[user])
    assert info.value.region == "user string"


def test_current_task_from_btf():
    """bpf_get_current_task: a task_struct laid out by the running kernel's BTF, whose pid,
    tgid, comm and real_parent->tgid are the VM's Task."""
    from pybpf.btf import vmlinux

    btf = vmlinux()
    tid = btf.find("task_struct", "struct")
    off = {m: btf.member(tid, m)[1] // 8 for m in ("pid", "tgid", "comm", "real_parent")}
    prog = assemble(f"""
        call bpf_get_current_task
        r6 = r0
        r1 = r10
        r1 += -8
        r2 = 8
        r3 = r6
        r3 += {off['real_parent']}
        call bpf_probe_read_kernel
        r1 = r10
        r1 += -16
        r2 = 4
        r3 = *(u64 *)(r10 - 8)
        r3 += {off['tgid']}
        call bpf_probe_read_kernel
        r0 = *(u32 *)(r10 - 16)
        r1 = *(u32 *)(r6 + {off['pid']})
        r0 <<= 32
        r0 |= r1
        exit
    """)
    vm = VM(task=Task(pid=321, tgid=300, comm="worker", ppid=7))
    r0 = vm.run(prog).r0
    assert (r0 >> 32, r0 & 0xFFFFFFFF) == (7, 321)


def test_stubs_int_callable_and_restore():
    prog = assemble("call bpf_get_prandom_u32\nexit")
    vm = VM(seed=1)
    first = vm.run(prog).r0
    assert VM(seed=1).run(prog).r0 == first                   # seeded: reproducible
    vm.stub({"bpf_get_prandom_u32": 4})
    assert vm.run(prog).r0 == 4
    calls = []
    vm.stub({"get_prandom_u32": lambda call: calls.append(call.args) or 9})
    assert vm.run(prog).r0 == 9 and len(calls) == 1 and len(calls[0]) == 5
    vm.stub({"get_prandom_u32": None})
    assert vm.run(prog).r0 != 9
    with pytest.raises(PybpfError, match="no kernel helper"):
        VM(helpers={"no_such_helper": 1})
    with pytest.raises(PybpfError, match="an int or a callable"):
        VM(helpers={"ktime_get_ns": "soon"})


def test_stub_reads_and_writes_memory():
    prog = assemble("""
        r1 = r10
        r1 += -8
        *(u64 *)(r10 - 8) = 0
        r2 = 8
        call bpf_get_current_comm
        r0 = *(u64 *)(r10 - 8)
        exit
    """)

    def comm(call):
        call.write(call.args[0], b"stubbed\0")
        return 0
    assert VM(helpers={"get_current_comm": comm}).run(prog).r0.to_bytes(8, "little") == b"stubbed\0"


def test_unimplemented_helper_names_the_stub():
    with pytest.raises(VMFault, match=r"helpers=\{'bpf_get_stackid'"):
        VM().run(assemble("r1 = 0\nr2 = 0\nr3 = 0\ncall bpf_get_stackid\nexit"))


def test_fake_clock_and_pid_tgid():
    prog = assemble("call bpf_ktime_get_ns\nr6 = r0\ncall bpf_ktime_get_ns\nr0 -= r6\nexit")
    assert VM(helpers={"ktime_get_ns": FakeClock(step=5)}).run(prog).r0 == 5
    t = Task.current()
    assert (t.tgid, t.comm) == (os.getpid(), open("/proc/self/comm").read().strip())


def test_perf_event_output_and_maps_of_maps():
    events = PerfEventArrayMap("events")
    prog = assemble("""
        r6 = r1
        *(u64 *)(r10 - 8) = 42
        r1 = r6
        r2 = events ll
        r3 = 0xffffffff ll
        r4 = r10
        r4 += -8
        r5 = 8
        call bpf_perf_event_output
        exit
    """)
    assert VM(maps={"events": events}).run(prog, ctx=bytes(16)).r0 == 0
    assert events.consume() == [struct.pack("<Q", 42)]

    inner = make_map("array", "inner", key_size=4, value_size=8, max_entries=1)
    outer = MapOfMaps("outer", max_entries=2)
    outer.set(bytes(4), inner)
    prog = assemble("""
        *(u32 *)(r10 - 4) = 0
        r1 = outer ll
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r1 = r0
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto out
        r1 = 5
        *(u64 *)(r0 + 0) = r1
        r0 = 1
    out:
        exit
    """)
    assert VM(maps={"outer": outer}).run(prog).r0 == 1
    assert inner.lookup_raw(bytes(4)) == struct.pack("<Q", 5)
    with pytest.raises(PybpfError, match="out of range"):
        outer.set((2).to_bytes(4, "little"), inner)


def test_rodata_is_read_only_to_programs():
    rodata = vm_map(MapSpec(".rodata", "array", 4, 8, 1, flags=1 << 7, initial=b"\x01" + bytes(7),
                            frozen=True), ".rodata")
    from pybpf.isa import Insn, ProgramSpec, PseudoSrc, Ref

    spec = ProgramSpec([Insn(0x18, dst=1, src=PseudoSrc.MAP_VALUE),
                        Insn(0x71, dst=0, src=1), Insn(0x72, dst=1, imm=2), Insn(0x95)],
                       refs={0: Ref.map(".rodata", 0)})
    with pytest.raises(VMFault, match="read-only"):
        VM(maps={".rodata": rodata}).run(spec)
