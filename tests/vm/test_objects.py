"""Clang objects in the VM, against the kernel: trace_open.bpf.c, the CO-RE object, and every
socket/XDP test object with its maps, globals, subprograms, kconfig and callbacks.

The kernel is the oracle: tracepoint programs are attached for real (they cannot be
test-run) and the VM gets the same record, task and path; socket and XDP programs run
through BPF_PROG_TEST_RUN on the same packets, and return values, packets, every map and
ring-buffer records must agree.
"""
from __future__ import annotations

import os
import struct
import threading

import pytest

from pybpf.elf.loader import BpfObject
from pybpf.elf.vmobject import VMObject
from pybpf.kernel import RingBufReader
from pybpf.testing import BpfProgram, tracepoint_context
from pybpf.testing.frames import ethernet, icmp, ipv4, ipv6, tcp, udp
from pybpf.vm import Task

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

EVENT = struct.Struct("<II16s256s")


def _cstr(raw: bytes) -> bytes:
    return raw.split(b"\0", 1)[0]


def test_trace_open_vm_matches_kernel(bpf_compile, vmlinux_h, tmp_path):
    """The seed example: the kernel's ring-buffer event for our own openat() and the VM's
    for the same record, task and path are the same event; .rodata is the same."""
    obj_path = bpf_compile("trace_open", vmlinux_h)
    target = tmp_path / "opened-by-the-vm-test.txt"
    target.write_text("x")
    seen: list[bytes] = []
    with BpfObject.open(str(obj_path)) as obj:
        obj.rodata["target_tgid"] = os.getpid()
        obj.load()
        obj.programs["handle_openat"].attach()
        with RingBufReader(obj.maps["events"], lambda rec: seen.append(bytes(rec)),
                        as_bytes=True) as rb:
            with open(target) as f:
                f.read()
            for _ in range(50):
                rb.poll(100)
                if any(str(target).encode() in r for r in seen):
                    break
        krodata = obj.maps[".rodata"].lookup_raw(bytes(4))
    kernel = [EVENT.unpack(r[:EVENT.size]) for r in seen if str(target).encode() in r][0]

    vm = VMObject(str(obj_path), task=Task.current())
    vm.rodata["target_tgid"] = os.getpid()
    ctx = tracepoint_context("syscalls/sys_enter_openat", {"dfd": -100, "filename": str(target),
                                                           "flags": os.O_RDONLY | os.O_CLOEXEC})
    vm.vm.image.merge(ctx.image)
    assert vm.run("handle_openat", ctx=ctx).r0 == 0
    records = vm.maps["events"].consume()
    assert len(records) == 1
    mine = EVENT.unpack(records[0])
    assert (mine[0], mine[1]) == (kernel[0], kernel[1]) == (os.getpid(), threading.get_native_id())
    assert _cstr(mine[2]) == _cstr(kernel[2])        # comm
    assert _cstr(mine[3]) == _cstr(kernel[3]) == str(target).encode()
    assert vm.maps[".rodata"].lookup_raw(bytes(4)) == krodata

    # another process's open is filtered out by the same .rodata, in the VM too
    vm.vm.task = Task(pid=1, tgid=1, comm="init")
    assert vm.run("handle_openat", ctx=ctx).r0 == 0
    assert vm.maps["events"].consume() == []


def _core_out_kernel(obj_path) -> tuple[int, ...]:
    with BpfObject.open(str(obj_path)) as obj:
        obj.rodata["target_pid"] = os.getpid()
        obj.load()
        assert obj.programs["core_probe"].core_failures == []
        obj.programs["core_probe"].attach()
        os.getpid()
        return struct.unpack("<24Q", obj.bss.raw("out"))


def test_core_object_vm_matches_kernel(bpf_compile, vmlinux_h):
    """Every CO-RE relocation kind resolved against the running kernel's BTF: the VM's
    out[] (offsets, sizes, existence, enum values, type ids, the task's pid, tgid and comm
    read through relocated offsets of a task_struct laid out from the same BTF) equals the
    kernel's."""
    obj_path = bpf_compile("core", vmlinux_h)
    kernel = _core_out_kernel(obj_path)
    vm = VMObject(str(obj_path), task=Task.current())
    vm.rodata["target_pid"] = os.getpid()
    assert vm.run("core_probe", ctx=bytes(64)).r0 == 0
    assert vm.core_failures["core_probe"] == []
    mine = struct.unpack("<24Q", vm.bss.raw("out"))
    assert mine[20] == 0xC0DE
    # out[17:19] is a comm copied from a stack buffer: equal up to its NUL (the kernel's
    # stack past it is whatever was there, the VM's is zero)
    assert mine[:17] + mine[19:] == kernel[:17] + kernel[19:]
    comm = [_cstr(struct.pack("<2Q", *o[17:19])) for o in (mine, kernel)]
    assert comm[0] == comm[1] == open("/proc/self/comm", "rb").read().strip()[:15]


def _small_kernel_btf():
    """A BTF of a made-up kernel whose task_struct has another layout than the running one."""
    from pybpf.btf import Btf, BtfBuilder

    b = BtfBuilder()
    u32 = b.add_int("unsigned int", 4)
    s32 = b.add_int("int", 4, encoding=1)
    char = b.add_int("char", 1, encoding=2)
    i32 = b.add_int("__ARRAY_SIZE_TYPE__", 4)
    comm = b.add_array(char, i32, 16)
    task = b.add_struct("task_struct", 64, [("comm", comm, 0), ("flags", u32, 128),
                                            ("in_execve", u32, 160, 1), ("pid", s32, 256),
                                            ("tgid", s32, 288)])
    b.add_typedef("pid_t", s32)
    b.add_enum("bpf_map_type", [("BPF_MAP_TYPE_UNSPEC", 0), ("BPF_MAP_TYPE_RINGBUF", 77)])
    return Btf(b.encode(), name="made-up kernel"), task


def test_core_against_a_chosen_btf(bpf_compile, vmlinux_h):
    """CO-RE against another kernel's BTF: the offsets, sizes, ids and enum values are that
    BTF's, and the task_struct the VM builds follows it, so pid and comm still read right."""
    obj_path = bpf_compile("core", vmlinux_h)
    btf, task_id = _small_kernel_btf()
    vm = VMObject(str(obj_path), btf=btf, task=Task(pid=77, tgid=55, comm="made-up"))
    vm.rodata["target_pid"] = 55
    vm.run("core_probe", ctx=bytes(64))
    out = struct.unpack("<24Q", vm.bss.raw("out"))
    assert out[20] == 0xC0DE
    assert (out[0], out[1]) == (55, 77)                  # tgid, pid at this BTF's offsets
    assert (out[2], out[3], out[4], out[5]) == (0, 1, 16, 1)
    assert out[8] == 20                                  # in_execve's 4-byte container at 160 bits
    assert (out[6], out[7]) == (64 - 1, 64 - 1)          # bit 0 of its container, 1 bit wide
    assert (out[9], out[11], out[12]) == (1, 64, task_id)
    assert (out[13], out[14], out[15]) == (1, 77, 0)
    assert struct.pack("<2Q", out[17], out[18]).split(b"\0")[0] == b"made-up"


PACKETS = [
    ethernet(ipv4(udp(b"hello", sport=1000, dport=53))),
    ethernet(ipv4(tcp(b"", sport=5000, dport=80), src="192.168.1.1")),
    ethernet(ipv6(icmp(b"ping", type=128, v6=True))),
    ethernet(ipv4(udp(b"")), vlans=(100,)),
    bytes(14),
    ethernet(b"\x45" + bytes(60)),
]
OBJECTS = ["subprogs", "maps_btf", "two_globals", "kconfig", "loop_cb", "maps_legacy"]


@pytest.mark.parametrize("name", OBJECTS)
def test_object_programs_vm_vs_kernel(bpf_compile, name):
    """Every program of each test object, on the same packets in the VM and the kernel:
    return value, packet, every map (BTF and legacy maps, .data/.rodata/.bss, custom data
    sections, kconfig, maps of maps) and ring-buffer records agree after each run."""
    progs = BpfProgram.load_all(bpf_compile(name))
    try:
        for prog in progs.values():
            prog.reset()
            for pkt in PACKETS:
                out = prog.run(packet=pkt, backend="both")  # raises BackendMismatch
                assert out.kernel is not None and out.note is None
    finally:
        next(iter(progs.values())).close()


def test_objects_leave_no_pins(bpf_compile):
    """maps_btf pins a map by name: the runner pins it in a directory of its own and
    removes it when the program closes."""
    from pybpf.kernel.fs import ensure_bpffs

    progs = BpfProgram.load_all(bpf_compile("maps_btf"))
    prog = progs["maps_prog"]
    prog.run(packet=PACKETS[0], backend="kernel")
    mine = [n for n in os.listdir(ensure_bpffs()) if n.startswith(f"pybpf-testing-{os.getpid()}-")]
    assert mine
    prog.close()
    assert not [n for n in os.listdir(ensure_bpffs()) if n in mine]
